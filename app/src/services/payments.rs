//! Payment requests and card payments, as the pay flow and the pages see them.

use super::ServiceError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    CheckedCard, DeclineReason, EditionsShown, IdempotencyKey, Money, PaymentCode, PaymentId,
    PaymentState, RequestStatus, ServiceKind,
};

/// A payment request as the citizen may see it: the applicant's name arrives masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequestView {
    pub code: PaymentCode,
    pub service: ServiceKind,
    pub applicant_masked: String,
    pub amount: Money,
    pub status: RequestStatus,
    pub expires_at: DateTime<Utc>,
}

/// A payment as its status page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentStatusView {
    pub id: PaymentId,
    pub code: PaymentCode,
    pub service: ServiceKind,
    pub amount: Money,
    pub state: PaymentState,
    pub decline: Option<DeclineReason>,
    /// The issuer's challenge page while the state is `three_ds_required`.
    pub challenge_url: Option<String>,
}

/// What became of a charge, as far as the submit that asked for it knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargeOutcome {
    Paid {
        receipt_id: PaymentId,
    },
    Declined {
        reason: DeclineReason,
    },
    /// Not settled yet (a challenge, or an answer still awaited): the
    /// citizen follows it on the payment's status page.
    Continue {
        payment_id: PaymentId,
    },
}

#[async_trait]
pub trait PaymentService: Send + Sync {
    async fn find_request(
        &self,
        code: &PaymentCode,
    ) -> Result<Option<PaymentRequestView>, ServiceError>;

    /// Charges the card for the request behind `code` and records the payment.
    /// Refuses, before the processor is called, a code that is not payable.
    /// Every call with the same `key` is the same attempt: the acquirer is
    /// asked at most once and later calls get the first outcome. An attempt
    /// over the limits on card testing is refused before anything is kept.
    async fn charge(
        &self,
        code: &PaymentCode,
        key: &IdempotencyKey,
        accepted: EditionsShown,
        card: CheckedCard,
        client: &super::Client,
    ) -> Result<ChargeOutcome, ServiceError>;

    /// A payment's state for its status page; asks the acquirer first when
    /// the outcome is still unknown.
    async fn payment_status(
        &self,
        id: &PaymentId,
    ) -> Result<Option<PaymentStatusView>, ServiceError>;

    /// The citizen is back from the issuer's challenge with its answer.
    async fn complete_challenge(&self, id: &PaymentId, cres: &str) -> Result<(), ServiceError>;

    /// A fresh key for a pay form about to be rendered.
    fn new_idempotency_key(&self) -> IdempotencyKey;
}
