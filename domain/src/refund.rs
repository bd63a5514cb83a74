//! Refunds: money returned on a payment, with states of their own so that a
//! refund whose answer was lost is settled like a payment, never guessed.
//!
//! ```text
//! required ──▶ submitted ──▶ refunded
//!    ▲             │  └────▶ failed        (the acquirer refused for good)
//!    │             ▼
//!    └──────── unknown ───▶ refunded | failed
//! ```
//! `required` is written in the same transaction as its cause; a worker
//! submits it, retrying with backoff until the outcome is definite.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefundState {
    /// Owed to the cardholder, not yet sent (or sent and not processed).
    Required,
    /// Sent to the acquirer; its answer is awaited.
    Submitted,
    /// The answer was lost: only the acquirer's status can tell.
    Unknown,
    Refunded,
    /// The acquirer refused it for good: a person must act.
    Failed,
}

impl RefundState {
    pub const ALL: [RefundState; 5] = [
        Self::Required,
        Self::Submitted,
        Self::Unknown,
        Self::Refunded,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Submitted => "submitted",
            Self::Unknown => "unknown",
            Self::Refunded => "refunded",
            Self::Failed => "failed",
        }
    }

    pub fn from_str_opt(text: &str) -> Option<RefundState> {
        Self::ALL.into_iter().find(|state| state.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Refunded | Self::Failed)
    }

    /// Whether a refund may move from `self` to `next`.
    pub fn can_transition_to(self, next: RefundState) -> bool {
        use RefundState::*;
        matches!(
            (self, next),
            (Required, Submitted)
                | (Submitted, Refunded)
                | (Submitted, Failed)
                // Not processed: owed still, tried again later.
                | (Submitted, Required)
                | (Submitted, Unknown)
                | (Unknown, Refunded)
                // The acquirer's status: it declined the refund.
                | (Unknown, Failed)
                // The acquirer has the charge and no refund: send it again
                // (the refund is idempotent on the order).
                | (Unknown, Required)
        )
    }
}

impl fmt::Display for RefundState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why money is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefundCause {
    /// The acquirer charged a payment we had already closed (declined,
    /// failed or expired): the citizen was told nothing was taken.
    ChargeOnClosedPayment,
    /// A person asked for it (the back office).
    Requested,
}

impl RefundCause {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChargeOnClosedPayment => "charge_on_closed_payment",
            Self::Requested => "requested",
        }
    }

    pub fn from_str_opt(text: &str) -> Option<RefundCause> {
        [Self::ChargeOnClosedPayment, Self::Requested]
            .into_iter()
            .find(|cause| cause.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::RefundState::{self, *};

    #[test]
    fn names_round_trip() {
        for state in RefundState::ALL {
            assert_eq!(RefundState::from_str_opt(state.as_str()), Some(state));
        }
        assert_eq!(RefundState::from_str_opt("done"), None);
    }

    #[test]
    fn final_states_never_move_and_nothing_skips_submission() {
        for from in RefundState::ALL {
            for to in RefundState::ALL {
                if from.is_final() {
                    assert!(!from.can_transition_to(to), "{from} -> {to}");
                }
                if to == Refunded && from == Required {
                    assert!(!from.can_transition_to(to), "a refund is sent first");
                }
            }
        }
        assert!(Submitted.can_transition_to(Unknown));
        assert!(Unknown.can_transition_to(Refunded));
    }
}
