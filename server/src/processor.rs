//! Card processors: the trait the payment service charges cards through, and
//! the in-process sandbox used by the run command and the tests.

use app::backend::DeclineReason;
use app::card_form::CheckedCard;
use async_trait::async_trait;
use domain::Money;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Authorisation<'a> {
    /// Our payment id; the processor's idempotency key.
    pub order_id: &'a str,
    pub amount: Money,
    pub card: &'a CheckedCard,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorisationResult {
    Approved {
        reference: String,
    },
    Declined {
        reason: DeclineReason,
        reference: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The processor answered that it could not process the payment; nothing was charged.
    #[error("the processor refused to process: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait CardProcessor: Send + Sync {
    async fn authorise(
        &self,
        request: Authorisation<'_>,
    ) -> Result<AuthorisationResult, ProcessorError>;
}

/// What a sandbox test card does. Any other valid card is approved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandboxBehaviour {
    Approve,
    Decline(DeclineReason),
    ProcessorError,
}

/// The documented sandbox test cards (also listed in the README).
pub const SANDBOX_CARDS: &[(&str, SandboxBehaviour)] = &[
    ("4111111111111111", SandboxBehaviour::Approve),
    ("5555555555554444", SandboxBehaviour::Approve),
    (
        "4000000000009995",
        SandboxBehaviour::Decline(DeclineReason::InsufficientFunds),
    ),
    (
        "4000000000000002",
        SandboxBehaviour::Decline(DeclineReason::DoNotHonour),
    ),
    (
        "4000000000000069",
        SandboxBehaviour::Decline(DeclineReason::ExpiredCard),
    ),
    (
        "4000000000000127",
        SandboxBehaviour::Decline(DeclineReason::CvvMismatch),
    ),
    ("4000000000000119", SandboxBehaviour::ProcessorError),
];

/// An in-process processor that behaves like an acquirer's test environment.
#[derive(Default)]
pub struct SandboxProcessor {
    calls: AtomicUsize,
}

impl SandboxProcessor {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many authorisations reached the processor; tests use it to prove
    /// that refused payments never get this far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn behaviour(digits: &str) -> SandboxBehaviour {
        SANDBOX_CARDS
            .iter()
            .find(|(card, _)| *card == digits)
            .map(|(_, behaviour)| *behaviour)
            .unwrap_or(SandboxBehaviour::Approve)
    }
}

#[async_trait]
impl CardProcessor for SandboxProcessor {
    async fn authorise(
        &self,
        request: Authorisation<'_>,
    ) -> Result<AuthorisationResult, ProcessorError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let reference =
            format!("SBX{}", &uuid::Uuid::new_v4().simple().to_string()[..10]).to_ascii_uppercase();
        match Self::behaviour(request.card.number.expose_digits()) {
            SandboxBehaviour::Approve => Ok(AuthorisationResult::Approved { reference }),
            SandboxBehaviour::Decline(reason) => {
                Ok(AuthorisationResult::Declined { reason, reference })
            }
            SandboxBehaviour::ProcessorError => Err(ProcessorError::Unavailable(
                "sandbox test card for a processor error".into(),
            )),
        }
    }
}
