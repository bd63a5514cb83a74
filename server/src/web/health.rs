//! Health for load balancers: `/health/live` says the process answers (a
//! supervisor restarts it when it does not); `/health/ready` (and its
//! older name `/health`) says whether it can serve citizens now: it writes
//! and reads the database within a short bound and, with an acquirer over
//! the network, the acquirer answered in the last minute (a call of ours,
//! or else a status query the check makes itself). A server whose
//! database hangs or ran out of connections, or that lost its acquirer,
//! answers 503 here, so the balancer sends citizens elsewhere instead of
//! to a page that waits or a payment that cannot be made.

use crate::monitoring::acquirer::LastAnswer;
use crate::payments::Payments;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;

/// The longest readiness waits for the database's write and read together.
const READY_WITHIN: Duration = Duration::from_secs(2);

/// An acquirer that answered within this long counts as reachable; past
/// it, readiness asks the acquirer itself.
const ACQUIRER_FRESH: Duration = Duration::from_secs(60);

/// The order the readiness check asks the acquirer about: none of ours has
/// this id, so "no such order" is the expected answer, and it proves the
/// link and the shared key as well as any.
const PROBE_ORDER: &str = "tolem-readiness-probe";

/// When an acquirer over the network last answered; `None` with the
/// in-process sandbox.
#[derive(Clone, Default)]
pub struct AcquirerLink(pub Option<Arc<LastAnswer>>);

pub async fn live() -> &'static str {
    "ok"
}

pub async fn ready(
    State(payments): State<Arc<Payments>>,
    State(link): State<AcquirerLink>,
) -> Response {
    let store = payments.store.clone();
    let now = payments.now();
    let checked = tokio::time::timeout(READY_WITHIN, store.check_ready(now)).await;
    let connections = store.connections();
    let database = match checked {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the database cannot be written and read");
            Err("not ready: database")
        }
        Err(_) => {
            tracing::warn!(
                within_ms = READY_WITHIN.as_millis() as u64,
                "readiness: the database did not answer in time"
            );
            Err("not ready: database too slow")
        }
    };
    let acquirer = match &link.0 {
        None => Ok("in process"),
        Some(last) => acquirer_answers(&payments, last).await,
    };
    let (status, word) = match (database, acquirer) {
        (Ok(()), Ok(_)) => (StatusCode::OK, "ok"),
        (Err(word), _) | (Ok(()), Err(word)) => (StatusCode::SERVICE_UNAVAILABLE, word),
    };
    let acquirer = acquirer.unwrap_or("no answer");
    let body = format!(
        "{word}\nbackend: {}\nconnections: {} of {} free\nturned away since start: {}\nacquirer: {acquirer}\n",
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

/// Whether the acquirer answered recently, asking it when nobody did.
async fn acquirer_answers(
    payments: &Payments,
    last: &LastAnswer,
) -> Result<&'static str, &'static str> {
    if last.age().is_some_and(|age| age <= ACQUIRER_FRESH) {
        return Ok("answered recently");
    }
    // The client's own timeouts bound this; the outer bound keeps the
    // check within what a balancer waits.
    match tokio::time::timeout(READY_WITHIN, payments.processor.status(PROBE_ORDER)).await {
        Ok(Ok(_)) => Ok("answered now"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: the acquirer did not answer");
            Err("not ready: acquirer")
        }
        Err(_) => {
            tracing::warn!("readiness: the acquirer did not answer in time");
            Err("not ready: acquirer too slow")
        }
    }
}
