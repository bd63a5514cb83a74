//! The access log: one line per request (its id, method, path, status and
//! time taken) through tower-http's trace layer. The request id comes from
//! a proxy in front when it sent a sane one, else is made here; it is sent
//! back in `X-Request-Id`, so a citizen's or an agency's report of a failed
//! request can be matched with its line. The query string is never logged
//! (it may carry a payment code and a receipt number, and anything a
//! client typed), and a card number typed into a path is hidden.

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::LatencyUnit;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::{Level, Span};

const REQUEST_ID: &str = "x-request-id";

/// `router` with every request logged under its id.
pub fn log_requests<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    let trace = TraceLayer::new_for_http()
        .make_span_with(request_span)
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Micros),
        )
        .on_failure(DefaultOnFailure::new().level(Level::WARN));
    router.layer(
        tower::ServiceBuilder::new()
            .layer(middleware::from_fn(drop_odd_request_ids))
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(trace)
            .layer(PropagateRequestIdLayer::x_request_id()),
    )
}

fn request_span(request: &Request) -> Span {
    let id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("-");
    let path = domain::redact_card_numbers(request.uri().path());
    tracing::info_span!(
        "request",
        id = %id,
        method = %request.method(),
        path = %path,
    )
}

/// A request id from outside is kept when it could only be an id (letters,
/// digits, `-`, `_`, `.`, at most 64): anything else would put a client's
/// text into our log lines.
async fn drop_odd_request_ids(mut request: Request, next: Next) -> Response {
    let sane = |value: &HeaderValue| {
        let bytes = value.as_bytes();
        !bytes.is_empty()
            && bytes.len() <= 64
            && bytes
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    if request.headers().get(REQUEST_ID).is_some_and(|v| !sane(v)) {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| std::io::ErrorKind::Other)?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The log lines of one request, and its response's request id.
    fn logged(uri: &str, request_id: &str) -> (String, String) {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        logged_by(subscriber, capture, uri, request_id)
    }

    fn logged_by(
        subscriber: impl tracing::Subscriber + Send + Sync + 'static,
        capture: Capture,
        uri: &str,
        request_id: &str,
    ) -> (String, String) {
        let router = log_requests(Router::new().route("/pay/{code}", get(|| async { "page" })));
        let request = Request::builder()
            .uri(uri)
            .header(REQUEST_ID, request_id)
            .body(Body::empty())
            .unwrap_or_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let response = tracing::subscriber::with_default(subscriber, || {
            runtime
                .block_on(router.oneshot(request))
                .expect("infallible")
        });
        let id = response
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let lines = capture
            .0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned());
        (lines.unwrap_or_default(), id)
    }

    #[test]
    fn each_request_is_logged_with_its_id_and_no_card_number_or_query() {
        let (lines, id) = logged(
            "/pay/4111111111111111?number=4111111111111111&cvv=123",
            "req-42",
        );
        assert_eq!(id, "req-42");
        assert!(lines.contains("id=req-42"), "{lines}");
        assert!(lines.contains("path=/pay/[card number]"), "{lines}");
        assert!(lines.contains("status=200"), "{lines}");
        assert!(!lines.contains("4111"), "{lines}");
        assert!(!lines.contains("cvv"), "{lines}");
    }

    #[test]
    fn a_request_id_that_is_not_an_id_is_replaced() {
        let (lines, id) = logged("/pay/1", "x\" injected=1");
        assert_eq!(id.len(), 36, "a fresh UUID: {id}");
        assert!(!lines.contains("injected"), "{lines}");
        assert!(lines.contains(&format!("id={id}")), "{lines}");
    }

    #[test]
    fn json_lines_carry_the_request_id_in_each() {
        let capture = Capture::default();
        let writer = capture.clone();
        let subscriber = crate::telemetry::json_lines(move || writer.clone()).finish();
        let (lines, _) = logged_by(subscriber, capture, "/pay/4111111111111111?x=1", "req-json");
        let lines: Vec<serde_json::Value> = lines
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON object a line"))
            .collect();
        assert!(!lines.is_empty());
        for line in &lines {
            assert_eq!(line["span"]["id"], "req-json", "{line}");
            assert_eq!(line["span"]["path"], "/pay/[card number]", "{line}");
        }
        assert!(
            lines.iter().any(|l| l["fields"]["status"] == 200),
            "{lines:?}"
        );
    }
}
