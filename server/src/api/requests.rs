//! The handlers of `/api/v1/payment-requests`: each parses what was sent,
//! calls the agency desk (`crate::agencies::Desk`) and maps its answer,
//! or its error as a problem report, to the response. POSTs honour an
//! `Idempotency-Key`: the same key and body replay the first answer for
//! 24 hours (`Idempotent-Replayed: true`), another body under the key is
//! refused.

use super::ApiState;
use super::problem::{ApiError, Kind, Problem};
use crate::agencies::view::{EventList, NewPaymentRequest, PaymentRequestPage, PaymentRequestView};
use crate::agencies::{Answer, Caller, Idempotency, ListQuery, RequestError};
use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use sha2::{Digest, Sha256};

/// The `Idempotency-Key` sent, if any: 1 to 255 visible ASCII characters
/// (quoted, as the IETF draft's structured field, or bare).
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("\u{0}");
    let text = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    if text.is_empty() || text.len() > 255 || !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(Problem::new(
            Kind::InvalidIdempotencyKey,
            "An Idempotency-Key has 1 to 255 visible ASCII characters.",
        )
        .into());
    }
    Ok(Some(text.to_owned()))
}

/// What identifies a POST for its key: method, path and the body's JSON
/// with its keys sorted (so key order and spacing do not matter).
fn fingerprint(path: &str, body: &[u8]) -> String {
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    let mut hash = Sha256::new();
    hash.update(b"POST ");
    hash.update(path.as_bytes());
    hash.update(b"\n");
    hash.update(&canonical);
    hex::encode(hash.finalize())
}

fn answer(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if answer.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Issue a payment request.
///
/// Answers 201 with the request and its new payment code; the citizen pays
/// at `pay_url`. With an `Idempotency-Key`, sending the same again within
/// 24 hours answers the first request again instead of issuing another.
#[utoipa::path(
    post, path = "/api/v1/payment-requests", tag = "Payment requests",
    request_body = NewPaymentRequest,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "1 to 255 characters; the same key and body replay the first answer")),
    responses(
        (status = 201, description = "Issued (or replayed)", body = PaymentRequestView),
        (status = 400, description = "Not JSON, or a bad Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid key", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the key was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit reached", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Try again shortly", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let print = fingerprint("/api/v1/payment-requests", &body);
    let idempotency = key.as_deref().map(|key| Idempotency {
        key,
        fingerprint: &print,
    });
    if let Some(i) = idempotency
        && let Some(replayed) = state.desk.replay(&caller, i).await?
    {
        return Ok(answer(replayed));
    }
    if !crate::web::origin::is_json(&headers) {
        return Err(Problem::new(
            Kind::UnsupportedMediaType,
            "Send the request as Content-Type: application/json.",
        )
        .into());
    }
    let json: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|_| Problem::new(Kind::MalformedBody, "The body is not valid JSON."))?;
    let issued = state.desk.issue(&caller, &json, idempotency).await?;
    let code = serde_json::from_str::<serde_json::Value>(&issued.body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned));
    let mut response = answer(issued);
    if let Some(location) =
        code.and_then(|c| HeaderValue::from_str(&format!("/api/v1/payment-requests/{c}")).ok())
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

fn code(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(code)| code)
        .map_err(|_| RequestError::NotFound.into())
}

/// Read a payment request.
#[utoipa::path(
    get, path = "/api/v1/payment-requests/{code}", tag = "Payment requests",
    params(("code" = String, Path, description = "The payment code")),
    responses(
        (status = 200, body = PaymentRequestView),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No request of yours has this code", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn read(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<PaymentRequestView>, ApiError> {
    Ok(Json(state.desk.get(&caller, &code(path)?).await?))
}

/// List payment requests, newest first.
///
/// Filter by your `reference`, by `status`, and by creation time (`from`
/// inclusive, `to` exclusive, RFC 3339); pages of `limit` (1 to 100,
/// default 20) follow `next_cursor`.
#[utoipa::path(
    get, path = "/api/v1/payment-requests", tag = "Payment requests",
    params(
        ("reference" = Option<String>, Query, description = "Your reference"),
        ("status" = Option<crate::agencies::view::Status>, Query),
        ("from" = Option<String>, Query, format = DateTime, description = "Created at or after"),
        ("to" = Option<String>, Query, format = DateTime, description = "Created before"),
        ("cursor" = Option<String>, Query, description = "A next_cursor"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100),
    ),
    responses(
        (status = 200, body = PaymentRequestPage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<PaymentRequestPage>, ApiError> {
    let Query(query) =
        query.map_err(|_| Problem::new(Kind::MalformedBody, "The query string is not valid."))?;
    Ok(Json(state.desk.list(&caller, &query).await?))
}

/// Cancel a payment request.
///
/// Refused (409) once paid, once expired, or while a payment for it is
/// under way; cancelling a cancelled request answers it again.
#[utoipa::path(
    post, path = "/api/v1/payment-requests/{code}/cancel", tag = "Payment requests",
    params(("code" = String, Path, description = "The payment code"),
        ("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 200, description = "Cancelled", body = PaymentRequestView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Paid, expired, or a payment is under way", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The key was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let code = code(path)?;
    let key = idempotency_key(&headers)?;
    let print = fingerprint(&format!("/api/v1/payment-requests/{code}/cancel"), &body);
    let idempotency = key.as_deref().map(|key| Idempotency {
        key,
        fingerprint: &print,
    });
    if let Some(i) = idempotency
        && let Some(replayed) = state.desk.replay(&caller, i).await?
    {
        return Ok(answer(replayed));
    }
    Ok(answer(
        state.desk.cancel(&caller, &code, idempotency).await?,
    ))
}

/// A payment request's events, oldest first: the same events its webhooks
/// carry, with the same ids.
#[utoipa::path(
    get, path = "/api/v1/payment-requests/{code}/events", tag = "Payment requests",
    params(("code" = String, Path, description = "The payment code")),
    responses(
        (status = 200, body = EventList),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn events(
    State(state): State<ApiState>,
    Extension(caller): Extension<Caller>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<EventList>, ApiError> {
    Ok(Json(state.desk.events(&caller, &code(path)?).await?))
}
