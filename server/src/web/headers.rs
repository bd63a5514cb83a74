//! Headers every response carries (security policy, caching), and the
//! conditional answers (`ETag`, 304) of document pages.

use super::whole::MAX_PAGE_BYTES;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Pages are read on slow connections and change rarely for a given
/// address: every page a cache may keep gets an `ETag` (a hash of the page
/// without its nonces) and answers 304 to a browser that has it, so a repeat
/// visit costs headers alone. Pages that are never kept ([`is_private`])
/// are left alone.
pub async fn conditional_pages(request: Request, next: Next) -> Response {
    if request.method() != http::Method::GET || is_private(&request) {
        return next.run(request).await;
    }
    let validators = Validators::of(request.headers());
    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if response.status() != StatusCode::OK || !html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // The per-response nonce is not part of what the page says.
    let digest = <sha2::Sha256 as sha2::Digest>::digest(without_nonces(&bytes));
    let etag = format!("W/\"{}\"", hex::encode(&digest[..12]));
    let Ok(etag_value) = HeaderValue::from_str(&etag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    parts.headers.insert(header::ETAG, etag_value);
    // The language comes from the cookie or the browser's preference.
    parts.headers.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language"),
    );
    if not_modified(&parts.headers, &validators) {
        to_not_modified(&mut parts);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// What a request says it has of a page already.
pub struct Validators {
    if_none_match: Option<HeaderValue>,
    if_modified_since: Option<HeaderValue>,
}

impl Validators {
    pub fn of(request: &HeaderMap) -> Self {
        Validators {
            if_none_match: request.get(header::IF_NONE_MATCH).cloned(),
            if_modified_since: request.get(header::IF_MODIFIED_SINCE).cloned(),
        }
    }
}

/// Whether the browser has the page `response` would send already.
pub fn not_modified(response: &HeaderMap, asked: &Validators) -> bool {
    let Some(etag) = response.get(header::ETAG).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    match (&asked.if_none_match, &asked.if_modified_since) {
        (Some(tags), _) => tags
            .to_str()
            .map(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
            .unwrap_or(false),
        (None, Some(since)) => {
            let last_modified = response
                .get(header::LAST_MODIFIED)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok());
            let since = since
                .to_str()
                .ok()
                .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok());
            matches!((last_modified, since), (Some(modified), Some(since)) if modified <= since)
        }
        (None, None) => false,
    }
}

/// Turns a page's head into a 304's.
pub fn to_not_modified(parts: &mut http::response::Parts) {
    parts.status = StatusCode::NOT_MODIFIED;
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_TYPE);
    // The browser keeps the page it has, whose scripts carry the nonce of
    // the policy it was sent with: a new policy would not match them.
    parts.headers.remove(header::CONTENT_SECURITY_POLICY);
}

/// The page with the values of its `nonce="..."` attributes left out.
fn without_nonces(page: &[u8]) -> Vec<u8> {
    const MARK: &[u8] = b"nonce=\"";
    let mut out = Vec::with_capacity(page.len());
    let mut rest = page;
    while let Some(at) = rest.windows(MARK.len()).position(|w| w == MARK) {
        out.extend_from_slice(&rest[..at + MARK.len()]);
        rest = &rest[at + MARK.len()..];
        let end = rest.iter().position(|&b| b == b'"').unwrap_or(rest.len());
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

/// Headers every response carries, as the payment page's manifest records
/// them: no framing, no sniffing, no referrer, HTTPS only, no window of
/// another site holding a handle on ours (COOP), none of our responses read
/// into another site's page (CORP), none of the browser's sensors, cameras
/// or payment handlers for any script, and where CSP violations go.
pub const SECURITY_HEADERS: [(header::HeaderName, &str); 8] = [
    (
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=63072000; includeSubDomains",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    ),
    (
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    ),
    (
        header::HeaderName::from_static("permissions-policy"),
        "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), \
         gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=(), \
         browsing-topics=()",
    ),
    (
        header::HeaderName::from_static("reporting-endpoints"),
        app::http::REPORTING_ENDPOINTS,
    ),
];

/// Headers every response carries ([`SECURITY_HEADERS`]). Pages set their
/// own CSP with a nonce; any other response gets one that allows nothing to
/// run. What answers a POST is never kept by a cache: it may show what the
/// poster typed.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let private = is_private(&request);
    let mut response = next.run(request).await;
    let not_modified = response.status() == StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
    // A 304 keeps the policy the browser stored with the page.
    if !not_modified {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(NOTHING_RUNS));
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
    }
    response
}

/// Responses no cache may keep: what answers a POST, the pay form (its
/// attempt key is new with each rendering), a payment's pages, receipts,
/// the APIs and the back office.
fn is_private(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == http::Method::POST
        || path.starts_with("/pay/")
        || path.starts_with("/payment/")
        || path.starts_with("/receipt/")
        || path.starts_with("/api/")
        || path.starts_with("/admin")
}

/// The policy of a response that is not a page: nothing runs, nothing frames it.
const NOTHING_RUNS: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
     form-action 'self'; report-uri /csp-reports; report-to csp";

#[cfg(test)]
mod tests {
    use super::without_nonces;

    #[test]
    fn nonces_are_left_out_of_the_page_hash() {
        assert_eq!(
            without_nonces(br#"<script nonce="abc">x</script><script nonce="d">y</script>"#),
            br#"<script nonce="">x</script><script nonce="">y</script>"#.to_vec()
        );
        assert_eq!(without_nonces(b"no scripts"), b"no scripts".to_vec());
    }
}
