//! The acquirer's signed notifications of orders' outcomes.

use crate::payments::Payments;
use crate::processor;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The key the acquirer signs its notifications with (gateway only).
#[derive(Clone)]
pub struct NotificationKey(pub Option<Arc<Vec<u8>>>);

/// The acquirer's signed notification of an order's outcome. Anything not
/// signed with our key is refused; duplicates and late ones are harmless.
pub async fn acquirer_notification(
    State(NotificationKey(key)): State<NotificationKey>,
    State(payments): State<Arc<Payments>>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Some(key) = &key else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = request.uri().path().to_string();
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if acquirer::protocol::verify_headers(
        key,
        &headers,
        "POST",
        &path,
        &body,
        acquirer::protocol::now_unix(),
    )
    .is_err()
    {
        tracing::warn!("acquirer notification with a bad signature refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(notification) = serde_json::from_slice::<acquirer::protocol::Notification>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if let Some(outcome) = processor::notification_outcome(&notification)
        && payments
            .apply_notification(&notification.order_id, outcome)
            .await
            .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}
