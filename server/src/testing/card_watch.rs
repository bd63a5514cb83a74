//! Watches test servers for card numbers going where they must not. Every
//! card number a request carried (a form field, a JSON string, the query)
//! is remembered for the whole test run, and every HTML or JSON response is
//! searched for it, as are the log lines ([`LogScan`]) and, when a test asks,
//! the database (`seen_numbers`). Compiled only for tests: a test server runs
//! behind [`watch`], and the test harness fails a test run in which any
//! server sent a number back ([`leaks`]).

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeSet;
use std::sync::{LazyLock, Mutex};

static SEEN: LazyLock<Mutex<BTreeSet<String>>> = LazyLock::new(Mutex::default);
static LEAKS: LazyLock<Mutex<Vec<String>>> = LazyLock::new(Mutex::default);

/// Every card number (digits only) any request to a test server carried.
pub fn seen_numbers() -> Vec<String> {
    SEEN.lock()
        .map(|s| s.iter().cloned().collect())
        .unwrap_or_default()
}

/// Where a remembered card number was found: a response or a log line.
pub fn leaks() -> Vec<String> {
    LEAKS.lock().map(|l| l.clone()).unwrap_or_default()
}

/// A remembered card number that `text` holds, however it is grouped
/// (one pass over the text for anything that looks like a card number,
/// then a look-up of each: cheap enough for every page of a load test).
pub fn holds_seen_number(text: &str) -> Option<String> {
    let found = domain::card_numbers_in(text);
    if found.is_empty() {
        return None;
    }
    let seen = SEEN.lock().ok()?;
    found
        .into_iter()
        .map(|(_, digits)| digits)
        .find(|digits| seen.contains(digits))
}

fn check(place: impl FnOnce() -> String, text: &str) {
    if let Some(digits) = holds_seen_number(text)
        && let Ok(mut leaks) = LEAKS.lock()
    {
        leaks.push(format!("{} (a number starting {})", place(), &digits[..6]));
    }
}

fn remember_numbers_in(text: &str) {
    let found = domain::card_numbers_in(text);
    if !found.is_empty()
        && let Ok(mut seen) = SEEN.lock()
    {
        seen.extend(found.into_iter().map(|(_, digits)| digits));
    }
}

/// Every string a request body holds, decoded: form fields, JSON strings, or
/// the text itself.
fn remember_body(bytes: &[u8]) {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(bytes) {
        remember_json(&json);
    } else {
        for (_, value) in url::form_urlencoded::parse(bytes) {
            remember_numbers_in(&value);
        }
        remember_numbers_in(&String::from_utf8_lossy(bytes));
    }
}

fn remember_json(value: &serde_json::Value) {
    match value {
        serde_json::Value::String(s) => remember_numbers_in(s),
        serde_json::Value::Array(items) => items.iter().for_each(remember_json),
        serde_json::Value::Object(map) => map.values().for_each(remember_json),
        _ => {}
    }
}

/// The middleware: remembers the request's card numbers, then searches the
/// HTML or JSON it is answered with.
pub async fn watch(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    if let Some(query) = parts.uri.query() {
        for (_, value) in url::form_urlencoded::parse(query.as_bytes()) {
            remember_numbers_in(&value);
        }
    }
    // The body limit and timeout layers sit outside this one.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return next.run(Request::from_parts(parts, Body::empty())).await;
    };
    remember_body(&bytes);
    let place = format!("{} {}", parts.method, parts.uri.path());
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let is_text = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.contains("html") || t.contains("json"));
    if !is_text {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    check(
        || format!("the answer to {place} ({})", parts.status),
        &String::from_utf8_lossy(&bytes),
    );
    Response::from_parts(parts, Body::from(bytes))
}

/// A log writer for tests that writes nowhere and records a line holding a
/// remembered card number as a leak.
#[derive(Clone, Copy, Default)]
pub struct LogScan;

impl std::io::Write for LogScan {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let line = String::from_utf8_lossy(buf);
        // The leak is named by its first six digits only: the line itself
        // would print the number into the test's output.
        check(|| "a log line".to_string(), &line);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogScan {
    type Writer = LogScan;

    fn make_writer(&'a self) -> LogScan {
        LogScan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_found_however_the_form_groups_it() {
        remember_body(b"number=5105+1051+0510+5100&cvv=123");
        assert!(holds_seen_number("<input value=\"5105 1051 0510 5100\">").is_some());
        assert!(holds_seen_number("{\"n\":\"5105105105105100\"}").is_some());
        assert!(holds_seen_number("510510******5100").is_none());
    }
}
