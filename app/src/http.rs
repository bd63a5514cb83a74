//! What a page says besides its HTML: its status, where it sends the
//! browser, when it last changed, and its security policy. Pages call these
//! while they render; the server applies them to the response.

use http::{HeaderValue, StatusCode, header};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

/// How long a busy page asks the browser to wait before trying again.
pub const RETRY_AFTER_SECS: &str = "2";

pub fn set_status(status: StatusCode) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
}

/// 503, and "come back in two seconds".
pub fn set_busy() {
    set_status(StatusCode::SERVICE_UNAVAILABLE);
    if let Some(response) = use_context::<ResponseOptions>() {
        response.insert_header(
            header::RETRY_AFTER,
            HeaderValue::from_static(RETRY_AFTER_SECS),
        );
    }
}

/// Sends the browser on with 303 See Other.
pub fn see_other(path: &str) {
    if let (Some(response), Ok(location)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(path),
    ) {
        response.set_status(StatusCode::SEE_OTHER);
        response.insert_header(header::LOCATION, location);
    }
}

/// Marks a page with when what it shows last changed, so repeat visits can
/// be answered with 304 (the server adds the `ETag`).
pub fn set_last_modified(moment: chrono::DateTime<chrono::Utc>) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&crate::format::http_date(moment)),
    ) {
        response.insert_header(header::LAST_MODIFIED, value);
    }
}

/// Where a page names the values that must be new in every copy of it
/// (the pay form's attempt key), for the server, which renders a page once
/// and answers copies of it, to make them anew. Never sent to a browser.
pub const FRESH_VALUE_HEADER: &str = "x-tolem-fresh-value";

/// Names `value`, written in this page, as one to make anew in each copy.
pub fn mark_fresh(value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        response.insert_header(header::HeaderName::from_static(FRESH_VALUE_HEADER), value);
    }
}

/// Lets this page's forms post to one more origin (the issuer's challenge
/// page, which may live on the acquirer's site).
pub fn allow_form_target(nonce: &str, url: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&content_security_policy(nonce, origin_of(url))),
    ) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The Content-Security-Policy of a rendered page: scripts only from our
/// origin or with this response's nonce, no inline styles, no framing;
/// forms post to us, and to `form_target` when one is given.
pub fn content_security_policy(nonce: &str, form_target: Option<&str>) -> String {
    let extra = form_target
        .filter(|o| {
            o.bytes()
                .all(|b| b.is_ascii_graphic() && b != b';' && b != b',')
        })
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         form-action 'self'{extra}; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; \
         report-uri {reports}; report-to csp",
        reports = crate::paths::CSP_REPORTS
    )
}

/// Where browsers send reports of what a page's policy blocked (the
/// `Reporting-Endpoints` header; `report-uri` in the policy says the same
/// to browsers without the Reporting API).
pub const REPORTING_ENDPOINTS: &str = r#"csp="/csp-reports""#;

/// The origin (`scheme://host:port`) of an absolute URL.
pub fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host_end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + host_end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_origin_can_join_the_form_targets() {
        assert_eq!(
            origin_of("https://acs.bank.kg:8443/challenge/1"),
            Some("https://acs.bank.kg:8443")
        );
        assert_eq!(origin_of("/payment/1"), None);
        let policy = content_security_policy("n", Some("https://a.kg; script-src *"));
        assert!(policy.contains("form-action 'self';"), "{policy}");
        let policy = content_security_policy("n", Some("https://acs.bank.kg"));
        assert!(policy.contains("form-action 'self' https://acs.bank.kg;"));
    }

    #[test]
    fn the_island_and_the_server_ask_for_the_same_wait() {
        assert_eq!(
            super::RETRY_AFTER_SECS.parse::<u64>().ok(),
            Some(crate::pay::next::BUSY_RETRY_AFTER_SECS)
        );
    }
}
