//! Receipts: the citizen's receipt (its page and its PDF), the facts a
//! verification code vouches for, and finding a receipt again by its
//! payment code and number.

use super::ServiceError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    CardBrand, DocumentKind, EditionRef, Money, PaymentCode, PaymentId, ReceiptNumber, ServiceKind,
    VerificationCode,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptView {
    pub id: PaymentId,
    pub receipt_number: ReceiptNumber,
    pub paid_at: DateTime<Utc>,
    pub service: ServiceKind,
    pub code: PaymentCode,
    pub applicant_masked: String,
    pub amount: Money,
    pub brand: CardBrand,
    /// First six and last four digits only.
    pub masked_card: String,
    pub cardholder: String,
    pub processor_reference: String,
    /// The editions accepted by paying.
    pub accepted: Vec<(DocumentKind, EditionRef)>,
    /// Money returned to the card, oldest first.
    pub refunds: Vec<ReceiptRefund>,
    /// The code a clerk checks the receipt with.
    pub verification: VerificationCode,
}

/// A refund as the citizen's receipt shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceiptRefund {
    pub asked_at: DateTime<Utc>,
    pub amount: Money,
    pub stage: RefundStage,
}

/// Where a refund stands, in the citizen's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundStage {
    /// Asked for and on its way (sent, or being retried or checked).
    Pending,
    Returned,
    /// Refused for good: the operator's staff must act.
    Refused,
}

/// What a genuine verification code vouches for: nothing about the person
/// or the card, only what a clerk compares with the paper.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedReceipt {
    pub receipt_number: ReceiptNumber,
    pub service: ServiceKind,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    /// Returned to the card so far.
    pub refunded: Money,
    /// Asked for and not yet returned.
    pub refund_pending: Money,
}

/// Whether a receipt still proves its payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    Paid,
    PartlyRefunded,
    Refunded,
}

impl VerifiedReceipt {
    pub fn standing(&self) -> Standing {
        if self.refunded.tyiyn() <= 0 {
            Standing::Paid
        } else if self.refunded.tyiyn() < self.amount.tyiyn() {
            Standing::PartlyRefunded
        } else {
            Standing::Refunded
        }
    }
}

impl ReceiptView {
    /// Returned to the card so far, and asked for but not yet returned.
    pub fn refunded(&self) -> (Money, Money) {
        let sum = |stage: RefundStage| {
            self.refunds
                .iter()
                .filter(|r| r.stage == stage)
                .try_fold(Money::ZERO, |sum, r| sum.checked_add(r.amount))
                // More than `Money` holds cannot be refunds of one payment.
                .unwrap_or(self.amount)
        };
        (sum(RefundStage::Returned), sum(RefundStage::Pending))
    }

    /// What a clerk checking this receipt is told.
    pub fn verified(&self) -> VerifiedReceipt {
        let (refunded, refund_pending) = self.refunded();
        VerifiedReceipt {
            receipt_number: self.receipt_number,
            service: self.service,
            amount: self.amount,
            paid_at: self.paid_at,
            refunded,
            refund_pending,
        }
    }
}

#[async_trait]
pub trait ReceiptService: Send + Sync {
    /// The receipt of a succeeded payment.
    async fn receipt(&self, id: &PaymentId) -> Result<Option<ReceiptView>, ServiceError>;

    /// The facts behind a verification code; `None` when the site never
    /// printed it (a made-up or mistyped code).
    async fn verify(
        &self,
        code: &VerificationCode,
    ) -> Result<Option<VerifiedReceipt>, ServiceError>;

    /// The receipt for `code` with `number`, when both belong to one
    /// succeeded payment.
    async fn find(
        &self,
        code: &PaymentCode,
        number: ReceiptNumber,
    ) -> Result<Option<PaymentId>, ServiceError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ReceiptNumber;

    #[test]
    fn standing_follows_what_was_returned() {
        let money = |t| Money::from_tyiyn(t).unwrap();
        let mut receipt = VerifiedReceipt {
            receipt_number: ReceiptNumber::from_sequence(1).unwrap(),
            service: ServiceKind::Passport,
            amount: money(10_000),
            paid_at: DateTime::UNIX_EPOCH,
            refunded: money(0),
            refund_pending: money(10_000),
        };
        assert_eq!(receipt.standing(), Standing::Paid);
        receipt.refunded = money(1);
        assert_eq!(receipt.standing(), Standing::PartlyRefunded);
        receipt.refunded = money(10_000);
        assert_eq!(receipt.standing(), Standing::Refunded);
    }
}
