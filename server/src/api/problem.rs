//! Every error of the agency API as a problem report (RFC 9457,
//! `application/problem+json`), each kind with a stable `type` that the
//! reference page explains. A detail never holds a stack trace, a database
//! message, or anything of another agency.

use crate::agencies::draft::FieldError;
use crate::agencies::{AuthError, RequestError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The problem kinds, with their status, title and `type`'s slug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Unauthorised,
    InvalidFields,
    MalformedBody,
    UnsupportedMediaType,
    NotFound,
    MethodNotAllowed,
    AlreadyPaid,
    PaymentInProgress,
    Expired,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    TooManyRequests,
    Unavailable,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Unauthorised,
        Kind::InvalidFields,
        Kind::MalformedBody,
        Kind::UnsupportedMediaType,
        Kind::NotFound,
        Kind::MethodNotAllowed,
        Kind::AlreadyPaid,
        Kind::PaymentInProgress,
        Kind::Expired,
        Kind::IdempotencyKeyReused,
        Kind::InvalidIdempotencyKey,
        Kind::TooManyRequests,
        Kind::Unavailable,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Kind::Unauthorised => "unauthorised",
            Kind::InvalidFields => "invalid-fields",
            Kind::MalformedBody => "malformed-body",
            Kind::UnsupportedMediaType => "unsupported-media-type",
            Kind::NotFound => "not-found",
            Kind::MethodNotAllowed => "method-not-allowed",
            Kind::AlreadyPaid => "already-paid",
            Kind::PaymentInProgress => "payment-in-progress",
            Kind::Expired => "expired",
            Kind::IdempotencyKeyReused => "idempotency-key-reused",
            Kind::InvalidIdempotencyKey => "invalid-idempotency-key",
            Kind::TooManyRequests => "too-many-requests",
            Kind::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Kind::Unauthorised => StatusCode::UNAUTHORIZED,
            Kind::InvalidFields | Kind::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::MalformedBody | Kind::InvalidIdempotencyKey => StatusCode::BAD_REQUEST,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::AlreadyPaid | Kind::PaymentInProgress | Kind::Expired => StatusCode::CONFLICT,
            Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::Unauthorised => "Not authenticated",
            Kind::InvalidFields => "Some fields are not valid",
            Kind::MalformedBody => "The body is not JSON",
            Kind::UnsupportedMediaType => "Send application/json",
            Kind::NotFound => "Not found",
            Kind::MethodNotAllowed => "Method not allowed",
            Kind::AlreadyPaid => "The payment request is paid",
            Kind::PaymentInProgress => "A payment is under way",
            Kind::Expired => "The payment request has expired",
            Kind::IdempotencyKeyReused => "Idempotency-Key used for another request",
            Kind::InvalidIdempotencyKey => "Idempotency-Key is not valid",
            Kind::TooManyRequests => "Too many requests",
            Kind::Unavailable => "Try again in a moment",
        }
    }
}

/// One field's failure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as named in the request.
    pub field: String,
    /// A stable code: `missing`, `blank`, `too_long`, `not_positive`, ...
    pub code: String,
    pub detail: String,
}

/// A problem report (RFC 9457).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// Stable per kind of problem; explained on the reference page.
    #[serde(rename = "type")]
    #[schema(example = "/api/v1/docs#problem-invalid-fields")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// With invalid fields: each one. `field` is the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
}

impl Problem {
    pub fn new(kind: Kind, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("/api/v1/docs#problem-{}", kind.slug()),
            title: kind.title().to_owned(),
            status: kind.status().as_u16(),
            detail: detail.into(),
            field: None,
            errors: None,
        }
    }

    pub fn fields(errors: &[FieldError]) -> Problem {
        let mut problem = Problem::new(
            Kind::InvalidFields,
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.detail))
                .collect::<Vec<_>>()
                .join(" "),
        );
        problem.field = errors.first().map(|e| e.field.to_owned());
        problem.errors = Some(
            errors
                .iter()
                .map(|e| FieldProblem {
                    field: e.field.to_owned(),
                    code: e.code.to_owned(),
                    detail: e.detail.clone(),
                })
                .collect(),
        );
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// A problem as handlers return it: boxed, so their results stay small.
#[derive(Debug)]
pub struct ApiError(pub Box<Problem>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

impl From<Problem> for ApiError {
    fn from(problem: Problem) -> ApiError {
        ApiError(Box::new(problem))
    }
}

impl From<RequestError> for ApiError {
    fn from(error: RequestError) -> ApiError {
        Problem::from(error).into()
    }
}

impl From<AuthError> for Problem {
    fn from(error: AuthError) -> Problem {
        match error {
            AuthError::Store(error) => store_problem(&error),
            other => Problem::new(Kind::Unauthorised, other.to_string()),
        }
    }
}

impl From<RequestError> for Problem {
    fn from(error: RequestError) -> Problem {
        match error {
            RequestError::Invalid(errors) => Problem::fields(&errors),
            RequestError::NotFound => {
                Problem::new(Kind::NotFound, "No payment request of yours has this code.")
            }
            RequestError::AlreadyPaid => Problem::new(
                Kind::AlreadyPaid,
                "The citizen has paid it: it cannot be cancelled (refunds are the operator's).",
            ),
            RequestError::PaymentInProgress => Problem::new(
                Kind::PaymentInProgress,
                "A payment for it is under way; ask again once it has ended.",
            ),
            RequestError::Expired => Problem::new(Kind::Expired, "Its payment window has closed."),
            RequestError::KeyReused => Problem::new(
                Kind::IdempotencyKeyReused,
                "This Idempotency-Key was sent with another request in the last 24 hours: \
                 use a new key for a new request.",
            ),
            RequestError::Store(error) => store_problem(&error),
        }
    }
}

/// The database could not answer: try again (the cause goes to the log).
fn store_problem(error: &crate::storage::StoreError) -> Problem {
    tracing::error!(%error, "agency API: storage failed");
    Problem::new(
        Kind::Unavailable,
        "The service cannot answer now; try again shortly.",
    )
}
