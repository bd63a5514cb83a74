//! The HTTP client the site charges cards through.
//!
//! Its errors answer the one question that matters after a failed call:
//! *could the card have been charged?*
//!
//! - [`ClientError::NotSent`]: the request provably never reached the
//!   acquirer (connection refused, DNS, connect timeout): nothing charged.
//! - [`ClientError::Rejected`]: the acquirer answered, with a valid signature,
//!   that it did not process the request (a 4xx, or a 503): nothing charged.
//! - [`ClientError::Unknown`]: the request went out but no trustworthy answer
//!   came back (read timeout, broken connection, another 5xx, a malformed,
//!   unsigned or badly signed answer): the card may have been charged, and
//!   only [`Client::status`] can tell.
//!
//! So `authorise` is never retried here: a blind retry after `Unknown` is
//! safe only because the acquirer is idempotent on the order id, and the
//! caller, not the transport, must decide to lean on that. `status` is a
//! read and is retried with exponential backoff.

mod wire;

use wire::{Reply, answer, encode, encode_segment, order_answer, send_error};

use crate::protocol::{
    self, AuthoriseRequest, CompleteChallengeRequest, OrderResponse, RefundRequest, RefundResponse,
};
use reqwest::{Method, StatusCode, Url};
use std::fmt;
use std::time::Duration;

/// The largest answer the client reads.
const MAX_ANSWER: usize = 256 * 1024;
/// The longest acquirer error text passed on.
const MAX_ERROR_TEXT: usize = 200;

#[derive(Clone)]
pub struct ClientConfig {
    /// Where the acquirer's API lives, e.g. `http://127.0.0.1:4000`.
    pub base_url: String,
    /// The HMAC key shared with the acquirer. Never printed.
    pub key: Vec<u8>,
    pub connect_timeout: Duration,
    /// For the whole exchange, connecting and reading the answer included.
    pub request_timeout: Duration,
    /// How many times [`Client::status`] tries before giving up (at least 1).
    pub status_attempts: u32,
    /// The wait after the first failed status attempt; doubles after each.
    pub status_backoff: Duration,
}

impl ClientConfig {
    /// The defaults: connect 3 s, request 10 s, 4 status attempts from 200 ms.
    pub fn new(base_url: impl Into<String>, key: impl Into<Vec<u8>>) -> Self {
        Self {
            base_url: base_url.into(),
            key: key.into(),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            status_attempts: 4,
            status_backoff: Duration::from_millis(200),
        }
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &self.base_url)
            .field("key", &"<redacted>")
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("status_attempts", &self.status_attempts)
            .field("status_backoff", &self.status_backoff)
            .finish()
    }
}

/// Why a call failed, by what it means for the money. Texts never contain
/// card data or the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The request never reached the acquirer: nothing was charged.
    #[error("the request never reached the acquirer: {0}")]
    NotSent(String),
    /// The acquirer answered (signed) that it did not process the request:
    /// nothing was charged.
    #[error("the acquirer refused the request (HTTP {status}): {error}")]
    Rejected { status: u16, error: String },
    /// The request was sent but no trustworthy answer came back: the card
    /// may have been charged.
    #[error("the outcome at the acquirer is unknown: {0}")]
    Unknown(String),
}

impl ClientError {
    /// True when the acquirer certainly did not act on the request.
    pub fn nothing_charged(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    config: ClientConfig,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Fails (as `NotSent`) only on an unusable base URL or HTTP stack.
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let base = config.base_url.trim_end_matches('/').to_owned();
        match Url::parse(&base) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            _ => {
                return Err(ClientError::NotSent(
                    "the acquirer base URL is not an http(s) URL".to_owned(),
                ));
            }
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            // An acquirer does not redirect; following one would re-send card data.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|_| ClientError::NotSent("could not build the HTTP client".to_owned()))?;
        Ok(Self { http, base, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Charges a card. Never retried: see the module doc for what each
    /// error means.
    pub async fn authorise(
        &self,
        request: &AuthoriseRequest,
    ) -> Result<OrderResponse, ClientError> {
        let body = encode(request)?;
        let reply = self
            .call(Method::POST, "/v1/orders".to_owned(), body)
            .await?;
        order_answer(reply, &request.order_id)
    }

    /// Completes a 3-D Secure challenge with the `cres` the browser brought
    /// back. Not retried, but idempotent at the acquirer: calling it again
    /// later is safe and never charges twice.
    pub async fn complete_challenge(
        &self,
        order_id: &str,
        cres: &str,
    ) -> Result<OrderResponse, ClientError> {
        let body = encode(&CompleteChallengeRequest {
            cres: cres.to_owned(),
        })?;
        let path = format!("/v1/orders/{}/challenge", encode_segment(order_id));
        let reply = self.call(Method::POST, path, body).await?;
        order_answer(reply, order_id)
    }

    /// The order as the acquirer knows it; `None` when the acquirer (signed)
    /// has no such order, i.e. nothing was charged under this order id.
    /// Retries connection failures, timeouts, 5xx answers and bad signatures
    /// with exponential backoff, up to `status_attempts` tries.
    pub async fn status(&self, order_id: &str) -> Result<Option<OrderResponse>, ClientError> {
        let attempts = self.config.status_attempts.max(1);
        let mut backoff = self.config.status_backoff;
        let mut attempt = 1;
        loop {
            let error = match self.status_once(order_id).await {
                Ok(order) => return Ok(order),
                Err(error @ ClientError::Rejected { status, .. }) if status != 503 => {
                    return Err(error);
                }
                Err(error) => error,
            };
            if attempt >= attempts {
                return Err(error);
            }
            tracing::debug!(order_id, attempt, %error, "status check failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
            attempt += 1;
        }
    }

    async fn status_once(&self, order_id: &str) -> Result<Option<OrderResponse>, ClientError> {
        let path = format!("/v1/orders/{}", encode_segment(order_id));
        let reply = self.call(Method::GET, path, Vec::new()).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        order_answer(reply, order_id).map(Some)
    }

    /// Refunds part or all of an approved order. Not retried, but
    /// idempotent at the acquirer on `refund_id`: sending it again later
    /// returns the money once.
    pub async fn refund(
        &self,
        order_id: &str,
        refund_id: &str,
        amount_minor: i64,
    ) -> Result<RefundResponse, ClientError> {
        let body = encode(&RefundRequest {
            refund_id: refund_id.to_owned(),
            amount_minor,
        })?;
        let path = format!("/v1/orders/{}/refunds", encode_segment(order_id));
        let reply = self.call(Method::POST, path, body).await?;
        answer(reply, |r: &RefundResponse| r.refund_id == refund_id)
    }

    /// One refund as the acquirer knows it; `None` when it never reached
    /// the acquirer (signed "no such refund").
    pub async fn refund_status(
        &self,
        order_id: &str,
        refund_id: &str,
    ) -> Result<Option<RefundResponse>, ClientError> {
        let path = format!(
            "/v1/orders/{}/refunds/{}",
            encode_segment(order_id),
            encode_segment(refund_id)
        );
        let reply = self.call(Method::GET, path, Vec::new()).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        answer(reply, |r: &RefundResponse| r.refund_id == refund_id).map(Some)
    }

    /// Sends one signed request and reads one signed answer.
    async fn call(
        &self,
        method: Method,
        path: String,
        body: Vec<u8>,
    ) -> Result<Reply, ClientError> {
        let url = Url::parse(&format!("{}{path}", self.base))
            .map_err(|_| ClientError::NotSent("could not build the request URL".to_owned()))?;
        let signed_path = protocol::path_and_query(&url);
        let timestamp = protocol::now_unix();
        let signature = protocol::sign(
            &self.config.key,
            timestamp,
            method.as_str(),
            &signed_path,
            &body,
        );
        let mut request = self
            .http
            .request(method.clone(), url)
            .header(protocol::TIMESTAMP_HEADER, timestamp.to_string())
            .header(protocol::SIGNATURE_HEADER, signature.as_str());
        if method == Method::POST {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let mut response = request.send().await.map_err(send_error)?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_ANSWER {
                        return Err(ClientError::Unknown(format!(
                            "the answer (HTTP {}) is too large",
                            status.as_u16()
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => {
                    return Err(ClientError::Unknown(format!(
                        "the answer (HTTP {}) broke off: {}",
                        status.as_u16(),
                        if error.is_timeout() {
                            "timed out"
                        } else {
                            "the connection failed"
                        }
                    )));
                }
            }
        }
        let checked = protocol::verify_headers(
            &self.config.key,
            &headers,
            &protocol::response_method(status.as_u16(), &signature),
            &signed_path,
            &body,
            protocol::now_unix(),
        );
        if let Err(reason) = checked {
            return Err(ClientError::Unknown(format!(
                "the answer (HTTP {}) cannot be trusted: {reason}",
                status.as_u16()
            )));
        }
        Ok(Reply { status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_debug_hides_the_key() {
        let config = ClientConfig::new("http://127.0.0.1:1", b"very-secret-key".to_vec());
        let debug = format!("{config:?}");
        assert!(!debug.contains("very-secret-key"), "{debug}");
        assert!(debug.contains("redacted"));
    }

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(matches!(
            Client::new(ClientConfig::new("not a url", b"k".to_vec())),
            Err(ClientError::NotSent(_))
        ));
        assert!(matches!(
            Client::new(ClientConfig::new("ftp://host", b"k".to_vec())),
            Err(ClientError::NotSent(_))
        ));
    }

    #[test]
    fn what_is_charged() {
        assert!(ClientError::NotSent(String::new()).nothing_charged());
        assert!(
            ClientError::Rejected {
                status: 503,
                error: String::new()
            }
            .nothing_charged()
        );
        assert!(!ClientError::Unknown(String::new()).nothing_charged());
    }
}
