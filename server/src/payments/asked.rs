//! A refund a person asks for (the back office's finance role): part or all
//! of a succeeded payment, with a reason, recorded with its audit entry in
//! the transaction that takes the amount from what is still refundable;
//! from there the same worker as the automatic refunds sends it, retries
//! it and settles a lost answer by asking the acquirer ([`super::refunds`]).

use super::{Payments, new_payment_id};
use crate::storage::{AskedRefund, AuditEntry, StoreError};
use domain::{Money, PaymentId, PaymentState};

/// The longest reason kept.
pub const NOTE_CHARS: usize = 500;

/// Why a refund was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum AskRefundError {
    #[error("no such payment")]
    NoSuchPayment,
    /// Only a succeeded payment took money.
    #[error("the payment did not take money")]
    NotRefundable,
    /// More than the payment's other refunds left; `refundable` is what is.
    #[error("more than is left to refund")]
    TooMuch { refundable: Money },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Payments {
    /// Records a refund of `amount` asked for by the staff member `audit`
    /// names; answers its id. The worker is woken to send it at once.
    pub async fn ask_refund(
        &self,
        payment: &PaymentId,
        amount: Money,
        note: &str,
        mut audit: AuditEntry,
    ) -> Result<String, AskRefundError> {
        let id = new_payment_id().as_str().to_owned();
        let at = self.now();
        audit.at = at;
        audit.after = Some(
            serde_json::json!({ "refund": id, "amount_tyiyn": amount.tyiyn(), "note": note })
                .to_string(),
        );
        let asked_by = audit
            .actor_email
            .clone()
            .or_else(|| audit.actor_id.clone())
            .unwrap_or_default();
        let recorded = self
            .store
            .ask_refund(
                AskedRefund {
                    id: &id,
                    payment_id: payment,
                    amount,
                    asked_by: &asked_by,
                    note,
                    at,
                },
                &audit,
            )
            .await?;
        if !recorded {
            let record = self
                .store
                .payment(payment)
                .await?
                .ok_or(AskRefundError::NoSuchPayment)?;
            if record.state != PaymentState::Succeeded {
                return Err(AskRefundError::NotRefundable);
            }
            let refundable = self.left_of(&record.amount, payment).await?;
            return Err(AskRefundError::TooMuch { refundable });
        }
        tracing::info!(payment_id = %payment, refund_id = %id, amount = amount.tyiyn(), "refund asked for");
        if let Some(me) = self.me.upgrade() {
            tokio::spawn(async move {
                if let Err(error) = me.refund_due().await {
                    tracing::warn!(?error, "refund pass after a refund was asked for failed");
                }
            });
        }
        Ok(id)
    }

    /// What is left to refund of a succeeded payment (zero for any other).
    pub async fn refundable(&self, payment: &PaymentId) -> Result<Money, StoreError> {
        let Some(record) = self.store.payment(payment).await? else {
            return Ok(Money::ZERO);
        };
        if record.state != PaymentState::Succeeded {
            return Ok(Money::ZERO);
        }
        self.left_of(&record.amount, payment).await
    }

    /// `amount` less what the payment's refunds hold.
    async fn left_of(&self, amount: &Money, payment: &PaymentId) -> Result<Money, StoreError> {
        let held = self.store.refunds_held(payment).await?;
        Ok(Money::from_tyiyn(amount.tyiyn() - held.tyiyn()).unwrap_or(Money::ZERO))
    }
}
