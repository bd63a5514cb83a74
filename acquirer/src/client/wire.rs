//! The wire under the client: requests encoded, answers read and checked
//! (signed, about what was asked, sorted into the three kinds of failure),
//! and path segments percent-encoded.

use super::{ClientError, MAX_ERROR_TEXT};
use crate::protocol::{ErrorBody, OrderResponse};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::StatusCode;

/// A signed answer, read whole.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) body: Vec<u8>,
}

pub(super) fn encode<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, ClientError> {
    serde_json::to_vec(value)
        .map_err(|_| ClientError::NotSent("the request could not be encoded".to_owned()))
}

/// Classifies a failure to get an answer's head.
pub(super) fn send_error(error: reqwest::Error) -> ClientError {
    if error.is_connect() {
        let why = if error.is_timeout() {
            "connecting timed out"
        } else {
            "the connection was refused or failed"
        };
        ClientError::NotSent(why.to_owned())
    } else if error.is_builder() {
        ClientError::NotSent("the request could not be built".to_owned())
    } else if error.is_timeout() {
        ClientError::Unknown("no answer in time".to_owned())
    } else {
        ClientError::Unknown("the connection failed before an answer came".to_owned())
    }
}

/// Reads a signed answer about an order.
pub(super) fn order_answer(reply: Reply, order_id: &str) -> Result<OrderResponse, ClientError> {
    answer(reply, |order: &OrderResponse| order.order_id == order_id)
}

/// A signed answer read as `T`, which must be about what was asked (`ours`).
pub(super) fn answer<T: serde::de::DeserializeOwned>(
    reply: Reply,
    ours: impl Fn(&T) -> bool,
) -> Result<T, ClientError> {
    let status = reply.status.as_u16();
    if reply.status.is_success() {
        let read: T = serde_json::from_slice(&reply.body).map_err(|_| {
            ClientError::Unknown(format!("the answer (HTTP {status}) is not what was asked"))
        })?;
        if !ours(&read) {
            return Err(ClientError::Unknown(
                "the answer is about another order".to_owned(),
            ));
        }
        return Ok(read);
    }
    if reply.status.is_client_error() || reply.status == StatusCode::SERVICE_UNAVAILABLE {
        let error = serde_json::from_slice::<ErrorBody>(&reply.body)
            .map(|body| body.error.chars().take(MAX_ERROR_TEXT).collect())
            .unwrap_or_else(|_| "no error text".to_owned());
        return Err(ClientError::Rejected { status, error });
    }
    Err(ClientError::Unknown(format!(
        "the acquirer answered HTTP {status}"
    )))
}

/// Everything but unreserved characters is percent-encoded in a path
/// segment (RFC 3986 section 2.3), so an order id cannot add a segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(super) fn encode_segment(segment: &str) -> String {
    utf8_percent_encode(segment, SEGMENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::encode_segment;

    #[test]
    fn segments_are_encoded() {
        assert_eq!(encode_segment("abc-123_x.y~"), "abc-123_x.y~");
        assert_eq!(encode_segment("a/b?c d"), "a%2Fb%3Fc%20d");
        assert_eq!(encode_segment(".."), "..");
    }
}
