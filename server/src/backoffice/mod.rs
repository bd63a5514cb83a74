//! The operator's back office under `/admin`, server-rendered and working
//! without JavaScript: signing in with a password and a one-time code
//! ([`login`]), the overview with its charts ([`overview`]), payments found by any combination of filters with a CSV
//! export of any filtered list ([`payments`], [`export`]), a payment's page
//! ([`payment`]) with refunds for the finance role ([`refunds`]), staff accounts
//! for admins ([`users`]), new editions of documents ([`documents`]), agencies with their keys and
//! deliveries ([`agencies`]), the audit log ([`audit`]) and the feedback inbox
//! ([`feedback`]). Every request
//! passes [`guard`] (deny by default, CSRF, live session, role) inside
//! the session layer ([`sessions`]); the pages are `app::backoffice`'s.

pub mod agencies;
pub mod audit;
pub mod documents;
pub mod export;
pub mod feedback;
pub mod guard;
pub mod login;
pub mod overview;
pub mod payment;
pub mod payments;
pub mod refunds;
pub mod sessions;
pub mod users;

use crate::payments::Payments;
use crate::staff::StaffDesk;
use crate::storage::PaymentStore;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use guard::Ctx;
use std::sync::Arc;

/// What the back office's handlers share.
#[derive(Clone)]
pub struct BackOffice {
    pub desk: Arc<StaffDesk>,
    pub store: Arc<dyn PaymentStore>,
    /// Refunds go through the payment service, like the automatic ones.
    pub payments: Arc<Payments>,
    pub sessions: sessions::StaffSessions,
    pub test_mode: bool,
    /// Cookies only over https (the site's public address says which).
    pub secure_cookies: bool,
}

/// The back office's routes, each checked by [`guard::guard`].
pub fn router<S: Clone + Send + Sync + 'static>(bo: BackOffice) -> Router<S> {
    let session_layer = bo.sessions.layer(&bo.desk.settings, bo.secure_cookies);
    Router::new()
        .route("/admin", get(home))
        .route(
            "/admin/login",
            get(login::sign_in_page).post(login::sign_in),
        )
        .route("/admin/login/code", get(login::code_page).post(login::code))
        .route("/admin/logout", post(login::sign_out))
        .route("/admin/overview", get(overview::overview))
        .route("/admin/payments", get(payments::list))
        .route("/admin/payments/export", get(export::csv))
        .route("/admin/payments/{id}", get(payment::detail))
        .route("/admin/payments/{id}/refunds", post(refunds::ask))
        .route("/admin/users", get(users::list).post(users::add))
        .route("/admin/users/{id}", get(users::account))
        .route("/admin/users/{id}/{action}", post(users::act))
        .route("/admin/audit", get(audit::list))
        .route("/admin/agencies", get(agencies::index).post(agencies::add))
        .route("/admin/agencies/{id}", get(agencies::agency))
        .route("/admin/agencies/{id}/keys", post(agencies::create_key))
        .route(
            "/admin/agencies/{id}/keys/{key}/revoke",
            post(agencies::revoke_key),
        )
        .route("/admin/agencies/{id}/webhook", post(agencies::set_webhook))
        .route(
            "/admin/agencies/{id}/events/{event}/redeliver",
            post(agencies::redeliver),
        )
        .route(
            "/admin/documents",
            get(documents::form).post(documents::submit),
        )
        .route("/admin/feedback", get(feedback::list))
        .route("/admin/feedback/{id}", get(feedback::item))
        .route("/admin/feedback/{id}/handled", post(feedback::handled))
        .route_layer(middleware::from_fn_with_state(bo.clone(), guard::guard))
        .layer(session_layer)
        // A static file: no session to load or save, nothing to guard.
        .route("/admin/style.css", get(stylesheet))
        .with_state(bo)
}

/// The back office's stylesheet, kept out of the citizens' one.
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        include_str!("admin.css"),
    )
        .into_response()
}

async fn home() -> Response {
    axum::response::Redirect::to("/admin/payments").into_response()
}

/// The database was too busy to answer: try again in a moment. Said in
/// the three languages, as it comes before the request's language is known.
pub fn busy() -> Response {
    use app::i18n::Locale;
    let text = [Locale::ru, Locale::ky, Locale::en]
        .map(|locale| {
            format!(
                "<p lang=\"{}\">{}</p>",
                app::lang::tag(locale),
                app::messages::Msg::BusyTryAgain.text(locale)
            )
        })
        .join("");
    let page = format!("<!DOCTYPE html><meta charset=\"utf-8\"><title>503</title>{text}");
    let mut response = (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(app::http::RETRY_AFTER_SECS),
    );
    response
}

/// A page that is not there (an unknown payment or account).
pub fn not_found(ctx: &Ctx) -> Response {
    guard::refuse(ctx, StatusCode::NOT_FOUND)
}
