//! Settling what only the acquirer knows: payments whose answer was lost
//! (`unknown`, or `authorising` too long), the acquirer's own notifications,
//! and payments abandoned before the acquirer or at a challenge. The worker
//! runs at start-up and then every `TOLEM_RECONCILE_EVERY_SECS`.

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
        let answer = self.processor.status(record.id.as_str()).await;
        let _ = self.store.mark_checked(&record.id, self.now()).await;
        let settlement = match answer {
            Ok(Some(outcome)) => Settlement::from_outcome(outcome, "acquirer status"),
            Ok(None) => Settlement::to(
                PaymentState::Failed,
                "acquirer status: no such order, nothing was charged",
            ),
            Err(error) => {
                tracing::warn!(payment_id = %record.id, %error, "status query failed; will retry");
                return Ok(false);
            }
        };
        self.settle(&record.id, from, settlement)
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
        for record in &unsettled {
            if self.reconcile(record).await? {
                report.settled += 1;
            } else {
                report.still_unsettled += 1;
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
    /// nothing; a charge we had given up on is refunded.
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
        match record.state {
            // A challenged payment moves only by our own completion call.
            PaymentState::Authorising | PaymentState::Unknown
                if !matches!(outcome, Outcome::ChallengeRequired { .. }) =>
            {
                self.settle(
                    &record.id,
                    record.state,
                    Settlement::from_outcome(outcome, "notification"),
                )
                .await
                .map_err(internal("notification"))?;
            }
            PaymentState::Failed | PaymentState::Expired | PaymentState::Declined
                if matches!(outcome, Outcome::Approved { .. }) =>
            {
                tracing::error!(payment_id = %record.id, state = %record.state, "acquirer charged a payment we closed: refunding");
                match self
                    .processor
                    .refund(record.id.as_str(), record.amount)
                    .await
                {
                    Ok(reference) => {
                        tracing::warn!(payment_id = %record.id, %reference, "refunded")
                    }
                    Err(error) => {
                        tracing::error!(payment_id = %record.id, %error, "refund failed: needs an operator")
                    }
                }
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
