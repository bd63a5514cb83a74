//! What crosses the wire between the browser and the server: the card form's
//! values, field errors as translation keys, and the outcomes of the `pay`
//! server function (which lives with the rest of paying, in `crate::pay`).
//!
//! Nothing here may ever put card data into an error, a URL or a log line:
//! errors carry translation keys only, and the form's `Debug` is redacted.

use domain::{IdempotencyKey, PaymentId};
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use std::fmt;
use zeroize::Zeroizing;

/// The card form exactly as the citizen typed it.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardFormValues {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub cardholder: String,
    /// Wiped from memory when dropped, like the CVV.
    #[serde(default)]
    pub number: Zeroizing<String>,
    #[serde(default)]
    pub exp_month: String,
    #[serde(default)]
    pub exp_year: String,
    #[serde(default)]
    pub cvv: Zeroizing<String>,
    /// Made when the form is rendered: every submit of this form is the same
    /// payment attempt, however often it arrives.
    #[serde(default)]
    pub idempotency_key: String,
    /// The editions of the documents the form named, accepted by paying.
    #[serde(default)]
    pub privacy_policy_edition: String,
    #[serde(default)]
    pub user_agreement_edition: String,
}

impl CardFormValues {
    /// The values that may be sent back to the citizen: the name, the
    /// expiry and the form's own fields; never the card number or the CVV.
    pub fn shown_back(&self) -> Self {
        CardFormValues {
            number: Zeroizing::default(),
            cvv: Zeroizing::default(),
            ..self.clone()
        }
    }
}

impl fmt::Debug for CardFormValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardFormValues")
            .field("code", &self.code)
            .field("idempotency_key", &self.idempotency_key)
            .field("card", &"[redacted]")
            .finish()
    }
}

/// A field of the card form, named as in the HTML (`id` and `name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Field {
    Cardholder,
    Number,
    Expiry,
    Cvv,
}

impl Field {
    pub const ALL: [Field; 4] = [Field::Cardholder, Field::Number, Field::Expiry, Field::Cvv];

    /// The field's place in the form, from 0.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The field's name in the form's `data-errors` attribute, which the
    /// island reads in the browser.
    pub fn name(self) -> &'static str {
        match self {
            Field::Cardholder => "cardholder",
            Field::Number => "number",
            Field::Expiry => "expiry",
            Field::Cvv => "cvv",
        }
    }

    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.name() == name)
    }

    /// The error summary's link to the field's input: `#` and its `id`.
    pub fn anchor(self) -> &'static str {
        match self {
            Field::Cardholder => "#cardholder",
            Field::Number => "#card-number",
            Field::Expiry => "#exp-month",
            Field::Cvv => "#cvv",
        }
    }

    /// The `id` of the input the error summary links to.
    pub fn input_id(self) -> &'static str {
        match self {
            Field::Cardholder => "cardholder",
            Field::Number => "card-number",
            Field::Expiry => "exp-month",
            Field::Cvv => "cvv",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: Field,
    /// A translation key, never text derived from the input.
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayResult {
    Paid {
        receipt_id: PaymentId,
    },
    /// The bank said no. A new attempt needs the new key.
    Declined {
        reason_key: String,
        next_key: IdempotencyKey,
    },
    /// The payment goes on elsewhere: the bank's challenge, or the page that
    /// waits for an answer the acquirer has not given yet.
    Continue {
        url: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayError {
    /// One or more fields failed the card checks.
    Invalid(Vec<FieldError>),
    /// The payment code cannot be paid (unknown, paid, expired or cancelled).
    NotPayable { reason_key: String },
    /// The card processor could not be reached or refused; nothing was charged.
    ProcessorUnavailable { next_key: IdempotencyKey },
    /// The form's key was missing or already used with other details.
    StaleForm { next_key: IdempotencyKey },
    /// A new edition of a document took effect after the form was shown:
    /// nothing was charged; the citizen reads it and submits again.
    EditionsChanged,
    /// Too many people at once: nothing was charged; the same form may be
    /// sent again in a moment.
    Busy,
    /// Too many attempts from this client, with this card or for this code
    /// (the limits on card testing): nothing was sent to the bank; another
    /// attempt is taken after `retry_after_secs`.
    TooManyAttempts { retry_after_secs: u64 },
    /// Something failed on our side; details are in the server log only.
    Internal,
}

impl PayError {
    /// The translation key of the message shown above the form.
    pub fn message_key(&self) -> &str {
        match self {
            PayError::Invalid(_) => "error_summary_title",
            PayError::NotPayable { reason_key } => reason_key,
            PayError::ProcessorUnavailable { .. } => "pay_processor_unavailable",
            PayError::StaleForm { .. } => "pay_stale_form",
            PayError::EditionsChanged => "edition_changed_notice",
            PayError::Busy => "pay_busy",
            PayError::TooManyAttempts { .. } => "pay_too_many_attempts",
            PayError::Internal => "internal_error",
        }
    }
}

impl PayError {
    /// The key a new attempt must carry, when this error ended an attempt.
    pub fn next_key(&self) -> Option<&IdempotencyKey> {
        match self {
            PayError::ProcessorUnavailable { next_key } | PayError::StaleForm { next_key } => {
                Some(next_key)
            }
            _ => None,
        }
    }
}

impl fmt::Display for PayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message_key())
    }
}

impl std::error::Error for PayError {}

impl FromServerFnError for PayError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(_: ServerFnErrorErr) -> Self {
        // Transport and decoding failures say nothing useful to the citizen
        // and must not echo the request back: treat them as our failure.
        PayError::Internal
    }
}
