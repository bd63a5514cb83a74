//! What follows a submit of the pay form, decided once for the island, the
//! no-JavaScript handler and the pay page: go somewhere (the receipt, the
//! payment's status page), or show the form again with what to say, the
//! HTTP status of that page, and the new idempotency key when the attempt
//! ended (a declined or refused attempt is over; the next submit is another).

use crate::api::{FieldError, PayError, PayResult};
use crate::paths;
use domain::IdempotencyKey;

/// How long a busy site asks for, as `crate::http::RETRY_AFTER_SECS` says
/// (that module is the server's only).
pub const BUSY_RETRY_AFTER_SECS: u64 = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// The browser goes to this page of the site.
    GoTo(String),
    FormAgain(FormAgain),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormAgain {
    pub errors: Vec<FieldError>,
    /// The translation key of a message above the form.
    pub notice: Option<String>,
    /// The key the next submit must carry, when this one ended an attempt.
    pub next_key: Option<IdempotencyKey>,
    /// The status of the page that shows the form again.
    pub status: u16,
    /// The page itself changed (a new edition took effect): the island
    /// posts the form as a browser without JavaScript would, to get it.
    pub reload: bool,
    /// Seconds before the form may be sent again (`Retry-After`): a busy
    /// site, or too many attempts.
    pub retry_after_secs: Option<u64>,
}

impl FormAgain {
    fn new(status: u16) -> FormAgain {
        FormAgain {
            errors: Vec::new(),
            notice: None,
            next_key: None,
            status,
            reload: false,
            retry_after_secs: None,
        }
    }

    /// `Retry-After`, when the page that shows the form again needs one.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after_secs
    }

    /// The form again after a refused submit.
    pub fn after(error: &PayError) -> FormAgain {
        let mut again = FormAgain {
            notice: Some(error.message_key().to_string()),
            next_key: error.next_key().cloned(),
            ..FormAgain::new(match error {
                PayError::Invalid(_) => 422,
                PayError::NotPayable { .. } | PayError::StaleForm { .. } => 409,
                PayError::EditionsChanged => 409,
                PayError::ProcessorUnavailable { .. } => 502,
                PayError::Busy => 503,
                PayError::TooManyAttempts { .. } => 429,
                PayError::Internal => 500,
            })
        };
        match error {
            PayError::Invalid(errors) => {
                again.errors = errors.clone();
                again.notice = None;
            }
            PayError::EditionsChanged => again.reload = true,
            PayError::Busy => {
                again.retry_after_secs = Some(BUSY_RETRY_AFTER_SECS);
            }
            PayError::TooManyAttempts { retry_after_secs } => {
                again.retry_after_secs = Some(*retry_after_secs);
            }
            _ => {}
        }
        again
    }
}

pub fn next_step(outcome: &Result<PayResult, PayError>) -> NextStep {
    match outcome {
        Ok(PayResult::Paid { receipt_id }) => NextStep::GoTo(paths::receipt(receipt_id)),
        Ok(PayResult::Continue { url }) => NextStep::GoTo(url.clone()),
        Ok(PayResult::Declined {
            reason_key,
            next_key,
        }) => NextStep::FormAgain(FormAgain {
            notice: Some(reason_key.clone()),
            next_key: Some(next_key.clone()),
            ..FormAgain::new(402)
        }),
        Err(error) => NextStep::FormAgain(FormAgain::after(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Field;
    use domain::PaymentId;

    fn again(outcome: Result<PayResult, PayError>) -> FormAgain {
        match next_step(&outcome) {
            NextStep::FormAgain(again) => again,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_paid_or_continuing_payment_goes_on_to_its_page() {
        let id = PaymentId::from_u128(7);
        assert_eq!(
            next_step(&Ok(PayResult::Paid {
                receipt_id: id.clone()
            })),
            NextStep::GoTo(paths::receipt(&id))
        );
        assert_eq!(
            next_step(&Ok(PayResult::Continue {
                url: paths::payment(&id)
            })),
            NextStep::GoTo(paths::payment(&id))
        );
    }

    #[test]
    fn an_attempt_that_ended_hands_over_a_new_key_and_one_that_did_not_keeps_its_own() {
        let next = IdempotencyKey::from_u128(9);
        let declined = again(Ok(PayResult::Declined {
            reason_key: "decline_do_not_honour".into(),
            next_key: next.clone(),
        }));
        assert_eq!(
            (declined.status, declined.next_key),
            (402, Some(next.clone()))
        );
        let refused = again(Err(PayError::ProcessorUnavailable {
            next_key: next.clone(),
        }));
        assert_eq!((refused.status, refused.next_key), (502, Some(next)));
        for kept in [
            PayError::Busy,
            PayError::EditionsChanged,
            PayError::Internal,
        ] {
            assert_eq!(again(Err(kept.clone())).next_key, None, "{kept:?}");
        }
    }

    #[test]
    fn each_refusal_has_its_status_and_says_why() {
        let invalid = again(Err(PayError::Invalid(vec![FieldError {
            field: Field::Cvv,
            key: "cvv_empty".into(),
        }])));
        assert_eq!((invalid.status, invalid.errors.len()), (422, 1));
        assert_eq!(invalid.notice, None, "the field errors say it");
        let busy = again(Err(PayError::Busy));
        assert_eq!(
            (busy.status, busy.notice.as_deref()),
            (503, Some("pay_busy"))
        );
        let blocked = again(Err(PayError::TooManyAttempts {
            retry_after_secs: 600,
        }));
        assert_eq!(
            (blocked.status, blocked.retry_after(), blocked.next_key),
            (429, Some(600), None)
        );
        assert_eq!(busy.retry_after(), Some(2));
        let changed = again(Err(PayError::EditionsChanged));
        assert_eq!(changed.status, 409);
        assert!(changed.reload);
    }
}
