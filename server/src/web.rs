//! The HTTP surface: Leptos pages and server functions, the no-JavaScript
//! form post of the pay page, the language switch, static files, and the
//! security headers every response carries.

use crate::processor::{self, ACS_PATH};
use crate::service::Payments;
use acquirer::engine::Engine;
use app::api::{CardFormValues, PayError, PayResult};
use app::backend::Backend;
use app::backend::{Feedback, ServiceError};
use app::feedback::{FeedbackField, FeedbackForm, check_feedback};
use app::pages::{App, PostedFeedback, PostedPayment};
use app::shell::shell;
use axum::body::Body;
use axum::extract::{FromRef, FromRequest, Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Deserialize;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::TimeoutLayer;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub backend: Backend,
    pub payments: Arc<Payments>,
    /// The in-process sandbox acquirer, whose challenge pages the site serves.
    pub sandbox: Option<Arc<Engine>>,
    /// The key the acquirer signs its notifications with (gateway only).
    pub notification_key: Option<Vec<u8>>,
    /// Whether a proxy in front of us sets `X-Forwarded-For` (its last entry
    /// is then the client's address).
    pub behind_proxy: bool,
    /// The longest a request may take; then it is answered 503.
    pub request_timeout: std::time::Duration,
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

    let mut router = Router::new();
    if let Some(engine) = &state.sandbox {
        router = router.nest_service(ACS_PATH, acquirer::http::acs_router(engine.clone()));
    }
    router
        .leptos_routes_with_context(&state, routes, context, app_shell)
        .route("/pay/{code}", post(pay_form_post))
        .route("/payment/{id}/3ds", post(challenge_return))
        .route("/feedback", post(feedback_post))
        .route("/api/acquirer/notifications", post(acquirer_notification))
        .route("/lang/{tag}", get(switch_language))
        .route("/health", get(crate::health::ready))
        .route("/health/live", get(crate::health::live))
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
        .layer(middleware::from_fn(run_to_completion))
        .layer(middleware::from_fn(conditional_documents))
        // Everything a request starts in the database or at the acquirer
        // runs in tasks of its own (see `storage`, `service`): ending a
        // request early here cancels only its waiting.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            state.request_timeout,
        ))
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
    let mut shown = form.clone().without_cvv();
    let outcome = app::backend::pay(&state.backend, form).await;
    match &outcome {
        Ok(PayResult::Paid { receipt_id }) => {
            return Redirect::to(&format!("/receipt/{receipt_id}")).into_response();
        }
        Ok(PayResult::Continue { url }) => return Redirect::to(url).into_response(),
        _ => {}
    }
    // An attempt that ended needs a new key for the next one.
    let next_key = match &outcome {
        Ok(PayResult::Declined { next_key, .. }) => Some(next_key.as_str()),
        Err(error) => error.next_key(),
        _ => None,
    };
    if let Some(next_key) = next_key {
        shown.idempotency_key = next_key.to_string();
    }
    let status = match &outcome {
        Err(PayError::Busy) => StatusCode::SERVICE_UNAVAILABLE,
        Err(PayError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        Err(
            PayError::NotPayable { .. } | PayError::StaleForm { .. } | PayError::EditionsChanged,
        ) => StatusCode::CONFLICT,
        Err(PayError::ProcessorUnavailable { .. }) => StatusCode::BAD_GATEWAY,
        Err(PayError::Internal) => StatusCode::INTERNAL_SERVER_ERROR,
        Ok(_) => StatusCode::PAYMENT_REQUIRED,
    };
    let posted = PostedPayment {
        values: shown,
        outcome,
    };
    let mut response = render_with(&state, parts, move || provide_context(posted.clone())).await;
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        retry_after(&mut response);
    }
    response
}

/// Asks the browser to come back in a moment (a busy database).
fn retry_after(response: &mut Response) {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(app::backend::RETRY_AFTER_SECS),
    );
}

/// Renders the app for `request` with extra context (a posted form's state).
async fn render_with(
    state: &AppState,
    parts: http::request::Parts,
    extra: impl Fn() + Clone + Send + Sync + 'static,
) -> Response {
    let backend = state.backend.clone();
    let options = state.leptos_options.clone();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(backend.clone());
            extra();
        },
        move || shell(options.clone()),
    );
    render(Request::from_parts(parts, Body::empty())).await
}

/// The client's address as the feedback rate limit counts it.
fn client_address(state: &AppState, parts: &http::request::Parts) -> String {
    let forwarded = state
        .behind_proxy
        .then(|| parts.headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_string());
    forwarded
        .or_else(|| {
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The feedback form, posted (with or without JavaScript). A message that
/// holds something like a card number is refused and not shown back.
async fn feedback_post(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let form = Form::<FeedbackForm>::from_request(Request::from_parts(parts.clone(), body), &())
        .await
        .map(|Form(form)| form)
        .unwrap_or_default();
    let (errors, notice, status) = match check_feedback(&form) {
        Ok(checked) => {
            let feedback = Feedback {
                topic: checked.topic,
                message: checked.message,
                reply_email: checked.reply_email,
                receipt_number: checked.receipt_number,
                language: app::lang::tag(app::lang::resolve(&parts)).into(),
                client: client_address(&state, &parts),
            };
            match state.backend.send_feedback(feedback).await {
                Ok(()) => return Redirect::to("/feedback/sent").into_response(),
                Err(ServiceError::RateLimited) => (
                    Vec::new(),
                    Some("feedback_rate_limited"),
                    StatusCode::TOO_MANY_REQUESTS,
                ),
                Err(ServiceError::Busy) => (
                    Vec::new(),
                    Some("busy_try_again"),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
                Err(_) => (
                    Vec::new(),
                    Some("internal_error"),
                    StatusCode::SERVICE_UNAVAILABLE,
                ),
            }
        }
        Err(errors) => (errors, None, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let mut values = form;
    if errors.iter().any(|(field, key)| {
        *field == FeedbackField::Message && *key == "feedback_error_card_number"
    }) {
        values.message.clear();
    }
    let posted = PostedFeedback {
        values,
        errors,
        notice,
    };
    let mut response = render_with(&state, parts, move || provide_context(posted.clone())).await;
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        retry_after(&mut response);
    }
    response
}

/// Runs the handler and reads its whole answer in a task of its own, which
/// goes on to the end even if the client hangs up or the request times out.
///
/// Leptos renders a page through a reactive owner that it tears down at the
/// end of the page's body stream. Cut short (a dropped request, a body not
/// read to its end), that tear-down raced the render and could deadlock a
/// runtime thread inside Leptos: one such thread in 700,000 hung-up
/// requests. Here no render is ever cut short: the page is written in full
/// (it is complete before its first byte anyway, see `SsrMode::Async`) and
/// only then handed to the connection. Static files stream as they are.
async fn run_to_completion(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/pkg/") || path == "/favicon.svg" {
        return next.run(request).await;
    }
    let whole = tokio::spawn(async move {
        let (parts, body) = next.run(request).await.into_parts();
        match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
            Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
            Err(error) => {
                tracing::error!(%error, "a page could not be read whole");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    });
    whole.await.unwrap_or_else(|error| {
        tracing::error!(%error, "a request's task ended abnormally");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

/// No page comes near this; it bounds what a broken one could take.
const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// Document pages change rarely and are read on slow connections: they get
/// an `ETag` (a hash of the page) and answer 304 to a browser that has them.
async fn conditional_documents(request: Request, next: Next) -> Response {
    let documents =
        request.method() == http::Method::GET && request.uri().path().starts_with("/documents");
    if !documents {
        return next.run(request).await;
    }
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let if_modified_since = request.headers().get(header::IF_MODIFIED_SINCE).cloned();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
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
    let unchanged = match (&if_none_match, &if_modified_since) {
        (Some(tags), _) => tags
            .to_str()
            .map(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
            .unwrap_or(false),
        (None, Some(since)) => {
            let last_modified = parts
                .headers
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
    };
    if unchanged {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        // The browser keeps the page it has, whose scripts carry the nonce of
        // the policy it was sent with: a new policy would not match them.
        parts.headers.remove(header::CONTENT_SECURITY_POLICY);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
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

#[derive(Deserialize)]
struct ChallengeAnswer {
    #[serde(default)]
    cres: String,
}

/// The browser is back from the issuer's challenge (posted there by the
/// challenge page's form). The payment is completed with the acquirer, then
/// the citizen sees its status page, which shows the receipt on success.
async fn challenge_return(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: Result<Form<ChallengeAnswer>, axum::extract::rejection::FormRejection>,
) -> Response {
    let answer = form.map(|Form(answer)| answer).unwrap_or(ChallengeAnswer {
        cres: String::new(),
    });
    let cres_ok = !answer.cres.is_empty()
        && answer.cres.len() <= 256
        && answer.cres.bytes().all(|b| b.is_ascii_graphic());
    if app::backend::is_hex_id(&id) && cres_ok {
        // Errors are logged by the service; the status page tells the rest.
        let _ = state.backend.complete_challenge(&id, &answer.cres).await;
    }
    Redirect::to(&app::backend::payment_url(&id)).into_response()
}

/// The acquirer's signed notification of an order's outcome. Anything not
/// signed with our key is refused; duplicates and late ones are harmless.
async fn acquirer_notification(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    let Some(key) = &state.notification_key else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let path = request.uri().path().to_string();
    let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if acquirer::protocol::verify_headers(
        key,
        &headers,
        "POST",
        &path,
        &body,
        acquirer::protocol::now_unix(),
    )
    .is_err()
    {
        tracing::warn!("acquirer notification with a bad signature refused");
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(notification) = serde_json::from_slice::<acquirer::protocol::Notification>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    if let Some(outcome) = processor::notification_outcome(&notification)
        && state
            .payments
            .apply_notification(&notification.order_id, outcome)
            .await
            .is_err()
    {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    StatusCode::NO_CONTENT.into_response()
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
        path.starts_with("/pay/")
            || path.starts_with("/payment/")
            || path.starts_with("/receipt/")
            || path.starts_with("/api/")
    };
    let mut response = next.run(request).await;
    let not_modified = response.status() == StatusCode::NOT_MODIFIED;
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
    // A 304 keeps the policy the browser stored with the page.
    if !not_modified {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ));
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

#[cfg(test)]
mod tests {
    use super::{local_path, without_nonces};

    #[test]
    fn nonces_are_left_out_of_the_page_hash() {
        assert_eq!(
            without_nonces(br#"<script nonce="abc">x</script><script nonce="d">y</script>"#),
            br#"<script nonce="">x</script><script nonce="">y</script>"#.to_vec()
        );
        assert_eq!(without_nonces(b"no scripts"), b"no scripts".to_vec());
    }

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
