//! Who is asking: the client's address (a proxy's `X-Forwarded-For` last
//! entry when `TOLEM_BEHIND_PROXY` says one is in front, else the peer)
//! and the browser's random id from its cookie, put into the request as an
//! `app::services::Client` for the limits that count by them (feedback,
//! lookups, payment attempts). A browser without the cookie is given one
//! with its first page: a random id, nothing of the person, kept a year.

use app::services::Client;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::net::SocketAddr;

/// The cookie that carries the browser's id.
pub const BROWSER_COOKIE: &str = "tolem_browser";

fn address(behind_proxy: bool, request: &Request) -> String {
    let forwarded = behind_proxy
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_string());
    forwarded
        .or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The browser's id, when its cookie holds one of ours (32 hex digits).
fn browser(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BROWSER_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub async fn identify(
    State(behind_proxy): State<bool>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = Client {
        address: address(behind_proxy, &request),
        browser: browser(&request),
    };
    let known = client.browser.is_some();
    request.extensions_mut().insert(client);
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !known && is_page {
        let cookie = format!(
            "{BROWSER_COOKIE}={}; Path=/; Max-Age=31536000; HttpOnly; Secure; SameSite=Lax",
            uuid::Uuid::new_v4().simple()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_ids_are_read_from_the_cookie() {
        let with = |cookie: &str| {
            let request = Request::builder()
                .header(header::COOKIE, cookie)
                .body(axum::body::Body::empty())
                .unwrap();
            browser(&request)
        };
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            with(&format!("lang=ru; {BROWSER_COOKIE}={id}")),
            Some(id.into())
        );
        assert_eq!(with(&format!("{BROWSER_COOKIE}=<script>")), None);
        assert_eq!(with("lang=ru"), None);
    }
}
