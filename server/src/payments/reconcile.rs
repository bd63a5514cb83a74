//! Settling what only the acquirer knows: payments whose answer was lost
//! (`unknown`, or `authorising` too long), the acquirer's own notifications,
//! and payments abandoned before the acquirer or at a challenge. The worker
//! runs at start-up and then every `TOLEM_RECONCILE_EVERY_SECS`, and also
//! sends the refunds that are due ([`super::refunds`]).
//!
//! Two rules keep it from guessing. "No such order" means nothing was
//! charged only once the acquirer's processing window has passed since the
//! payment last changed: a real acquirer records a charge after its client
//! gave up. And one status query per payment at a time across every server:
//! a lease in the database, in the database's time, taken before asking.

use super::outcome::Settlement;
use super::{Payments, internal};
use crate::processor::Outcome;
use crate::storage::PaymentRecord;
use app::services::ServiceError;
use domain::{PaymentId, PaymentState};
use std::sync::Arc;
use std::time::Duration;

/// What reconciliation did in one pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub settled: usize,
    pub still_unsettled: usize,
    pub expired: usize,
}

impl Payments {
    /// Asks the acquirer about a payment whose outcome we do not know and
    /// records the answer. Returns whether the payment moved.
    pub async fn reconcile(&self, record: &PaymentRecord) -> Result<bool, ServiceError> {
        let from = record.state;
        if !matches!(from, PaymentState::Unknown | PaymentState::Authorising) {
            return Ok(false);
        }
        let claimed = self
            .store
            .claim_status_check(&record.id, self.timings.stale_after)
            .await
            .map_err(internal("claim status check"))?;
        if !claimed {
            // Another request or server is asking right now, or asked a
            // moment ago.
            return Ok(false);
        }
        let answer = self.processor.status(record.id.as_str()).await;
        if let Err(error) = self
            .store
            .mark_checked(&record.id, self.now(), self.timings.recheck_after)
            .await
        {
            tracing::warn!(payment_id = %record.id, %error, "could not record the status check");
        }
        let settlement = match answer {
            Ok(Some(outcome)) => Settlement::from_outcome(outcome, "acquirer status"),
            Ok(None) if self.now() - record.updated_at < self.timings.acquirer_window => {
                tracing::info!(payment_id = %record.id, "acquirer knows no such order yet; it may still be in flight");
                return Ok(false);
            }
            Ok(None) => Settlement::to(
                PaymentState::Failed,
                "acquirer status: no such order after its processing window, nothing was charged",
            ),
            Err(error) => {
                tracing::warn!(payment_id = %record.id, %error, "status query failed; will retry");
                return Ok(false);
            }
        };
        self.settle_answer(&record.id, from, settlement)
            .await
            .map_err(internal("reconcile"))
    }

    /// One pass of the reconciliation worker: settles unknown and stale
    /// payments with the acquirer and expires abandoned ones.
    pub async fn reconcile_all(&self) -> Result<ReconcileReport, ServiceError> {
        let now = self.now();
        let mut report = ReconcileReport::default();
        let unsettled = self
            .store
            .unsettled_payments(now - self.timings.stale_after, 500)
            .await
            .map_err(internal("unsettled payments"))?;
        let moved = self
            .each_bounded(unsettled, |me, record| async move {
                me.reconcile(&record).await
            })
            .await;
        for result in moved {
            match result {
                Ok(true) => report.settled += 1,
                Ok(false) => report.still_unsettled += 1,
                Err(error) => return Err(error),
            }
        }
        let abandoned = self
            .store
            .abandoned_payments(now - self.timings.abandon_after, 500)
            .await
            .map_err(internal("abandoned payments"))?;
        for record in &abandoned {
            let settlement = Settlement::to(PaymentState::Expired, "abandoned by the citizen");
            if self
                .settle(&record.id, record.state, settlement)
                .await
                .map_err(internal("expire"))?
            {
                report.expired += 1;
            }
        }
        Ok(report)
    }

    /// Applies the acquirer's own notification of an order's outcome (its
    /// signature was checked by the caller). Duplicates and late ones change
    /// nothing; a charge on a payment we had closed is owed back (a refund,
    /// recorded before this answers). An error means nothing was recorded:
    /// the acquirer must send it again.
    pub async fn apply_notification(
        &self,
        order_id: &str,
        outcome: Outcome,
    ) -> Result<(), ServiceError> {
        // Every order id we send is a payment id: anything else is not ours.
        let Ok(id) = PaymentId::parse(order_id) else {
            tracing::warn!("notification for an order id that is not ours");
            return Ok(());
        };
        let Some(record) = self.record(&id).await? else {
            tracing::warn!(order_id, "notification for an unknown order");
            return Ok(());
        };
        if matches!(outcome, Outcome::ChallengeRequired { .. }) {
            // Only final outcomes move a payment from here.
            return Ok(());
        }
        let approved = matches!(outcome, Outcome::Approved { .. });
        match record.state {
            // The notification can overtake our own answer, and the
            // browser's return from a challenge.
            PaymentState::Authorising | PaymentState::Unknown | PaymentState::ThreeDsRequired => {
                self.settle_answer(
                    &record.id,
                    record.state,
                    Settlement::from_outcome(outcome, "notification"),
                )
                .await
                .map_err(internal("notification"))?;
            }
            PaymentState::Failed | PaymentState::Expired | PaymentState::Declined if approved => {
                self.owe_refund(&record, "notification: approved after we closed it")
                    .await
                    .map_err(internal("refund owed"))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// The reconciliation worker: a pass at once (a crash mid-payment is
/// settled at start-up), then one every `every`.
pub async fn reconcile_forever(payments: Arc<Payments>, every: Duration) {
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(100)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match payments.refund_due().await {
            Ok(report) if report != super::RefundReport::default() => {
                tracing::info!(?report, "refund pass");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "refund pass failed"),
        }
        match payments.reconcile_all().await {
            Ok(report) if report != ReconcileReport::default() => {
                tracing::info!(
                    settled = report.settled,
                    still_unsettled = report.still_unsettled,
                    expired = report.expired,
                    "reconciliation pass"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(?error, "reconciliation pass failed"),
        }
    }
}
