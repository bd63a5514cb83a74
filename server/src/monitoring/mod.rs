//! What the operator's monitoring reads: Prometheus metrics (the `metrics`
//! crate's macros, rendered by its Prometheus exporter) on a listener of
//! their own at `TOLEM_METRICS_ADDR`, never on the public address. Requests
//! by route and status with their latency ([`http`]), acquirer calls with
//! theirs ([`acquirer`]), payments by outcome and card brand (counted where
//! the payment service moves them), and at each scrape the backlogs read
//! from the database and the connection pool's use ([`scrape`]).

pub mod acquirer;
pub mod http;
mod scrape;

pub use scrape::serve;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Requests answered, by route, method and status.
pub const REQUESTS: &str = "tolem_http_requests_total";
/// Seconds to answer a request, by route and method.
pub const REQUEST_SECONDS: &str = "tolem_http_request_duration_seconds";
/// Payments that reached a final state, by state.
pub const PAYMENTS: &str = "tolem_payments_total";
/// Payments sent to the acquirer, by card brand and its first answer.
pub const PAYMENT_ANSWERS: &str = "tolem_payment_answers_total";
/// Seconds a charge took, from the limits on card testing to the
/// acquirer's first answer, by outcome.
pub const PAYMENT_SECONDS: &str = "tolem_payment_duration_seconds";
/// Calls to the acquirer, by call and result.
pub const ACQUIRER_CALLS: &str = "tolem_acquirer_calls_total";
/// Seconds an acquirer call took, by call.
pub const ACQUIRER_SECONDS: &str = "tolem_acquirer_call_duration_seconds";

/// Buckets for every latency histogram, in seconds: a page in milliseconds,
/// an acquirer's answer in up to its timeout.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder, installed at the first call. One per process:
/// the `metrics` macros write to a global recorder, so the servers a test
/// process starts share it (their tests read differences, or run the
/// binary on its own).
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .expect("the buckets are not empty");
            let handle = match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder was installed first (not by us): this
                // one still renders what reaches it.
                Err(error) => {
                    tracing::warn!(%error, "a metrics recorder was already installed");
                    PrometheusBuilder::new().build_recorder().handle()
                }
            };
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "Requests answered, by route, method and status.");
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "Time to answer a request, by route."
    );
    describe_counter!(PAYMENTS, "Payments that reached a final state, by state.");
    describe_counter!(
        PAYMENT_ANSWERS,
        "Payments sent to the acquirer, by card brand and the acquirer's first answer."
    );
    describe_histogram!(
        PAYMENT_SECONDS,
        Unit::Seconds,
        "Time a charge took, from the limits on card testing to the acquirer's first answer."
    );
    describe_counter!(ACQUIRER_CALLS, "Calls to the acquirer, by call and result.");
    describe_histogram!(
        ACQUIRER_SECONDS,
        Unit::Seconds,
        "Time an acquirer call took."
    );
    for (name, help) in scrape::GAUGES {
        describe_gauge!(*name, *help);
    }
    for (name, help) in scrape::COUNTERS {
        describe_counter!(*name, *help);
    }
}
