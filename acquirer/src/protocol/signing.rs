//! Signing and verifying messages (see the protocol's module docs).

use chrono::Utc;
use hmac::digest::{Digest, Key, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub(super) type HmacSha256 = Hmac<Sha256>;

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

/// The `method` part of a response signature: `RESPONSE 200 <the request's
/// signature>` and so on. Naming the request's signature binds the answer to
/// that one request: a signed answer captured for one order (an error, say)
/// cannot be replayed as the answer to another request on the same path.
pub fn response_method(status: u16, request_signature: &str) -> String {
    format!("RESPONSE {status} {request_signature}")
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
