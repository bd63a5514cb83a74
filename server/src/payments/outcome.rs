//! How an acquirer's answer moves a payment ([`Settlement`]), and what a
//! submit reports for a payment in a given state.

use crate::processor::{Outcome, ProcessorError};
use crate::storage::PaymentRecord;
use app::services::{ChargeOutcome, ServiceError};
use domain::{DeclineReason, PaymentId, PaymentState};

/// What a payment becomes after an acquirer's answer.
pub(super) struct Settlement {
    pub(super) to: PaymentState,
    pub(super) reason: String,
    pub(super) reference: Option<String>,
    pub(super) decline: Option<DeclineReason>,
    pub(super) challenge_url: Option<String>,
}

impl Settlement {
    pub(super) fn to(to: PaymentState, reason: impl Into<String>) -> Settlement {
        Settlement {
            to,
            reason: reason.into(),
            reference: None,
            decline: None,
            challenge_url: None,
        }
    }

    pub(super) fn from_outcome(outcome: Outcome, source: &str) -> Settlement {
        match outcome {
            Outcome::Approved { reference } => Settlement {
                reference: Some(reference),
                ..Settlement::to(PaymentState::Succeeded, format!("{source}: approved"))
            },
            Outcome::Declined { reason, reference } => Settlement {
                reference: Some(reference),
                decline: Some(reason),
                ..Settlement::to(
                    PaymentState::Declined,
                    format!("{source}: declined, {}", reason.as_str()),
                )
            },
            Outcome::ChallengeRequired { url } => Settlement {
                challenge_url: Some(url),
                ..Settlement::to(
                    PaymentState::ThreeDsRequired,
                    format!("{source}: challenge"),
                )
            },
        }
    }

    /// The answer to an authorisation or a challenge completion.
    pub(super) fn from_answer(answer: Result<Outcome, ProcessorError>, source: &str) -> Settlement {
        match answer {
            Ok(outcome) => Settlement::from_outcome(outcome, source),
            Err(ProcessorError::NotProcessed(why)) => Settlement::to(
                PaymentState::Failed,
                format!("{source}: not processed: {why}"),
            ),
            Err(ProcessorError::Unknown(why)) => {
                Settlement::to(PaymentState::Unknown, format!("{source}: no answer: {why}"))
            }
        }
    }
}

/// The outcome a submit reports for a payment in `record`'s state.
pub(super) fn outcome_of(record: &PaymentRecord) -> Result<ChargeOutcome, ServiceError> {
    outcome_in(&record.id, record.state, Some(decline_of(record)))
}

/// The outcome a submit reports for payment `id` in `state`.
pub(super) fn outcome_in(
    id: &PaymentId,
    state: PaymentState,
    decline: Option<DeclineReason>,
) -> Result<ChargeOutcome, ServiceError> {
    match state {
        PaymentState::Succeeded => Ok(ChargeOutcome::Paid {
            receipt_id: id.clone(),
        }),
        PaymentState::Declined => Ok(ChargeOutcome::Declined {
            reason: decline.unwrap_or(DeclineReason::DoNotHonour),
        }),
        PaymentState::Failed => Err(ServiceError::ProcessorUnavailable),
        PaymentState::Created
        | PaymentState::Authorising
        | PaymentState::ThreeDsRequired
        | PaymentState::Unknown
        | PaymentState::Expired => Ok(ChargeOutcome::Continue {
            payment_id: id.clone(),
        }),
    }
}

pub(super) fn decline_of(record: &PaymentRecord) -> DeclineReason {
    record
        .decline_reason
        .as_deref()
        .and_then(DeclineReason::from_str_opt)
        .unwrap_or(DeclineReason::DoNotHonour)
}
