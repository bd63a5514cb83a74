//! Money returned, durably: a charge that lands on a payment we had already
//! closed (the citizen was told nothing was taken) becomes a refund owed,
//! recorded before anything answers the acquirer; the worker sends it and
//! retries with backoff until the outcome is definite, and a refund whose
//! answer was lost is settled by asking the acquirer, like a payment.

use super::outcome::Settlement;
use super::{Payments, internal, new_payment_id};
use crate::processor::{ProcessorError, RefundDone};
use crate::storage::{NewRefund, PaymentRecord, RefundMove, RefundRecord, StoreError};
use app::services::ServiceError;
use domain::{PaymentId, PaymentState, RefundCause, RefundState};

/// After this many sends the acquirer refused, a person must look.
const MAX_ATTEMPTS: u32 = 12;
/// The longest wait between two tries.
const MAX_BACKOFF_SECS: i64 = 600;

/// What one refund pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RefundReport {
    pub refunded: usize,
    pub retrying: usize,
    pub unknown: usize,
    pub failed: usize,
}

impl Payments {
    /// Applies an acquirer's answer like [`Payments::settle`]; when someone
    /// else closed the payment first and the answer is a charge, the money
    /// is owed back.
    pub(super) async fn settle_answer(
        &self,
        id: &PaymentId,
        from: PaymentState,
        settlement: Settlement,
    ) -> Result<bool, StoreError> {
        let approved = settlement.to == PaymentState::Succeeded;
        let source = settlement.reason.clone();
        if self.settle(id, from, settlement).await? {
            return Ok(true);
        }
        if approved
            && let Some(record) = self.store.payment(id).await?
            && matches!(
                record.state,
                PaymentState::Failed | PaymentState::Expired | PaymentState::Declined
            )
        {
            self.owe_refund(&record, &format!("{source} after we closed it"))
                .await?;
        }
        Ok(false)
    }

    /// Records that the charge on a closed payment is owed back (once per
    /// payment, however often the acquirer tells us).
    pub(super) async fn owe_refund(
        &self,
        record: &PaymentRecord,
        reason: &str,
    ) -> Result<(), StoreError> {
        let id = new_payment_id();
        let now = self.now();
        let recorded = self
            .store
            .require_refund(NewRefund {
                id: id.as_str(),
                payment_id: &record.id,
                amount: record.amount,
                cause: RefundCause::ChargeOnClosedPayment,
                reason,
                at: now,
            })
            .await?;
        if recorded {
            tracing::error!(payment_id = %record.id, state = %record.state, refund_id = %id, reason, "the acquirer charged a payment we had closed: refund owed");
        }
        Ok(())
    }

    /// One pass over the refunds that are due: sends those owed, and asks
    /// about those whose answer was lost.
    pub async fn refund_due(&self) -> Result<RefundReport, ServiceError> {
        let due = self
            .store
            .due_refunds(self.now(), 200)
            .await
            .map_err(internal("due refunds"))?;
        let ended = self
            .each_bounded(
                due,
                |me, refund| async move { me.advance_refund(&refund).await },
            )
            .await;
        let mut report = RefundReport::default();
        for result in ended {
            match result.map_err(internal("refund"))? {
                Some(RefundState::Refunded) => report.refunded += 1,
                Some(RefundState::Failed) => report.failed += 1,
                Some(RefundState::Unknown | RefundState::Submitted) => report.unknown += 1,
                Some(RefundState::Required) | None => report.retrying += 1,
            }
        }
        Ok(report)
    }

    /// Takes one due refund a step towards a definite end; answers where it
    /// got to (`None`: someone else moved it first).
    async fn advance_refund(
        &self,
        refund: &RefundRecord,
    ) -> Result<Option<RefundState>, StoreError> {
        match refund.state {
            RefundState::Required => self.send_refund(refund).await,
            // Its sender stopped before the answer (or is past the time an
            // answer can take): only the acquirer can say.
            RefundState::Submitted => {
                let moved = self
                    .move_refund(
                        refund,
                        RefundState::Unknown,
                        "sent, no answer recorded",
                        None,
                        false,
                    )
                    .await?;
                Ok(moved.then_some(RefundState::Unknown))
            }
            RefundState::Unknown => self.check_refund(refund).await,
            RefundState::Refunded | RefundState::Failed => Ok(Some(refund.state)),
        }
    }

    async fn send_refund(&self, refund: &RefundRecord) -> Result<Option<RefundState>, StoreError> {
        let mut sending = refund.clone();
        if !self
            .move_refund(&sending, RefundState::Submitted, "sent", None, true)
            .await?
        {
            return Ok(None);
        }
        sending.state = RefundState::Submitted;
        sending.attempts += 1;
        let answer = self
            .processor
            .refund(refund.payment_id.as_str(), &refund.id, refund.amount)
            .await;
        let (to, reason, reference) = match answer {
            Ok(RefundDone::Refunded { reference }) => (
                RefundState::Refunded,
                "refunded".to_owned(),
                Some(reference),
            ),
            Ok(RefundDone::Declined { reason }) => (
                RefundState::Failed,
                format!("declined by the acquirer, a person must act: {reason}"),
                None,
            ),
            Err(ProcessorError::NotProcessed(why)) if sending.attempts >= MAX_ATTEMPTS => (
                RefundState::Failed,
                format!("refused {MAX_ATTEMPTS} times, a person must act: {why}"),
                None,
            ),
            Err(ProcessorError::NotProcessed(why)) => {
                (RefundState::Required, format!("not processed: {why}"), None)
            }
            Err(ProcessorError::Unknown(why)) => {
                (RefundState::Unknown, format!("no answer: {why}"), None)
            }
        };
        if to == RefundState::Failed {
            tracing::error!(refund_id = %refund.id, payment_id = %refund.payment_id, %reason, "refund failed");
        }
        let moved = self
            .move_refund(&sending, to, &reason, reference.as_deref(), false)
            .await?;
        Ok(moved.then_some(to))
    }

    async fn check_refund(&self, refund: &RefundRecord) -> Result<Option<RefundState>, StoreError> {
        let (to, reason, reference) = match self
            .processor
            .refund_status(refund.payment_id.as_str(), &refund.id)
            .await
        {
            Ok(Some(RefundDone::Refunded { reference })) => (
                RefundState::Refunded,
                "reconciled: the acquirer refunded it".to_owned(),
                Some(reference),
            ),
            Ok(Some(RefundDone::Declined { reason })) => (
                RefundState::Failed,
                format!("reconciled: the acquirer declined it, a person must act: {reason}"),
                None,
            ),
            // Never reached the acquirer: safe to send again (idempotent on
            // the refund id).
            Ok(None) => (
                RefundState::Required,
                "reconciled: the acquirer has no such refund, to be sent again".to_owned(),
                None,
            ),
            Err(_) => {
                tracing::warn!(refund_id = %refund.id, "refund status unclear; will ask again");
                return Ok(Some(RefundState::Unknown));
            }
        };
        if to == RefundState::Failed {
            tracing::error!(refund_id = %refund.id, payment_id = %refund.payment_id, %reason, "refund failed");
        }
        let moved = self
            .move_refund(refund, to, &reason, reference.as_deref(), false)
            .await?;
        Ok(moved.then_some(to))
    }

    /// Moves `refund` from its state to `to`; the next look is due after a
    /// backoff that doubles with each send.
    async fn move_refund(
        &self,
        refund: &RefundRecord,
        to: RefundState,
        reason: &str,
        reference: Option<&str>,
        attempt: bool,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let wait = if to == RefundState::Submitted {
            // Past this, a sender that never recorded the answer is taken
            // to have lost it.
            self.timings.stale_after
        } else {
            backoff(self.timings.recheck_after, refund.attempts)
        };
        self.store
            .move_refund(
                &refund.id,
                RefundMove {
                    from: refund.state,
                    to,
                    reason,
                    reference,
                    next_attempt_at: now + wait,
                    attempt,
                    at: now,
                },
            )
            .await
    }
}

/// `base` doubled for each attempt so far, at most ten minutes.
fn backoff(base: chrono::Duration, attempts: u32) -> chrono::Duration {
    let factor = 1i64 << attempts.min(16);
    (base * i32::try_from(factor).unwrap_or(i32::MAX))
        .min(chrono::Duration::seconds(MAX_BACKOFF_SECS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_ten_minutes() {
        let base = chrono::Duration::seconds(2);
        assert_eq!(backoff(base, 0), chrono::Duration::seconds(2));
        assert_eq!(backoff(base, 1), chrono::Duration::seconds(4));
        assert_eq!(backoff(base, 3), chrono::Duration::seconds(16));
        assert_eq!(backoff(base, 9), chrono::Duration::seconds(600));
        assert_eq!(backoff(base, 40), chrono::Duration::seconds(600));
    }
}
