//! The sandbox acquirer on the wire: the signed `/v1` API, the unsigned
//! `/sandbox` controls for tests and demonstrations, and the 3-D Secure
//! challenge pages ([`acs_router`]).
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/orders` | authorise ([`AuthoriseRequest`] → [`OrderResponse`](crate::protocol::OrderResponse)); 409 when repeated while the first is still in flight |
//! | `GET /v1/orders/{order_id}` | the order, or 404 (also while its charge is still being recorded) |
//! | `POST /v1/orders/{order_id}/challenge` | complete a 3-D Secure challenge |
//! | `POST /v1/orders/{order_id}/refunds` | refund part or all of an approved order, idempotent on `refund_id`; 503 for the plan's `refund_failures` first calls |
//! | `GET /v1/orders/{order_id}/refunds/{refund_id}` | one refund as the acquirer knows it; 404 when it never reached it |
//! | `GET /sandbox/ledger[?all=true]` | the charges (or every order) as JSON |
//! | `GET`/`PUT /sandbox/faults` | read or replace the [`FaultPlan`] |
//! | `GET /sandbox/stats` | [`SandboxStats`] |
//! | `GET`/`POST /acs/{token}` | the challenge page |
//!
//! Every `/v1` request must be signed (see [`crate::protocol`]), else 401;
//! every `/v1` answer is signed, errors included, so the client can tell the
//! acquirer's own "not processed" from a proxy's or a broken connection's.
//! Request bodies are never logged, and error texts never echo them: a JSON
//! error names its kind and position only, because serde's messages quote
//! the offending value, which could be a card number.
//!
//! This file holds the routes and their handlers; `signed` holds the
//! signature check every `/v1` handler takes its request through (an
//! extractor) and the signed answers, `acs` the challenge pages.

mod acs;
mod signed;

pub use acs::acs_router;

use crate::engine::{Answer, Engine, EngineError, Fault, FaultPlan, RefundAnswer};
use crate::protocol::{
    AuthoriseRequest, CompleteChallengeRequest, ErrorBody, LedgerEntry, RefundRequest,
};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use signed::{NoBody, Signed, parse};
use std::sync::Arc;

#[derive(Clone)]
struct Api {
    engine: Arc<Engine>,
    key: Arc<[u8]>,
}

/// `GET /sandbox/stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    /// Every authorisation that reached the engine, repeats included.
    pub authorise_requests: usize,
    /// Orders charged.
    pub charges: usize,
}

/// The whole sandbox acquirer: `/v1`, `/sandbox` and the challenge pages at `/acs`.
/// `key` is the HMAC key shared with the merchant.
pub fn router(engine: Arc<Engine>, key: Vec<u8>) -> Router {
    let api = Api {
        engine: Arc::clone(&engine),
        key: key.into(),
    };
    Router::new()
        .route("/v1/orders", post(create_order))
        .route("/v1/orders/{order_id}", get(get_order))
        .route("/v1/orders/{order_id}/challenge", post(complete_challenge))
        .route("/v1/orders/{order_id}/refunds", post(refund))
        .route("/v1/orders/{order_id}/refunds/{refund_id}", get(get_refund))
        .route("/sandbox/ledger", get(ledger))
        .route("/sandbox/faults", get(get_faults).put(set_faults))
        .route("/sandbox/stats", get(stats))
        .with_state(api)
        .nest("/acs", acs_router(engine))
}

async fn create_order(
    State(api): State<Api>,
    Signed {
        path,
        body: request,
    }: Signed<AuthoriseRequest>,
) -> Response {
    match api.engine.authorise(request).await {
        Ok(Answer {
            response,
            fault: None,
        }) => api.json(StatusCode::OK, &path, &response),
        Ok(Answer {
            response,
            fault: Some(fault),
        }) => match fault {
            Fault::TimeoutAfterCharge => {
                // Dropped, and the sleep with it, when the client gives up.
                tokio::time::sleep(api.engine.fault_hold()).await;
                api.json(StatusCode::OK, &path, &response)
            }
            Fault::LateChargeTimeout => {
                // The engine goes on recording the charge whether or not
                // anyone still waits here.
                tokio::time::sleep(api.engine.late_charge_hold()).await;
                api.json(StatusCode::OK, &path, &response)
            }
            Fault::ServerErrorAfterCharge
            | Fault::ServerErrorBeforeCharge
            | Fault::LateChargeServerError => {
                api.error(StatusCode::INTERNAL_SERVER_ERROR, &path, "internal error")
            }
            Fault::DropAfterCharge => api.dropped(&path, &response),
        },
        Err(error) => api.engine_error(&path, &error),
    }
}

async fn get_order(
    State(api): State<Api>,
    Path(order_id): Path<String>,
    Signed { path, .. }: Signed<NoBody>,
) -> Response {
    // Through the engine's status query, which counts the question.
    match api.engine.status(&order_id) {
        Some(order) => api.json(StatusCode::OK, &path, &order),
        None => api.engine_error(&path, &EngineError::NotFound),
    }
}

async fn complete_challenge(
    State(api): State<Api>,
    Path(order_id): Path<String>,
    Signed {
        path,
        body: request,
    }: Signed<CompleteChallengeRequest>,
) -> Response {
    match api
        .engine
        .complete_challenge(&order_id, &request.cres)
        .await
    {
        Ok(order) => api.json(StatusCode::OK, &path, &order),
        Err(error) => api.engine_error(&path, &error),
    }
}

async fn refund(
    State(api): State<Api>,
    Path(order_id): Path<String>,
    Signed {
        path,
        body: request,
    }: Signed<RefundRequest>,
) -> Response {
    let answer = api
        .engine
        .refund(&order_id, &request.refund_id, request.amount_minor);
    match answer {
        Ok(RefundAnswer { response, held }) => {
            if held {
                // Dropped, and the sleep with it, when the client gives up;
                // the refund is made all the same.
                tokio::time::sleep(api.engine.fault_hold()).await;
            }
            api.json(StatusCode::OK, &path, &response)
        }
        Err(error) => api.engine_error(&path, &error),
    }
}

async fn get_refund(
    State(api): State<Api>,
    Path((order_id, refund_id)): Path<(String, String)>,
    Signed { path, .. }: Signed<NoBody>,
) -> Response {
    match api.engine.refund_status(&order_id, &refund_id) {
        Some(refund) => api.json(StatusCode::OK, &path, &refund),
        None => api.engine_error(&path, &EngineError::NotFound),
    }
}

#[derive(Deserialize)]
struct LedgerQuery {
    #[serde(default)]
    all: bool,
}

async fn ledger(
    State(api): State<Api>,
    Query(query): Query<LedgerQuery>,
) -> axum::Json<Vec<LedgerEntry>> {
    axum::Json(if query.all {
        api.engine.all_orders()
    } else {
        api.engine.ledger()
    })
}

async fn get_faults(State(api): State<Api>) -> axum::Json<FaultPlan> {
    axum::Json(api.engine.faults())
}

async fn set_faults(State(api): State<Api>, body: Bytes) -> Response {
    let plan: FaultPlan = match parse(&body).and_then(|plan: FaultPlan| {
        plan.validate()?;
        Ok(plan)
    }) {
        Ok(plan) => plan,
        Err(error) => {
            return (StatusCode::BAD_REQUEST, axum::Json(ErrorBody { error })).into_response();
        }
    };
    tracing::info!(?plan, "fault plan replaced");
    api.engine.set_faults(plan.clone());
    axum::Json(plan).into_response()
}

async fn stats(State(api): State<Api>) -> axum::Json<SandboxStats> {
    axum::Json(SandboxStats {
        authorise_requests: api.engine.authorise_requests(),
        charges: api.engine.charges(),
    })
}
