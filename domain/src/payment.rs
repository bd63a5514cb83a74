//! The life of one card payment: its states and the only transitions allowed
//! between them. Storage applies a transition as a guarded update (`... WHERE
//! status = <from>`), so two actors can never both move the same payment.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentState {
    /// Recorded, nothing sent to the acquirer yet.
    Created,
    /// Written before the acquirer is called; it is the lock.
    Authorising,
    /// The issuer wants a 3-D Secure challenge first.
    ThreeDsRequired,
    Succeeded,
    Declined,
    /// The acquirer answered that nothing was charged.
    Failed,
    /// The request may have reached the acquirer but no answer came back;
    /// only reconciliation with the acquirer may settle it.
    Unknown,
    /// Abandoned before it reached the acquirer, or in a challenge.
    Expired,
}

impl PaymentState {
    pub const ALL: [PaymentState; 8] = [
        PaymentState::Created,
        PaymentState::Authorising,
        PaymentState::ThreeDsRequired,
        PaymentState::Succeeded,
        PaymentState::Declined,
        PaymentState::Failed,
        PaymentState::Unknown,
        PaymentState::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Created => "created",
            PaymentState::Authorising => "authorising",
            PaymentState::ThreeDsRequired => "three_ds_required",
            PaymentState::Succeeded => "succeeded",
            PaymentState::Declined => "declined",
            PaymentState::Failed => "failed",
            PaymentState::Unknown => "unknown",
            PaymentState::Expired => "expired",
        }
    }

    pub fn from_str_opt(s: &str) -> Option<PaymentState> {
        PaymentState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
    }

    /// A final state never changes again (money returned after it is a
    /// refund, with states of its own: [`crate::RefundState`]).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentState::Succeeded
                | PaymentState::Declined
                | PaymentState::Failed
                | PaymentState::Expired
        )
    }

    /// Whether the payment may move from `self` to `next`.
    pub fn can_transition_to(self, next: PaymentState) -> bool {
        use PaymentState::*;
        matches!(
            (self, next),
            (Created, Authorising)
                | (Created, Expired)
                | (Authorising, ThreeDsRequired)
                | (Authorising, Succeeded)
                | (Authorising, Declined)
                | (Authorising, Failed)
                | (Authorising, Unknown)
                | (ThreeDsRequired, Authorising)
                | (ThreeDsRequired, Declined)
                | (ThreeDsRequired, Expired)
                // The acquirer's notification of the challenge's outcome can
                // arrive before the browser returns from it.
                | (ThreeDsRequired, Succeeded)
                | (Unknown, Succeeded)
                | (Unknown, Declined)
                // The acquirer has no charge for it: nothing was taken.
                | (Unknown, Failed)
                // The acquirer holds it at a challenge the citizen can still answer.
                | (Unknown, ThreeDsRequired)
        )
    }

    /// The transition to `next`, or an error naming both states.
    pub fn transition_to(self, next: PaymentState) -> Result<PaymentState, InvalidTransition> {
        if self.can_transition_to(next) {
            Ok(next)
        } else {
            Err(InvalidTransition {
                from: self,
                to: next,
            })
        }
    }
}

impl fmt::Display for PaymentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidTransition {
    pub from: PaymentState,
    pub to: PaymentState,
}

impl fmt::Display for InvalidTransition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a payment cannot go from {} to {}", self.from, self.to)
    }
}

impl std::error::Error for InvalidTransition {}

#[cfg(test)]
mod tests {
    use super::PaymentState::{self, *};

    const ALLOWED: &[(PaymentState, PaymentState)] = &[
        (Created, Authorising),
        (Created, Expired),
        (Authorising, ThreeDsRequired),
        (Authorising, Succeeded),
        (Authorising, Declined),
        (Authorising, Failed),
        (Authorising, Unknown),
        (ThreeDsRequired, Authorising),
        (ThreeDsRequired, Declined),
        (ThreeDsRequired, Expired),
        (ThreeDsRequired, Succeeded),
        (Unknown, Succeeded),
        (Unknown, Declined),
        (Unknown, Failed),
        (Unknown, ThreeDsRequired),
    ];

    #[test]
    fn every_allowed_transition_is_allowed() {
        for (from, to) in ALLOWED {
            assert_eq!(from.transition_to(*to), Ok(*to), "{from} -> {to}");
        }
    }

    #[test]
    fn every_other_transition_is_refused() {
        let mut refused = 0;
        for from in PaymentState::ALL {
            for to in PaymentState::ALL {
                if !ALLOWED.contains(&(from, to)) {
                    let error = from.transition_to(to).unwrap_err();
                    assert_eq!((error.from, error.to), (from, to));
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, 64 - ALLOWED.len());
    }

    #[test]
    fn final_states_have_no_way_out() {
        for from in PaymentState::ALL.into_iter().filter(|s| s.is_final()) {
            for to in PaymentState::ALL {
                assert!(!from.can_transition_to(to), "{from} -> {to}");
            }
        }
        for state in [Created, Authorising, ThreeDsRequired, Unknown] {
            assert!(!state.is_final());
            assert!(
                PaymentState::ALL
                    .iter()
                    .any(|to| state.can_transition_to(*to))
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for state in PaymentState::ALL {
            assert_eq!(PaymentState::from_str_opt(state.as_str()), Some(state));
        }
        assert_eq!(PaymentState::from_str_opt("approved"), None);
    }
}
