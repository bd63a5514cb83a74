//! The metrics listener: `GET /metrics` on `TOLEM_METRICS_ADDR`, apart
//! from the site so that neither citizens nor the load balancer's public
//! side can read it. Each scrape first reads the backlogs from the
//! database and the pool's use, then renders everything in the Prometheus
//! text format. A database that does not answer in time leaves those
//! gauges as they were and is counted, rather than holding the scrape.

use crate::storage::{Backlog, PaymentStore};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::PrometheusHandle;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

const UNSETTLED: &str = "tolem_unsettled_payments";
const OLDEST_UNSETTLED: &str = "tolem_oldest_unsettled_payment_age_seconds";
const WEBHOOKS: &str = "tolem_pending_webhooks";
const OLDEST_WEBHOOK: &str = "tolem_oldest_pending_webhook_age_seconds";
const POOL: &str = "tolem_db_connections";
const TURNED_AWAY: &str = "tolem_db_turned_away_total";
const SCRAPE_FAILURES: &str = "tolem_metrics_backlog_read_failures_total";

/// The gauges read at each scrape, with their help text.
pub(super) const GAUGES: &[(&str, &str)] = &[
    (
        UNSETTLED,
        "Payments whose outcome is not settled yet (reconciliation's backlog).",
    ),
    (
        OLDEST_UNSETTLED,
        "Age of the oldest unsettled payment (0 when none).",
    ),
    (
        WEBHOOKS,
        "Webhook events waiting for delivery, retries included.",
    ),
    (
        OLDEST_WEBHOOK,
        "Age of the oldest webhook event waiting (0 when none).",
    ),
    (
        POOL,
        "Database connections: size of the pool, and idle ones (state label).",
    ),
];

/// The counters kept here, with their help text.
pub(super) const COUNTERS: &[(&str, &str)] = &[
    (
        TURNED_AWAY,
        "Waits for a database connection that ended busy, since start-up.",
    ),
    (
        SCRAPE_FAILURES,
        "Scrapes whose backlog read failed or ran out of time.",
    ),
];

/// How long a scrape waits for the backlog's reads.
const READ_WITHIN: Duration = Duration::from_secs(2);

/// How often histograms are folded (the exporter's upkeep), so that their
/// samples never pile up between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    store: Arc<dyn PaymentStore>,
    clock: app::services::Clock,
}

/// Binds `addr` and serves the metrics there until the process ends;
/// returns the bound address (a test asks for port 0).
pub async fn serve(
    addr: SocketAddr,
    store: Arc<dyn PaymentStore>,
    clock: app::services::Clock,
) -> std::io::Result<SocketAddr> {
    let handle = super::recorder();
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP_EVERY);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = Router::new()
        .route("/metrics", get(metrics))
        .with_state(Scrape {
            handle,
            store,
            clock,
        });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    tracing::info!(%bound, "metrics served at /metrics");
    Ok(bound)
}

async fn metrics(State(scrape): State<Scrape>) -> Response {
    match tokio::time::timeout(READ_WITHIN, scrape.store.backlog()).await {
        Ok(Ok(backlog)) => record_backlog(&backlog, (scrape.clock)()),
        Ok(Err(error)) => {
            tracing::warn!(%error, "metrics: the backlog could not be read");
            metrics::counter!(SCRAPE_FAILURES).increment(1);
        }
        Err(_) => {
            tracing::warn!("metrics: the backlog was not read in time");
            metrics::counter!(SCRAPE_FAILURES).increment(1);
        }
    }
    let pool = scrape.store.connections();
    metrics::gauge!(POOL, "state" => "size").set(pool.size as f64);
    metrics::gauge!(POOL, "state" => "idle").set(pool.idle as f64);
    metrics::counter!(TURNED_AWAY).absolute(pool.turned_away);
    let mut response = scrape.handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn record_backlog(backlog: &Backlog, now: DateTime<Utc>) {
    let age = |since: Option<DateTime<Utc>>| {
        since.map_or(0.0, |at| {
            (now - at).num_milliseconds().max(0) as f64 / 1000.0
        })
    };
    metrics::gauge!(UNSETTLED).set(backlog.unsettled_payments as f64);
    metrics::gauge!(OLDEST_UNSETTLED).set(age(backlog.oldest_unsettled));
    metrics::gauge!(WEBHOOKS).set(backlog.pending_webhooks as f64);
    metrics::gauge!(OLDEST_WEBHOOK).set(age(backlog.oldest_pending_webhook));
}
