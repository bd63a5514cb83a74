//! The wire protocol between a merchant (our site) and the card acquirer:
//! the JSON messages and how both sides sign them.
//!
//! Every message is signed with HMAC-SHA256 under a key both sides share.
//! The signed text is `"{timestamp}\n{method}\n{path}\n"` followed by the raw
//! body bytes, and travels in two headers, [`TIMESTAMP_HEADER`] (Unix seconds)
//! and [`SIGNATURE_HEADER`] (lowercase hex):
//!
//! - requests (merchant → acquirer) sign the HTTP method and the request path
//!   including its query, e.g. `POST` and `/v1/orders`;
//! - responses sign `RESPONSE <status code>` (see [`response_method`]) and the
//!   path of the request they answer, so an answer cannot be replayed for
//!   another request or with another status;
//! - notifications (acquirer → merchant) are signed like requests: `POST` and
//!   the path of the notification URL.
//!
//! A signature older or newer than [`MAX_SKEW_SECS`] is refused, which bounds
//! how long a captured message can be replayed; the acquirer's idempotency on
//! order ids makes a replay inside that window harmless.
//!
//! The messages carry card data ([`CardData`]) in one direction only, and the
//! `Debug` output of every card-bearing type is redacted so that a stray
//! `{:?}` in a log line cannot leak a card number or a CVV.

use chrono::{DateTime, Utc};
use hmac::digest::{Digest, Key, KeyInit};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// Header carrying the Unix time (seconds) the message was signed at.
pub const TIMESTAMP_HEADER: &str = "x-acquirer-timestamp";
/// Header carrying the lowercase hex HMAC-SHA256 signature.
pub const SIGNATURE_HEADER: &str = "x-acquirer-signature";
/// How far a signature's timestamp may be from the verifier's clock.
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a signature was refused. The texts name no key, body or card data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature headers are missing")]
    Missing,
    #[error("the signature headers are malformed")]
    Malformed,
    #[error("the signature timestamp is outside the allowed clock skew")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// The `method` part of a response signature: `RESPONSE 200` and so on.
pub fn response_method(status: u16) -> String {
    format!("RESPONSE {status}")
}

/// HMAC-SHA256 keyed exactly as RFC 2104 says: keys longer than a block are
/// hashed, shorter ones zero-padded. `Hmac::new_from_slice` does the same but
/// returns a `Result` that can never be an error; building the block here
/// keeps signing infallible without an `unwrap`.
fn keyed(key: &[u8]) -> HmacSha256 {
    let mut block = Key::<HmacSha256>::default();
    if key.len() > block.len() {
        let digest = Sha256::digest(key);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    <HmacSha256 as KeyInit>::new(&block)
}

fn mac(key: &[u8], timestamp: i64, method: &str, path: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = keyed(key);
    mac.update(format!("{timestamp}\n{method}\n{path}\n").as_bytes());
    mac.update(body);
    mac
}

/// Signs a message: lowercase hex of HMAC-SHA256 over
/// `"{timestamp}\n{method}\n{path}\n"` followed by `body`.
pub fn sign(key: &[u8], timestamp: i64, method: &str, path: &str, body: &[u8]) -> String {
    hex::encode(
        mac(key, timestamp, method, path, body)
            .finalize()
            .into_bytes(),
    )
}

/// The path and query of a URL, as a signature covers them.
pub(crate) fn path_and_query(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// Checks a signature in constant time, and that its timestamp is within
/// [`MAX_SKEW_SECS`] of `now_unix`.
pub fn verify(
    key: &[u8],
    timestamp: i64,
    method: &str,
    path: &str,
    body: &[u8],
    signature_hex: &str,
    now_unix: i64,
) -> Result<(), SignatureError> {
    if now_unix.abs_diff(timestamp) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let signature = hex::decode(signature_hex.trim()).map_err(|_| SignatureError::Malformed)?;
    mac(key, timestamp, method, path, body)
        .verify_slice(&signature)
        .map_err(|_| SignatureError::Mismatch)
}

/// Reads the two signature headers and verifies them; for receivers built on
/// `http` types (axum handlers, reqwest responses, the merchant's
/// notification endpoint).
pub fn verify_headers(
    key: &[u8],
    headers: &axum::http::HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
    now_unix: i64,
) -> Result<(), SignatureError> {
    let (Some(timestamp), Some(signature)) =
        (headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER))
    else {
        return Err(SignatureError::Missing);
    };
    let timestamp: i64 = timestamp
        .to_str()
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .ok_or(SignatureError::Malformed)?;
    let signature = signature.to_str().map_err(|_| SignatureError::Malformed)?;
    verify(key, timestamp, method, path, body, signature, now_unix)
}

/// The current Unix time in seconds, the clock signatures are made and checked with.
pub fn now_unix() -> i64 {
    Utc::now().timestamp()
}

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
    /// The full card number (PAN), digits only.
    pub number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvv: String,
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
    /// Charged, then refunded.
    Refunded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    InsufficientFunds,
    DoNotHonour,
    ExpiredCard,
    CvvMismatch,
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

/// `POST /v1/orders/{order_id}/refund`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub amount_minor: i64,
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
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key";

    #[test]
    fn round_trip() {
        let sig = sign(KEY, 1_700_000_000, "POST", "/v1/orders", b"{\"a\":1}");
        assert_eq!(sig.len(), 64);
        assert!(
            sig.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
        assert_eq!(
            verify(
                KEY,
                1_700_000_000,
                "POST",
                "/v1/orders",
                b"{\"a\":1}",
                &sig,
                1_700_000_100
            ),
            Ok(())
        );
    }

    #[test]
    fn matches_the_textbook_hmac() {
        // The signed text is the three header lines followed by the body.
        let expected = {
            let mut m = <HmacSha256 as Mac>::new_from_slice(KEY).expect("any key length");
            m.update(b"42\nGET\n/v1/orders/a?x=1\nbody");
            hex::encode(m.finalize().into_bytes())
        };
        assert_eq!(sign(KEY, 42, "GET", "/v1/orders/a?x=1", b"body"), expected);
        // Keys longer than a SHA-256 block are hashed first, as RFC 2104 says.
        let long = [7u8; 100];
        let expected = {
            let mut m = <HmacSha256 as Mac>::new_from_slice(&long).expect("any key length");
            m.update(b"1\nPOST\n/\n");
            hex::encode(m.finalize().into_bytes())
        };
        assert_eq!(sign(&long, 1, "POST", "/", b""), expected);
    }

    #[test]
    fn tampering_is_refused() {
        let (ts, now) = (1_700_000_000, 1_700_000_000);
        let sig = sign(KEY, ts, "POST", "/v1/orders", b"body");
        let bad = |key: &[u8], ts, method, path, body: &[u8], sig: &str| {
            verify(key, ts, method, path, body, sig, now)
        };
        assert_eq!(
            bad(KEY, ts, "POST", "/v1/orders", b"bodY", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            bad(KEY, ts, "POST", "/v1/orders/x", b"body", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            bad(KEY, ts, "GET", "/v1/orders", b"body", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            bad(KEY, ts + 1, "POST", "/v1/orders", b"body", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            bad(b"other", ts, "POST", "/v1/orders", b"body", &sig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            bad(KEY, ts, "POST", "/v1/orders", b"body", "zz"),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            bad(KEY, ts, "POST", "/v1/orders", b"body", &sig[..62]),
            Err(SignatureError::Mismatch)
        );
        // A response signature is not a request signature.
        let response = sign(KEY, ts, &response_method(200), "/v1/orders", b"body");
        assert_eq!(
            bad(KEY, ts, "POST", "/v1/orders", b"body", &response),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            bad(
                KEY,
                ts,
                &response_method(500),
                "/v1/orders",
                b"body",
                &response
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn clock_skew_is_bounded() {
        let ts = 1_700_000_000;
        let sig = sign(KEY, ts, "GET", "/v1/orders/a", b"");
        let at = |now| verify(KEY, ts, "GET", "/v1/orders/a", b"", &sig, now);
        assert_eq!(at(ts + 300), Ok(()));
        assert_eq!(at(ts - 300), Ok(()));
        assert_eq!(at(ts + 301), Err(SignatureError::Stale));
        assert_eq!(at(ts - 301), Err(SignatureError::Stale));
        assert_eq!(
            verify(KEY, i64::MIN, "GET", "/", b"", &sig, i64::MAX),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn headers_are_read_and_checked() {
        let mut headers = axum::http::HeaderMap::new();
        let now = now_unix();
        assert_eq!(
            verify_headers(KEY, &headers, "POST", "/n", b"x", now),
            Err(SignatureError::Missing)
        );
        headers.insert(TIMESTAMP_HEADER, now.to_string().parse().expect("header"));
        headers.insert(
            SIGNATURE_HEADER,
            sign(KEY, now, "POST", "/n", b"x").parse().expect("header"),
        );
        assert_eq!(
            verify_headers(KEY, &headers, "POST", "/n", b"x", now),
            Ok(())
        );
        headers.insert(TIMESTAMP_HEADER, "soon".parse().expect("header"));
        assert_eq!(
            verify_headers(KEY, &headers, "POST", "/n", b"x", now),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn card_debug_is_redacted() {
        let request = AuthoriseRequest {
            order_id: "o1".into(),
            amount_minor: 100,
            currency: "KGS".into(),
            card: CardData {
                number: "4111111111111111".into(),
                exp_month: 12,
                exp_year: 2030,
                cvv: "987".into(),
                holder: "AIDA ASANOVA".into(),
            },
            return_url: "/back".into(),
        };
        let debug = format!("{request:?} {request:#?}");
        assert!(!debug.contains("4111111111111111"), "{debug}");
        assert!(!debug.contains("987"), "{debug}");
        assert!(!debug.contains("ASANOVA"), "{debug}");
        assert!(debug.contains("411111******1111"), "{debug}");
    }

    #[test]
    fn masking() {
        assert_eq!(mask_card_number("5555555555554444"), "555555******4444");
        assert_eq!(
            mask_card_number("4000000000000000000"),
            "400000*********0000"
        );
        assert_eq!(mask_card_number("12345"), "****");
        assert_eq!(mask_card_number("4111 1111 1111 1111"), "****");
    }

    #[test]
    fn enums_are_snake_case_on_the_wire() {
        let json = serde_json::to_string(&(
            OrderStatus::ChallengeRequired,
            DeclineCode::ThreeDsFailed,
            ThreeDsMode::Frictionless,
        ))
        .expect("serialise");
        assert_eq!(
            json,
            r#"["challenge_required","three_ds_failed","frictionless"]"#
        );
    }
}
