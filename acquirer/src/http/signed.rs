//! The signed side of the `/v1` API: [`Signed`], the extractor every `/v1`
//! handler takes its request through, and the [`Api`] methods that sign
//! every answer, errors included.
//!
//! The check lives in an extractor so that no `/v1` handler can forget it or
//! answer a refusal differently: a handler that compiles has a verified
//! request.

use super::Api;
use crate::engine::EngineError;
use crate::protocol::{self, OrderResponse};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The largest request body the API reads.
const BODY_LIMIT: usize = 64 * 1024;
const TIMESTAMP: HeaderName = HeaderName::from_static(protocol::TIMESTAMP_HEADER);
const SIGNATURE: HeaderName = HeaderName::from_static(protocol::SIGNATURE_HEADER);

/// A `/v1` request whose signature over method, path and body checked out,
/// with the body decoded as `T`. The rejection is the API's signed error
/// answer: 413 for a body too large or unreadable, 401 for a missing or
/// wrong signature, 400 for a body that is not a `T`.
pub(super) struct Signed<T> {
    /// The request the answer is signed for.
    pub(super) path: Answering,
    pub(super) body: T,
}

/// What an answer's signature covers of the request it answers: the path
/// and query, and the request's own signature (so the answer is good for
/// that request only).
pub(super) struct Answering {
    pub(super) path: String,
    pub(super) request_signature: String,
}

/// What a signed body decodes to: any JSON request type, or [`NoBody`].
pub(super) trait SignedBody: Sized {
    fn decode(body: &[u8]) -> Result<Self, String>;
}

impl<T: DeserializeOwned> SignedBody for T {
    fn decode(body: &[u8]) -> Result<Self, String> {
        parse(body)
    }
}

/// For a `GET`: whatever body came is covered by the signature and ignored.
pub(super) struct NoBody;

impl SignedBody for NoBody {
    fn decode(_: &[u8]) -> Result<Self, String> {
        Ok(NoBody)
    }
}

impl<T: SignedBody> FromRequest<Api> for Signed<T> {
    type Rejection = Response;

    async fn from_request(request: Request, api: &Api) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let path = Answering {
            path: parts
                .uri
                .path_and_query()
                .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
            // Refusals are signed for whatever signature came, valid or not:
            // the client checks the answer against the one it sent.
            request_signature: parts
                .headers
                .get(SIGNATURE)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        };
        let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
            return Err(api.error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &path,
                "the request body is too large or unreadable",
            ));
        };
        let checked = protocol::verify_headers(
            &api.key,
            &parts.headers,
            parts.method.as_str(),
            &path.path,
            &body,
            protocol::now_unix(),
        );
        if let Err(reason) = checked {
            tracing::info!(path = %path.path, %reason, "refused a request without a valid signature");
            return Err(api.error(StatusCode::UNAUTHORIZED, &path, &reason.to_string()));
        }
        match T::decode(&body) {
            Ok(body) => Ok(Signed { path, body }),
            Err(message) => Err(api.error(StatusCode::BAD_REQUEST, &path, &message)),
        }
    }
}

/// Parses a JSON body without ever echoing its content in the error text.
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|error| {
        let kind = match error.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        format!(
            "{kind} in the request body at line {} column {}",
            error.line(),
            error.column()
        )
    })
}

impl Api {
    fn signed_headers(&self, status: StatusCode, to: &Answering, body: &[u8]) -> HeaderMap {
        let timestamp = protocol::now_unix();
        let signature = protocol::sign(
            &self.key,
            timestamp,
            &protocol::response_method(status.as_u16(), &to.request_signature),
            &to.path,
            body,
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(TIMESTAMP, HeaderValue::from(timestamp));
        if let Ok(signature) = HeaderValue::from_str(&signature) {
            headers.insert(SIGNATURE, signature);
        }
        headers
    }

    fn reply(&self, status: StatusCode, path: &Answering, body: Vec<u8>) -> Response {
        (status, self.signed_headers(status, path, &body), body).into_response()
    }

    pub(super) fn json<T: Serialize>(
        &self,
        status: StatusCode,
        path: &Answering,
        value: &T,
    ) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => self.reply(status, path, body),
            Err(_) => self.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                path,
                "the answer could not be encoded",
            ),
        }
    }

    pub(super) fn error(&self, status: StatusCode, path: &Answering, message: &str) -> Response {
        let body = serde_json::json!({ "error": message })
            .to_string()
            .into_bytes();
        self.reply(status, path, body)
    }

    pub(super) fn engine_error(&self, path: &Answering, error: &EngineError) -> Response {
        let status = match error {
            EngineError::Invalid(_) => StatusCode::BAD_REQUEST,
            EngineError::Conflict | EngineError::NotReady | EngineError::InProgress => {
                StatusCode::CONFLICT
            }
            EngineError::NotFound => StatusCode::NOT_FOUND,
            EngineError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        self.error(status, path, &error.to_string())
    }

    /// Answers 200 with the signed order, but breaks the connection half-way
    /// through the body: the body stream fails, so hyper aborts the
    /// connection and the client sees an incomplete answer.
    pub(super) fn dropped(&self, path: &Answering, response: &OrderResponse) -> Response {
        let Ok(body) = serde_json::to_vec(response) else {
            return self.error(StatusCode::INTERNAL_SERVER_ERROR, path, "internal error");
        };
        let headers = self.signed_headers(StatusCode::OK, path, &body);
        let first = Bytes::copy_from_slice(&body[..body.len() / 2]);
        let stream = futures_util::stream::unfold(Some(first), |first| async move {
            match first {
                Some(first) => Some((Ok(first), None)),
                None => {
                    // Give the first half time to reach the client.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((
                        Err(std::io::Error::other("sandbox fault: connection dropped")),
                        None,
                    ))
                }
            }
        });
        (StatusCode::OK, headers, Body::from_stream(stream)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::AuthoriseRequest;

    #[test]
    fn json_errors_do_not_echo_the_body() {
        let body = br#"{"order_id":"a","amount_minor":1,"currency":"KGS","return_url":"/r",
            "card":{"number":4111111111111111,"exp_month":1,"exp_year":2030,"cvv":"123","holder":""}}"#;
        let error = parse::<AuthoriseRequest>(body).expect_err("a number is not a string");
        assert!(!error.contains("4111"), "{error}");
        assert!(error.contains("mistyped"), "{error}");
    }
}
