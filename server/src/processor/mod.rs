//! Card processors: the trait the payment service charges cards through, the
//! in-process sandbox acquirer (the run command's default) and the HTTP
//! gateway to an acquirer that speaks the `acquirer` crate's protocol.
//!
//! What matters most here is telling apart "nothing was charged" from "we do
//! not know": only the first may be shown to the citizen as a failure; the
//! second is settled by asking the acquirer later (reconciliation).

mod configured;
mod gateway;
mod sandbox;

pub use configured::{Configured, configured};
pub use gateway::GatewayProcessor;
pub use sandbox::{ACS_PATH, SandboxProcessor};

use acquirer::protocol::{DeclineCode, OrderResponse, OrderStatus, RefundOutcome, RefundResponse};
use async_trait::async_trait;
use domain::{CheckedCard, DeclineReason, Money};

pub struct Authorisation<'a> {
    /// Our payment id; the acquirer's idempotency key for this charge.
    pub order_id: &'a str,
    pub amount: Money,
    pub card: &'a CheckedCard,
    /// Where the issuer's challenge page sends the browser back.
    pub return_url: &'a str,
}

/// What the acquirer said about an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Approved {
        reference: String,
    },
    Declined {
        reason: DeclineReason,
        reference: String,
    },
    /// The issuer wants the citizen to pass a challenge at `url` first.
    ChallengeRequired {
        url: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The acquirer did not process the request: nothing was charged.
    #[error("not processed: {0}")]
    NotProcessed(String),
    /// The request may have been processed; only a status query can tell.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

#[async_trait]
pub trait CardProcessor: Send + Sync {
    async fn authorise(&self, request: Authorisation<'_>) -> Result<Outcome, ProcessorError>;
    /// Finishes a payment after the citizen answered the issuer's challenge.
    async fn complete_challenge(
        &self,
        order_id: &str,
        cres: &str,
    ) -> Result<Outcome, ProcessorError>;
    /// What the acquirer knows of the order; `None` when it never received it.
    async fn status(&self, order_id: &str) -> Result<Option<Outcome>, ProcessorError>;
    /// Returns `amount` of an approved order under our refund id.
    /// Idempotent on the refund id: sending it again refunds once.
    async fn refund(
        &self,
        order_id: &str,
        refund_id: &str,
        amount: Money,
    ) -> Result<RefundDone, ProcessorError>;
    /// What the acquirer made of one refund (for a refund whose answer was
    /// lost); `None` when the refund never reached it.
    async fn refund_status(
        &self,
        order_id: &str,
        refund_id: &str,
    ) -> Result<Option<RefundDone>, ProcessorError>;
}

/// A refund's definite outcome at the acquirer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundDone {
    Refunded {
        reference: String,
    },
    /// Refused for good: nothing was returned, and sending it again will
    /// not change that.
    Declined {
        reason: String,
    },
}

/// The acquirer's refund answer in our terms.
fn refund_done(response: RefundResponse) -> RefundDone {
    match response.status {
        RefundOutcome::Succeeded => RefundDone::Refunded {
            reference: response.reference.unwrap_or_default(),
        },
        RefundOutcome::Declined => RefundDone::Declined {
            reason: response
                .decline_reason
                .unwrap_or_else(|| "declined".to_owned()),
        },
    }
}

fn decline_reason(code: Option<DeclineCode>) -> DeclineReason {
    match code {
        Some(DeclineCode::InsufficientFunds) => DeclineReason::InsufficientFunds,
        Some(DeclineCode::ExpiredCard) => DeclineReason::ExpiredCard,
        Some(DeclineCode::CvvMismatch) => DeclineReason::CvvMismatch,
        Some(DeclineCode::LostOrStolen) => DeclineReason::LostOrStolen,
        Some(DeclineCode::ThreeDsFailed) => DeclineReason::ThreeDsFailed,
        Some(DeclineCode::DoNotHonour) | None => DeclineReason::DoNotHonour,
    }
}

/// The acquirer's answer in our terms. A refunded order was approved first;
/// refunds are not a state of ours yet.
fn outcome(response: OrderResponse) -> Result<Outcome, ProcessorError> {
    let reference = response.reference.unwrap_or_default();
    match response.status {
        OrderStatus::Approved | OrderStatus::Refunded => Ok(Outcome::Approved { reference }),
        OrderStatus::Declined => Ok(Outcome::Declined {
            reason: decline_reason(response.decline_code),
            reference,
        }),
        OrderStatus::ChallengeRequired => match response.challenge {
            Some(challenge) => Ok(Outcome::ChallengeRequired { url: challenge.url }),
            None => Err(ProcessorError::Unknown(
                "challenge required without a challenge page".into(),
            )),
        },
    }
}

/// The acquirer's request for one authorisation. The card leaves our process
/// only here, for the acquirer; it is never stored.
fn authorise_request(request: &Authorisation<'_>) -> acquirer::protocol::AuthoriseRequest {
    acquirer::protocol::AuthoriseRequest {
        order_id: request.order_id.to_string(),
        amount_minor: request.amount.tyiyn(),
        currency: "KGS".into(),
        card: acquirer::protocol::CardData {
            number: request.card.number.expose_digits().to_string().into(),
            exp_month: request.card.expiry.month(),
            exp_year: request.card.expiry.year(),
            cvv: request.card.cvv.expose().to_string().into(),
            holder: request.card.cardholder.as_str().to_string(),
        },
        return_url: request.return_url.to_string(),
    }
}

/// The outcome an acquirer's notification reports, if it is a final one.
pub fn notification_outcome(notification: &acquirer::protocol::Notification) -> Option<Outcome> {
    let reference = notification.reference.clone().unwrap_or_default();
    match notification.status {
        OrderStatus::Approved => Some(Outcome::Approved { reference }),
        OrderStatus::Declined => Some(Outcome::Declined {
            reason: decline_reason(notification.decline_code),
            reference,
        }),
        OrderStatus::ChallengeRequired | OrderStatus::Refunded => None,
    }
}
