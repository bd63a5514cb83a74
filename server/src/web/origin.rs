//! Other sites cannot make their visitors' browsers act here (ASVS 4.2.2):
//! every state-changing request must come from this site's own pages.
//!
//! Fetch Metadata first: browsers send `Sec-Fetch-Site`, and only
//! `same-origin` (our pages) and `none` (an address typed or bookmarked)
//! pass. A browser too old to send it sends `Origin` on a cross-site post,
//! which must then name the host the request was sent to. A request with
//! neither header did not come from another site's page (a program such as
//! `curl`, or an old browser's same-origin form) and passes.
//!
//! Two routes are for others by design and check their sender themselves:
//! the issuer's 3-D Secure return may come only from the origin of that
//! payment's challenge page ([`from_origin`], in the handler), and the
//! acquirer's notifications carry its signature. The JSON pay endpoint also
//! takes `application/json` only: a cross-site page can send `text/plain`
//! without asking the browser's permission (CORS), never JSON.

use app::i18n::Locale;
use app::messages::Msg;
use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether a request comes from this site's own pages (or from no page).
pub fn same_site(headers: &HeaderMap) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (text(header::ORIGIN.as_str()), text(header::HOST.as_str())) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin_host(origin) == Some(host),
        (Some(_), None) => false,
    }
}

/// Whether a request comes from a page of `origin` (`scheme://host:port`),
/// or from this site itself.
pub fn from_origin(headers: &HeaderMap, origin: Option<&str>) -> bool {
    let sent = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (sent, origin) {
        (Some(sent), Some(origin)) if sent.eq_ignore_ascii_case(origin) => true,
        _ => same_site(headers),
    }
}

/// The `host[:port]` of an origin.
fn origin_host(origin: &str) -> Option<&str> {
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .filter(|host| !host.is_empty() && !host.contains('/'))
}

/// Refuses cross-site state changes (see the module's docs).
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path();
    // The agency API authenticates by bearer key, never by cookie: a page
    // of another site cannot act as an agency.
    let checks_itself = path == "/api/acquirer/notifications"
        || path.starts_with("/api/v1/")
        || (path.starts_with("/payment/") && path.ends_with("/3ds"));
    if !changes_state || checks_itself {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let locale = app::lang::resolve(&parts);
    if !same_site(&parts.headers) {
        tracing::warn!(path = %parts.uri.path(), "refused a cross-site request");
        return refusal(StatusCode::FORBIDDEN, locale, Msg::CrossSiteRefused);
    }
    if parts.uri.path() == "/api/pay" && !is_json(&parts.headers) {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            locale,
            Msg::CrossSiteRefused,
        );
    }
    next.run(Request::from_parts(parts, body)).await
}

pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

/// A problem report (RFC 9457) in the citizen's language.
pub(crate) fn refusal(status: StatusCode, locale: Locale, message: Msg) -> Response {
    let detail = message.text(locale);
    let body = serde_json::json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Refused"),
        "status": status.as_u16(),
        "detail": detail,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn fetch_metadata_decides_and_origin_stands_in_for_it() {
        assert!(same_site(&headers(&[("sec-fetch-site", "same-origin")])));
        assert!(same_site(&headers(&[("sec-fetch-site", "none")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_site(&headers(&[("sec-fetch-site", "same-site")])));
        let host = ("host", "tolem.kg");
        assert!(same_site(&headers(&[host, ("origin", "https://tolem.kg")])));
        assert!(!same_site(&headers(&[
            host,
            ("origin", "https://evil.example")
        ])));
        assert!(!same_site(&headers(&[host, ("origin", "null")])));
        assert!(same_site(&headers(&[host])), "no page sent it");
    }

    #[test]
    fn the_challenge_return_accepts_its_issuers_origin_only() {
        let acs = Some("https://acs.bank.kg");
        let cross = ("sec-fetch-site", "cross-site");
        assert!(from_origin(
            &headers(&[cross, ("origin", "https://acs.bank.kg")]),
            acs
        ));
        assert!(!from_origin(
            &headers(&[cross, ("origin", "https://evil.example")]),
            acs
        ));
        assert!(from_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            None
        ));
    }
}
