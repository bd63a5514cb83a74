//! The JSON messages of the protocol. Card data travels in one direction
//! only, and every card-bearing type's `Debug` is redacted.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroizing;

/// Masks a card number for display and logs: the first six and last four
/// digits, stars between (`411111******1111`). Anything that is not a
/// plausible card number is masked whole.
pub fn mask_card_number(number: &str) -> String {
    let len = number.len();
    if (12..=19).contains(&len) && number.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "{}{}{}",
            &number[..6],
            "*".repeat(len - 10),
            &number[len - 4..]
        )
    } else {
        "****".to_owned()
    }
}

/// A card as the merchant sends it to the acquirer. Only ever travels in an
/// authorisation request; `Debug` shows the masked number and nothing else
/// that is secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardData {
    /// The full card number (PAN), digits only; wiped from memory on drop.
    pub number: Zeroizing<String>,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvv: Zeroizing<String>,
    pub holder: String,
}

impl CardData {
    /// The number as `411111******1111`.
    pub fn masked(&self) -> String {
        mask_card_number(&self.number)
    }
}

impl fmt::Debug for CardData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardData")
            .field("number", &self.masked())
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvv", &"***")
            .field("holder", &"<redacted>")
            .finish()
    }
}

/// `POST /v1/orders`: charge a card. `order_id` is the merchant's idempotency
/// key: repeating the same request returns the same order, never a second charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthoriseRequest {
    pub order_id: String,
    /// The amount in minor units (tyiyn for KGS).
    pub amount_minor: i64,
    /// ISO 4217 code; the sandbox only accepts `KGS`.
    pub currency: String,
    pub card: CardData,
    /// Where the 3-D Secure challenge page sends the browser back to, by an
    /// auto-posting form with one field, `cres`. Absolute `http(s)` URL, or a
    /// path when the challenge page is served by the merchant's own origin.
    pub return_url: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Charged.
    Approved,
    /// Not charged; `decline_code` says why.
    Declined,
    /// Not charged yet: the cardholder must pass the challenge at
    /// `challenge.url`, then the merchant calls the challenge endpoint.
    ChallengeRequired,
    /// Charged, then refunded in full (one refund or several).
    Refunded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    InsufficientFunds,
    DoNotHonour,
    ExpiredCard,
    CvvMismatch,
    LostOrStolen,
    ThreeDsFailed,
}

/// How 3-D Secure authenticated the cardholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreeDsMode {
    /// The issuer authenticated without asking the cardholder anything.
    Frictionless,
    /// The cardholder had to answer a challenge.
    Challenge,
}

/// Where to send the cardholder's browser for a 3-D Secure challenge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// The full URL of the challenge page, token included. The browser may
    /// `POST` (an auto-posting form) or `GET` it; no fields are needed.
    pub url: String,
}

/// The acquirer's view of an order: the answer to every `/v1/orders` call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderResponse {
    pub order_id: String,
    pub status: OrderStatus,
    pub amount_minor: i64,
    pub currency: String,
    /// The acquirer's reference, once the order has a final outcome.
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub decline_code: Option<DeclineCode>,
    /// Present while `status` is `challenge_required`.
    #[serde(default)]
    pub challenge: Option<Challenge>,
    #[serde(default)]
    pub three_ds: Option<ThreeDsMode>,
}

/// `POST /v1/orders/{order_id}/challenge`: the `cres` the challenge page
/// posted back to the merchant's `return_url`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompleteChallengeRequest {
    pub cres: String,
}

/// `POST /v1/orders/{order_id}/refunds`: returns part or all of an approved
/// order. Idempotent on `refund_id`: sending it again with the same amount
/// answers the same refund and returns nothing more.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The merchant's id for this refund, unique per order.
    pub refund_id: String,
    pub amount_minor: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundOutcome {
    /// The money is on its way back to the card.
    Succeeded,
    /// The acquirer refused this refund for good; nothing was returned.
    Declined,
}

/// The answer to a refund and to `GET /v1/orders/{order_id}/refunds/{refund_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundResponse {
    pub refund_id: String,
    pub order_id: String,
    pub status: RefundOutcome,
    pub amount_minor: i64,
    /// The acquirer's reference of a refund that succeeded.
    #[serde(default)]
    pub reference: Option<String>,
    /// Why a declined refund was refused.
    #[serde(default)]
    pub decline_reason: Option<String>,
}

/// The body of every non-2xx answer. The text never contains card data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// Acquirer → merchant, `POST` to the merchant's notification URL once an
/// order reaches a final outcome. Signed like a request. May arrive late,
/// twice, or never: the merchant treats it as a hint to check the order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub order_id: String,
    pub status: OrderStatus,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub decline_code: Option<DeclineCode>,
}

/// One order in the sandbox acquirer's ledger. Holds only the first six and
/// last four digits of the card: never the full number, never the CVV.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: OrderStatus,
    pub reference: Option<String>,
    pub card_first6: String,
    pub card_last4: String,
    /// `visa`, `mastercard`, `mir`, `amex` or `unknown`, from the first digits.
    pub card_brand: String,
    pub three_ds: Option<ThreeDsMode>,
    /// How much was refunded so far, once any refund succeeded.
    #[serde(default)]
    pub refunded_minor: Option<i64>,
    pub created_at: DateTime<Utc>,
}
