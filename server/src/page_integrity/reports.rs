//! The browsers' reports of what a page's security policy blocked (CSP
//! `report-uri` and the Reporting API's `csp-violation`), received at
//! `/csp-reports`: at most a few a minute from one client and a few hundred
//! from all, up to [`MAX_BODY`] bytes each; of each only where it happened
//! and what was blocked is kept: the page's path, the directive, the
//! blocked origin (never its path or query, where a skimmer would carry
//! card data), the script's origin and path, a line; no script samples;
//! card numbers hidden in whatever is left.

use crate::storage::{CspReport, CspReportStore, StoreError};
use app::services::{Client, Clock};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use reqwest::Url;
use serde_json::Value;
use std::num::NonZeroU32;
use std::sync::Arc;

/// A report is a few hundred bytes; a browser batches a few.
pub const MAX_BODY: usize = 16 * 1024;
/// Reports taken from one request (the Reporting API batches).
const PER_REQUEST: usize = 10;
const LONGEST: usize = 200;
/// Keys kept before the idle ones are dropped.
const MAX_KEYS: usize = 10_000;

/// Where reports are kept, and how many are taken.
pub struct ReportDesk {
    pub store: Arc<dyn CspReportStore>,
    pub clock: Clock,
    per_client: DefaultKeyedRateLimiter<String>,
    all: DefaultDirectRateLimiter,
}

impl ReportDesk {
    pub fn new(store: Arc<dyn CspReportStore>, clock: Clock) -> ReportDesk {
        ReportDesk {
            store,
            clock,
            per_client: RateLimiter::keyed(Quota::per_minute(
                NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            )),
            all: RateLimiter::direct(Quota::per_minute(
                NonZeroU32::new(600).unwrap_or(NonZeroU32::MIN),
            )),
        }
    }

    async fn take(&self, reports: Vec<CspReport>) -> Result<(), StoreError> {
        for report in reports {
            tracing::warn!(
                page = %report.page,
                directive = %report.directive,
                blocked = %report.blocked,
                "content security policy violation reported"
            );
            self.store.record_csp_report(&report).await?;
        }
        Ok(())
    }
}

/// 204 for reports kept (or nothing to keep), 429 past the limits, 413 for
/// a body too large; a browser does nothing with the answer.
pub async fn receive(State(desk): State<Arc<ReportDesk>>, request: Request) -> Response {
    let client = request
        .extensions()
        .get::<Client>()
        .map(|c| c.address.clone())
        .unwrap_or_default();
    if desk.per_client.len() > MAX_KEYS {
        desk.per_client.retain_recent();
    }
    if desk.per_client.check_key(&client).is_err() || desk.all.check().is_err() {
        return StatusCode::TOO_MANY_REQUESTS.into_response();
    }
    let Ok(body) = axum::body::to_bytes(request.into_body(), MAX_BODY).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let now = (desk.clock)();
    let reports = parse(&body)
        .into_iter()
        .map(|fields| fields.into_report(now))
        .collect();
    match desk.take(reports).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::warn!(%error, "a CSP report could not be kept");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A report's fields as sent, before anything is dropped.
#[derive(Debug, Default, PartialEq)]
pub struct Sent {
    page: String,
    directive: String,
    blocked: String,
    source: Option<String>,
    line: Option<i64>,
    disposition: String,
}

/// The reports in a body of either format; anything else is no report.
pub fn parse(body: &[u8]) -> Vec<Sent> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let text = |v: &Value, keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned()
    };
    let sent = |v: &Value| Sent {
        page: text(v, &["document-uri", "documentURL"]),
        directive: text(
            v,
            &[
                "effective-directive",
                "effectiveDirective",
                "violated-directive",
            ],
        ),
        blocked: text(v, &["blocked-uri", "blockedURL"]),
        source: Some(text(v, &["source-file", "sourceFile"])).filter(|s| !s.is_empty()),
        line: ["line-number", "lineNumber"]
            .iter()
            .find_map(|k| v.get(k).and_then(Value::as_i64)),
        disposition: text(v, &["disposition"]),
    };
    match &value {
        Value::Object(_) => value
            .get("csp-report")
            .filter(|report| report.is_object())
            .map(sent)
            .into_iter()
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter(|item| item.get("type").and_then(Value::as_str) == Some("csp-violation"))
            .filter_map(|item| item.get("body").filter(|body| body.is_object()))
            .take(PER_REQUEST)
            .map(sent)
            .collect(),
        _ => Vec::new(),
    }
}

impl Sent {
    /// What is kept of it.
    fn into_report(self, now: chrono::DateTime<chrono::Utc>) -> CspReport {
        let directive: String = self
            .directive
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_lowercase() || *c == '-')
            .take(40)
            .collect();
        CspReport {
            received_at: now,
            page: kept(&path_of(&self.page)),
            directive: if directive.is_empty() {
                "unknown".into()
            } else {
                directive
            },
            blocked: blocked(&self.blocked),
            source: self.source.map(|s| kept(&origin_and_path(&s))),
            line: self.line.map(|l| l.clamp(0, 1_000_000)),
            disposition: if self.disposition == "report" {
                "report"
            } else {
                "enforce"
            }
            .into(),
        }
    }
}

/// The URL's path alone (a page's address may carry a query).
fn path_of(url: &str) -> String {
    let path = match Url::parse(url) {
        Ok(url) => url.path().to_owned(),
        Err(_) => without_query(url),
    };
    if path.is_empty() { "/".into() } else { path }
}

/// The URL's origin and path: no user name, password, query or fragment.
fn origin_and_path(url: &str) -> String {
    match Url::parse(url) {
        Ok(url) => format!("{}{}", url.origin().ascii_serialization(), url.path()),
        Err(_) => without_query(url),
    }
}

fn without_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or_default().to_owned()
}

/// A keyword the browser uses (`inline`, `eval`), else the origin alone.
fn blocked(url: &str) -> String {
    const KEYWORDS: [&str; 5] = [
        "inline",
        "eval",
        "wasm-eval",
        "trusted-types-policy",
        "trusted-types-sink",
    ];
    if let Some(keyword) = KEYWORDS.iter().find(|k| **k == url) {
        return (*keyword).into();
    }
    match Url::parse(url) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "ws" | "wss") => {
            kept(&url.origin().ascii_serialization())
        }
        Ok(url) if matches!(url.scheme(), "data" | "blob") => url.scheme().into(),
        _ => "other".into(),
    }
}

/// Card numbers hidden, then at most [`LONGEST`] printable characters.
fn kept(text: &str) -> String {
    domain::redact_card_numbers(text)
        .chars()
        .filter(|c| !c.is_control())
        .take(LONGEST)
        .collect()
}

#[cfg(test)]
mod tests;
