//! Health for load balancers: `/health/live` says the process answers;
//! `/health` (readiness) says whether it can serve citizens now, which it
//! only can if it writes and reads the database within a short bound. A
//! server whose database hangs or ran out of connections answers 503 here,
//! so the balancer sends citizens elsewhere instead of to a page that waits.

use crate::payments::Payments;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// The longest readiness waits for the database's write and read together.
const READY_WITHIN: Duration = Duration::from_secs(2);

pub async fn live() -> &'static str {
    "ok"
}

pub async fn ready(State(payments): State<Arc<Payments>>) -> Response {
    let store = payments.store.clone();
    let now = payments.now();
    let checked = tokio::time::timeout(READY_WITHIN, store.check_ready(now)).await;
    let connections = store.connections();
    let (status, word) = match checked {
        Ok(Ok(())) => (StatusCode::OK, "ok".to_string()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database cannot be written and read");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: database".into(),
            )
        }
        Err(_) => {
            tracing::warn!(
                within_ms = READY_WITHIN.as_millis() as u64,
                "readiness: the database did not answer in time"
            );
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready: database too slow".into(),
            )
        }
    };
    let body = format!(
        "{word}\nbackend: {}\nconnections: {} of {} free\nturned away since start: {}\n",
        store.backend(),
        connections.idle,
        connections.size,
        connections.turned_away
    );
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
