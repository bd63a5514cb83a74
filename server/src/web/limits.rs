//! Floods and slow clients: what one client, or many at once, can take of
//! the server. Each bound is a well-kept layer, not one of ours:
//!
//! - a request body over `TOLEM_BODY_LIMIT_BYTES` is answered 413
//!   (tower-http's `RequestBodyLimit`: at once when its `Content-Length`
//!   says so, else when a handler reads past the limit);
//! - at most `TOLEM_MAX_CONCURRENT_REQUESTS` requests are served at once
//!   (tower's `GlobalConcurrencyLimit`: axum wraps each route on its own,
//!   and this one semaphore is shared by all of them), and
//!   one more is not queued but answered at once (`LoadShed`): a queue
//!   would only make every citizen wait longer for the same answer;
//! - a request not answered within `TOLEM_REQUEST_TIMEOUT_SECS` stops
//!   being waited for (tower's `Timeout`) and frees its place, and a body
//!   that stops arriving for as long ends in an error (tower-http's
//!   `RequestBodyTimeout`), so the handler, which goes on in its own task
//!   (`whole.rs`), lets go of the connection: a client that vanished
//!   mid-upload holds nothing for good;
//! - a client slow to send its headers is hyper's to cut off
//!   (`TOLEM_HEADER_READ_TIMEOUT_SECS`, see `crate::Application::run`).
//!
//! Shed and timed-out requests get a 503 with `Retry-After` in the
//! citizen's language: the pay island gets its own `Busy` answer (it then
//! says so and keeps the form), other API clients a problem report, and a
//! browser a small page; nothing is rendered, so turning a request away
//! costs next to nothing. These layers sit outside the whole-page task
//! (`whole.rs`), so a timeout never cuts a render short: it only stops
//! waiting for it. Health checks and the acquirer's notifications are
//! timed but never shed: a load balancer must not take a busy server for a
//! dead one, and a notification turned away comes back anyway.

use app::api::PayError;
use app::messages::Msg;
use axum::Router;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::load_shed::error::Overloaded;
use tower::timeout::error::Elapsed;
use tower::{BoxError, ServiceBuilder};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::config::HttpLimits;

/// Pages, forms, `/api/pay` and static files: every bound.
pub fn limit_everything<S>(router: Router<S>, limits: &HttpLimits) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(refuse))
            .load_shed()
            .layer(GlobalConcurrencyLimitLayer::new(
                limits.max_concurrent_requests,
            ))
            .timeout(limits.request_timeout)
            .layer(axum::middleware::from_fn(explain_too_large))
            .layer(RequestBodyLimitLayer::new(limits.body_limit))
            .layer(RequestBodyTimeoutLayer::new(limits.request_timeout)),
    )
}

/// A body over the limit is refused by tower-http (or by an extractor that
/// reads past it) with a bare 413: the citizen reads why, in their language.
async fn explain_too_large(asker: Asker, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::PAYLOAD_TOO_LARGE {
        return response;
    }
    let mut refused = refusal(
        &asker,
        StatusCode::PAYLOAD_TOO_LARGE,
        Msg::RequestTooLarge,
        &PayError::Internal,
        0,
    );
    // Sending the same again will not help: no `Retry-After`.
    refused.headers_mut().remove(header::RETRY_AFTER);
    refused
}

/// Health and the acquirer's notifications (which read at most 64 KiB
/// themselves): the request timeout only.
pub fn limit_time<S>(router: Router<S>, limits: &HttpLimits) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(refuse))
            .timeout(limits.request_timeout)
            .layer(RequestBodyTimeoutLayer::new(limits.request_timeout)),
    )
}

/// Who a refusal is for: the headers that say the language (kept, not
/// read: only a refusal reads them) and the form of answer the path needs.
pub struct Asker {
    answer: Answer,
    cookie: Option<HeaderValue>,
    accept_language: Option<HeaderValue>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    /// The pay island's server function: its own error type.
    PayIsland,
    /// Another machine-read endpoint: a problem report (RFC 9457).
    Problem,
    /// A browser: a small page.
    Page,
}

impl<S: Send + Sync> FromRequestParts<S> for Asker {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let path = parts.uri.path();
        let answer = if path == "/api/pay" {
            Answer::PayIsland
        } else if path.starts_with("/api/") || path.starts_with("/health") {
            Answer::Problem
        } else {
            Answer::Page
        };
        Ok(Asker {
            answer,
            cookie: parts.headers.get(header::COOKIE).cloned(),
            accept_language: parts.headers.get(header::ACCEPT_LANGUAGE).cloned(),
        })
    }
}

impl Asker {
    fn locale(&self) -> app::i18n::Locale {
        let (mut parts, ()) = http::Request::new(()).into_parts();
        let headers = [
            (header::COOKIE, &self.cookie),
            (header::ACCEPT_LANGUAGE, &self.accept_language),
        ];
        for (name, value) in headers {
            if let Some(value) = value {
                parts.headers.insert(name, value.clone());
            }
        }
        app::lang::resolve(&parts)
    }
}

/// Requests turned away because too many were being served.
static SHED: Turned = Turned::new("too many requests at once: answered 503 \"try again\"");
/// Requests not answered within the request timeout.
static TIMED_OUT: Turned = Turned::new("requests took too long: answered 503 \"try again\"");

/// The answer to a request a layer gave up on.
async fn refuse(asker: Asker, error: BoxError) -> Response {
    if error.is::<Overloaded>() {
        SHED.count();
    } else if error.is::<Elapsed>() {
        TIMED_OUT.count();
        // The request may still be reading its body; this connection is
        // done either way.
        let mut response = busy(&asker);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    } else {
        // Nothing else fails in these layers; if something does, the
        // citizen still gets an answer and the log the reason.
        tracing::error!(%error, "a request failed in the limits' layers");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    busy(&asker)
}

/// "Try again in a moment", as `asker` reads it.
fn busy(asker: &Asker) -> Response {
    let wait = app::pay::next::BUSY_RETRY_AFTER_SECS;
    refusal(
        asker,
        StatusCode::SERVICE_UNAVAILABLE,
        Msg::BusyTryAgain,
        &PayError::Busy,
        wait,
    )
}

/// A request turned away with `status`, saying `msg` and when to come back,
/// in the form `asker` reads: the pay island gets `island`, another API
/// client a problem report, a browser a small page.
pub fn refusal(
    asker: &Asker,
    status: StatusCode,
    msg: Msg,
    island: &PayError,
    retry_after_secs: u64,
) -> Response {
    let locale = asker.locale();
    let text = msg.text(locale);
    let (media, body) = match asker.answer {
        Answer::PayIsland => (
            "application/json",
            serde_json::to_string(island).unwrap_or_default(),
        ),
        Answer::Problem => (
            "application/problem+json",
            serde_json::json!({
                "type": "about:blank",
                "title": status.canonical_reason().unwrap_or("Refused"),
                "status": status.as_u16(),
                "detail": text,
            })
            .to_string(),
        ),
        Answer::Page => (
            "text/html; charset=utf-8",
            page(app::lang::tag(locale), text),
        ),
    };
    let mut response = (status, [(header::CONTENT_TYPE, media)], body).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    response
}

/// A page that says `text` and nothing else: rendering the site's layout
/// is the work a busy server must not take on.
fn page(lang: &str, text: &str) -> String {
    let text = escape(text);
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{text}</title></head><body><main><h1>{text}</h1></main></body></html>\n"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Counts requests turned away and says so in the log once a second at
/// most: under a flood a line per request would be a flood of its own.
struct Turned {
    what: &'static str,
    total: AtomicU64,
    unlogged: AtomicU64,
    last_logged: Mutex<Option<Instant>>,
}

impl Turned {
    const fn new(what: &'static str) -> Turned {
        Turned {
            what,
            total: AtomicU64::new(0),
            unlogged: AtomicU64::new(0),
            last_logged: Mutex::new(None),
        }
    }

    fn count(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let unlogged = self.unlogged.fetch_add(1, Ordering::Relaxed) + 1;
        let Ok(mut last) = self.last_logged.try_lock() else {
            return;
        };
        if last.is_none_or(|at| at.elapsed() >= Duration::from_secs(1)) {
            *last = Some(Instant::now());
            self.unlogged.store(0, Ordering::Relaxed);
            tracing::warn!(
                turned_away = unlogged,
                total = self.total.load(Ordering::Relaxed),
                "{}",
                self.what
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asker(answer: Answer, cookie: Option<&'static str>) -> Asker {
        Asker {
            answer,
            cookie: cookie.map(HeaderValue::from_static),
            accept_language: Some(HeaderValue::from_static("ky, en;q=0.5")),
        }
    }

    async fn text(response: Response) -> String {
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024).await;
        String::from_utf8(body.unwrap_or_default().to_vec()).unwrap_or_default()
    }

    #[tokio::test]
    async fn a_shed_request_is_told_to_come_back_in_its_language() {
        let response = refuse(
            asker(Answer::Page, Some("lang=en")),
            Box::new(Overloaded::new()),
        )
        .await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let html = text(response).await;
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        assert!(html.contains("The site is very busy right now"), "{html}");

        let response = refuse(asker(Answer::Problem, None), Box::new(Elapsed::new())).await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let problem: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
        assert_eq!(problem["status"], 503);
        assert!(
            problem["detail"].as_str().unwrap().contains("Учурда"),
            "{problem}"
        );
    }

    #[tokio::test]
    async fn the_pay_island_gets_its_own_busy_answer() {
        let response = refuse(asker(Answer::PayIsland, None), Box::new(Overloaded::new())).await;
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let error: PayError = serde_json::from_str(&text(response).await).unwrap();
        assert_eq!(error, PayError::Busy);
    }

    #[test]
    fn the_page_escapes_what_it_says() {
        assert_eq!(escape("a < b & c > d"), "a &lt; b &amp; c &gt; d");
    }
}
