//! The agency API under `/api/v1`: government offices issue payment
//! requests, read, list and cancel them, and read their events
//! ([`requests`]), authenticated by bearer key and paced per key
//! ([`auth`]); every error a problem report ([`problem`]); the OpenAPI
//! document and the reference page ([`docs`]). The service behind it is
//! `crate::agencies`.

mod auth;
pub mod docs;
pub mod problem;
mod requests;

pub use auth::RateLimits;

use crate::agencies::Desk;
use crate::config::HttpLimits;
use crate::web::AppState;
use axum::Router;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use problem::{Kind, Problem};
use std::sync::Arc;

/// What the API's handlers share.
#[derive(Clone)]
pub struct ApiState {
    pub desk: Arc<Desk>,
    pub limits: Arc<RateLimits>,
}

async fn not_found() -> impl IntoResponse {
    Problem::new(
        Kind::NotFound,
        "There is no such endpoint; see /api/v1/docs.",
    )
}

async fn method_not_allowed() -> impl IntoResponse {
    Problem::new(
        Kind::MethodNotAllowed,
        "This endpoint does not take that method.",
    )
}

pub fn router(state: ApiState, limits: &HttpLimits) -> Router<AppState> {
    let authenticated = Router::new()
        .route(
            "/payment-requests",
            post(requests::create).get(requests::list),
        )
        .route("/payment-requests/{code}", get(requests::read))
        .route("/payment-requests/{code}/cancel", post(requests::cancel))
        .route("/payment-requests/{code}/events", get(requests::events))
        .route_layer(middleware::from_fn_with_state(state, auth::authenticate));
    let api = Router::new()
        .route("/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::reference))
        .merge(authenticated)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed);
    crate::web::limits::limit_everything(Router::new().nest("/api/v1", api), limits)
}
