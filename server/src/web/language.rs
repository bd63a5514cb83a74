//! The language switch: sets the cookie and returns to the page.

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SwitchQuery {
    next: Option<String>,
}

/// Only paths on this site are followed, so the switch cannot redirect away.
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path
        }
        _ => "/",
    }
}

/// Sets the language cookie and returns to the page the citizen was on.
pub async fn switch_language(
    Path(tag): Path<String>,
    Query(query): Query<SwitchQuery>,
) -> Response {
    let next = local_path(query.next.as_deref());
    let Some(locale) = app::lang::parse(&tag) else {
        return Redirect::to(next).into_response();
    };
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly",
        app::lang::COOKIE,
        app::lang::tag(locale)
    );
    let mut response = Redirect::to(next).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn the_language_switch_only_returns_to_local_paths() {
        assert_eq!(
            local_path(Some("/pay/11202600000001")),
            "/pay/11202600000001"
        );
        assert_eq!(local_path(Some("//evil.example")), "/");
        assert_eq!(local_path(Some("https://evil.example")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
