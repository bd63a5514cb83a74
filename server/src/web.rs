//! The HTTP surface: Leptos pages and server functions, the no-JavaScript
//! form post of the pay page, the language switch, static files, and the
//! security headers every response carries.

use app::api::{CardFormValues, PayError, PayResult};
use app::backend::Backend;
use app::pages::{App, PostedPayment};
use app::shell::shell;
use axum::body::Body;
use axum::extract::{FromRef, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Deserialize;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub backend: Backend,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let site_root = state.leptos_options.site_root.to_string();
    let pkg_dir = format!("{site_root}/{}", state.leptos_options.site_pkg_dir);
    let context = {
        let backend = state.backend.clone();
        move || provide_context(backend.clone())
    };
    let app_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let not_found = leptos_axum::render_app_async_with_context(context.clone(), app_shell.clone());

    Router::new()
        .leptos_routes_with_context(&state, routes, context, app_shell)
        .route("/pay/{code}", post(pay_form_post))
        .route("/lang/{tag}", get(switch_language))
        .route("/health", get(|| async { "ok" }))
        .nest_service(
            "/pkg",
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .route_service(
            "/favicon.svg",
            ServeFile::new(format!("{site_root}/favicon.svg")),
        )
        .fallback(move |req: Request| not_found(req))
        .layer(middleware::from_fn(security_headers))
        .layer(CompressionLayer::new().br(true).gzip(true))
        .with_state(state)
}

/// The pay form posted by a browser without JavaScript. It runs the same
/// `pay` server function body as the JavaScript path; on success the browser
/// goes to the receipt, otherwise the page is rendered again with the errors
/// and everything typed except the CVV. Nothing typed ever goes into a URL.
async fn pay_form_post(
    State(state): State<AppState>,
    Path(code): Path<String>,
    request: Request,
) -> Response {
    let (parts, body) = request.into_parts();
    let form = Form::<CardFormValues>::from_request(Request::from_parts(parts.clone(), body), &())
        .await
        .map(|Form(form)| form)
        .unwrap_or_default();
    let form = CardFormValues { code, ..form };
    let shown = form.clone().without_cvv();
    let outcome = app::backend::pay(&state.backend, form).await;
    if let Ok(PayResult::Paid { receipt_id }) = &outcome {
        return Redirect::to(&format!("/receipt/{receipt_id}")).into_response();
    }
    let status = match &outcome {
        Err(PayError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        Err(PayError::NotPayable { .. }) => StatusCode::CONFLICT,
        Err(PayError::ProcessorUnavailable) => StatusCode::BAD_GATEWAY,
        Err(PayError::Internal) => StatusCode::INTERNAL_SERVER_ERROR,
        Ok(_) => StatusCode::PAYMENT_REQUIRED,
    };
    let posted = PostedPayment {
        values: shown,
        outcome,
    };
    let backend = state.backend.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(backend.clone());
            provide_context(posted.clone());
        },
        move || shell(options.clone()),
    );
    let mut response = render(Request::from_parts(parts, Body::empty())).await;
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    response
}

#[derive(Deserialize)]
struct SwitchQuery {
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
async fn switch_language(Path(tag): Path<String>, Query(query): Query<SwitchQuery>) -> Response {
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

/// Headers every response carries. Pages set their own CSP with a nonce; any
/// other response gets one that allows nothing to run.
async fn security_headers(request: Request, next: Next) -> Response {
    let private = {
        let path = request.uri().path();
        path.starts_with("/pay/") || path.starts_with("/receipt/") || path.starts_with("/api/")
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=63072000; includeSubDomains"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ));
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    } else {
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-cache"));
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
