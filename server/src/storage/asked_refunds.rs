//! Refunds a person asks for (the back office's finance role): recorded in
//! `required` with who asked and why, their audit entry and their first
//! event, in one transaction that first takes the amount from what is
//! still refundable. That guarded update is the one place the check
//! happens: on PostgreSQL its row lock makes a second refund of the same
//! payment wait and re-read the sum, so two people refunding at once can
//! never return more than was paid; a refund that fails gives its amount
//! back (`refunds`).

use super::backend::Backend;
use super::refunds::INSERT_REFUND_EVENT;
use super::staff::insert_audit;
use super::store::SqlStore;
use super::values::statement;
use super::{AuditEntry, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Money, PaymentId, RefundState};

/// A refund a staff member asks for.
#[derive(Clone, Debug)]
pub struct AskedRefund<'a> {
    pub id: &'a str,
    pub payment_id: &'a PaymentId,
    pub amount: Money,
    pub asked_by: &'a str,
    pub note: &'a str,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait AskedRefunds: Send + Sync {
    /// Records the refund and its audit entry if the payment succeeded and
    /// `amount` is within what its other refunds have not taken; false
    /// (nothing written) otherwise.
    async fn ask_refund(
        &self,
        refund: AskedRefund<'_>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
    /// How much of the payment refunds that have not failed hold.
    async fn refunds_held(&self, payment: &PaymentId) -> Result<Money, StoreError>;
}

const TAKE_REFUNDABLE: &str = "UPDATE payments SET refunds_tyiyn = refunds_tyiyn + ?
     WHERE id = ? AND status = 'succeeded' AND refunds_tyiyn + ? <= amount_tyiyn";
const INSERT_ASKED_REFUND: &str = "INSERT INTO refunds
       (id, payment_id, amount_tyiyn, status, cause, attempts, next_attempt_at,
        created_at, updated_at, asked_by, note)
     VALUES (?, ?, ?, 'required', 'requested', 0, ?, ?, ?, ?, ?)";
const REFUNDS_HELD: &str = "SELECT refunds_tyiyn FROM payments WHERE id = ?";

#[async_trait]
impl<B: Backend> AskedRefunds for SqlStore<B> {
    async fn ask_refund(
        &self,
        refund: AskedRefund<'_>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let amount = refund.amount.tyiyn();
        let required = RefundState::Required.as_str();
        self.backend()
            .execute_guarded(vec![
                statement!(TAKE_REFUNDABLE, amount, refund.payment_id.as_str(), amount),
                statement!(
                    INSERT_ASKED_REFUND,
                    refund.id,
                    refund.payment_id.as_str(),
                    amount,
                    refund.at,
                    refund.at,
                    refund.at,
                    refund.asked_by,
                    refund.note,
                ),
                statement!(
                    INSERT_REFUND_EVENT,
                    None::<&str>,
                    required,
                    "asked for in the back office",
                    refund.at,
                    refund.id,
                    required,
                    refund.at,
                ),
                insert_audit(audit),
            ])
            .await
    }

    async fn refunds_held(&self, payment: &PaymentId) -> Result<Money, StoreError> {
        let held = self
            .backend()
            .fetch(statement!(REFUNDS_HELD, payment.as_str()), |row| {
                row.int(0).map(Option::unwrap_or_default)
            })
            .await?;
        Money::from_tyiyn(held.first().copied().unwrap_or_default())
            .map_err(|_| StoreError::Corrupt("refunds held"))
    }
}
