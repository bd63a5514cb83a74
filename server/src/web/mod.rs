//! The HTTP surface: the Leptos pages with the services in their context,
//! and beside them the handlers that are not pages, each in its module:
//! the no-JavaScript pay form and the 3-D Secure return ([`pay`]), the
//! `pay` server function's arguments read first ([`pay_arguments`]), the
//! feedback form ([`feedback`]), the acquirer's notifications
//! ([`notifications`]), the language switch ([`language`]), health for load
//! balancers ([`health`]), static files under hashed names ([`assets`]);
//! and the layers
//! every response goes through: pages rendered whole ([`whole`]), security
//! and caching headers, conditional document pages ([`headers`]), no
//! state changed by another site's page ([`origin`]), and bounds on what
//! floods and slow clients can take ([`limits`]), and the access log
//! ([`access_log`]).

mod access_log;
pub mod assets;
mod client;
mod feedback;
mod headers;
mod health;
mod language;
pub mod limits;
mod notifications;
pub(crate) mod origin;
mod page_copies;
mod pay;
mod pay_arguments;
mod whole;

pub use headers::SECURITY_HEADERS;
pub use health::AcquirerLink;
pub use notifications::NotificationKey;
pub use page_copies::PageCopies;

use crate::config::HttpLimits;
use crate::documents::Documents;
use crate::feedback::FeedbackDesk;
use crate::payments::Payments;
use crate::processor::ACS_PATH;
use acquirer::engine::Engine;
use app::pages::App;
use app::services::{Services, SiteSettings};
use app::shell::shell;
use axum::Router;
use axum::body::Body;
use axum::extract::{FromRef, Request};
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::Response;
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};

/// Everything a handler may need, each service once; handlers take the part
/// they need (`State<Arc<Payments>>`, ...). Behind one `Arc`: axum clones the
/// state for every request and every layer that takes it, and cloning each
/// service's handle (the Leptos options alone are a dozen strings) was a
/// fifth of the CPU of a small response.
#[derive(Clone)]
pub struct AppState(Arc<Site>);

impl AppState {
    pub fn new(site: Site) -> Self {
        Self(Arc::new(site))
    }
}

impl std::ops::Deref for AppState {
    type Target = Site;
    fn deref(&self) -> &Site {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Site {
    pub leptos_options: LeptosOptions,
    pub payments: Arc<Payments>,
    pub receipts: Arc<crate::receipts::Receipts>,
    pub documents: Arc<Documents>,
    pub feedback: Arc<FeedbackDesk>,
    pub settings: Arc<SiteSettings>,
    /// The in-process sandbox acquirer, whose challenge pages the site serves.
    pub sandbox: Option<Arc<Engine>>,
    pub notification_key: NotificationKey,
    /// Whether a proxy in front of us sets `X-Forwarded-For` (its last entry
    /// is then the client's address).
    pub behind_proxy: bool,
    /// The throttle on lookups by payment code.
    pub lookups: std::sync::Arc<crate::abuse::lookups::LookupThrottle>,
    /// The agency API's service and rate limits.
    pub api: crate::api::ApiState,
    /// The operator's back office (`/admin`).
    pub backoffice: crate::backoffice::BackOffice,
    /// The payment page's manifest and the CSP reports' desk.
    pub integrity: crate::page_integrity::PageIntegrity,
    /// When the acquirer last answered, for readiness.
    pub acquirer: AcquirerLink,
    /// The pages rendered once and answered again.
    pub copies: PageCopies,
}

/// What `#[derive(FromRef)]` gives a struct, for the parts behind the `Arc`.
macro_rules! parts_from_state {
    ($($field:ident: $type:ty),* $(,)?) => {
        $(impl FromRef<AppState> for $type {
            fn from_ref(state: &AppState) -> Self {
                state.0.$field.clone()
            }
        })*
    };
}

parts_from_state! {
    leptos_options: LeptosOptions,
    payments: Arc<Payments>,
    receipts: Arc<crate::receipts::Receipts>,
    documents: Arc<Documents>,
    feedback: Arc<FeedbackDesk>,
    settings: Arc<SiteSettings>,
    sandbox: Option<Arc<Engine>>,
    notification_key: NotificationKey,
    behind_proxy: bool,
    lookups: Arc<crate::abuse::lookups::LookupThrottle>,
    api: crate::api::ApiState,
    backoffice: crate::backoffice::BackOffice,
    integrity: crate::page_integrity::PageIntegrity,
    acquirer: AcquirerLink,
    copies: PageCopies,
}

impl Site {
    /// The services as the pages find them in their context.
    fn services(&self) -> Services {
        Services {
            payments: self.payments.clone(),
            receipts: self.receipts.clone(),
            documents: self.documents.clone(),
            feedback: self.feedback.clone(),
            settings: self.settings.clone(),
        }
    }
}

pub fn router(state: AppState, limits: &HttpLimits) -> Router {
    let routes = generate_route_list(App);
    let site_root = state.leptos_options.site_root.to_string();
    let pkg_dir = format!("{site_root}/{}", state.leptos_options.site_pkg_dir);
    // Cloned with the handlers for every request: one `Arc` to count.
    let context = {
        let services = Arc::new(state.services());
        move || provide_context(Services::clone(&services))
    };
    let not_found = leptos_axum::render_app_async_with_context(context.clone(), shell);

    let mut pages = Router::new();
    if let Some(engine) = &state.sandbox {
        pages = pages.nest_service(ACS_PATH, acquirer::http::acs_router(engine.clone()));
    }
    let pages = pages
        .leptos_routes_with_context(&state, routes, context, shell)
        .route("/pay/{code}", post(pay::pay_form_post))
        .route("/payment/{id}/3ds", post(pay::challenge_return))
        .route(app::paths::FEEDBACK, post(feedback::feedback_post))
        .route("/lang/{tag}", get(language::switch_language))
        .route(
            app::paths::CSP_REPORTS,
            post(crate::page_integrity::reports::receive)
                .with_state(state.integrity.reports.clone()),
        )
        .nest_service(
            "/pkg",
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn(assets::cache_hashed))
                .service(
                    ServeDir::new(pkg_dir)
                        .precompressed_br()
                        .precompressed_gzip(),
                ),
        )
        .route_service(
            "/favicon.svg",
            ServeFile::new(format!("{site_root}/favicon.svg")),
        )
        .fallback(move |req: Request| not_found(req));
    // Every wait inside a request is bounded where it waits (the database's
    // wait, the commit's, the acquirer client's timeouts); the request
    // timeout bounds what is left, a client slow to send its body, and the
    // concurrency limit what many clients at once can take. Their timers
    // and semaphore cost a payment no CPU beyond the throughput bench's
    // noise (eight paired runs: 243 against 234 us of CPU a payment).
    // The card-data watch of the tests sits inside the limits, so its
    // buffering leaves their timing alone.
    #[cfg(any(test, feature = "testing"))]
    let watch = Some(middleware::from_fn(crate::testing::card_watch::watch));
    #[cfg(not(any(test, feature = "testing")))]
    let watch = None::<tower::layer::util::Identity>;
    // Each `Router::layer` boxes every route once more, and each middleware
    // clones what is inside it for every request (a route's whole stack,
    // its Leptos handler included): the pages' own layers are stacked in
    // one `ServiceBuilder`, and the layers a page's copy is answered
    // through sit around the pages' router, whose clone is one `Arc`.
    let pages = pages
        .layer(
            tower::ServiceBuilder::new()
                .layer(middleware::from_fn(crate::monitoring::http::name_route))
                .layer(middleware::from_fn(headers::conditional_pages))
                .layer(middleware::from_fn(whole::run_to_completion))
                .layer(middleware::from_fn(pay_arguments::read_pay_arguments))
                .layer(middleware::from_fn_with_state(
                    state.clone(),
                    crate::receipts::download::receipt_pdf,
                )),
        )
        .with_state(state.clone());
    // Outermost first: who is asking (the throttle and the pay flow count
    // by it), the throttle on lookups, the copies.
    let pages = Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(middleware::from_fn_with_state(
                state.behind_proxy,
                client::identify,
            ))
            .layer(middleware::from_fn_with_state(
                state.lookups.clone(),
                crate::abuse::lookups::throttle_lookups,
            ))
            .option_layer(watch)
            .layer(middleware::from_fn_with_state(
                state.copies.clone(),
                page_copies::answer_copies,
            ))
            .service(pages),
    );
    let pages = limits::limit_everything(pages, limits);
    let never_shed = Router::new()
        .route(
            "/api/acquirer/notifications",
            post(notifications::acquirer_notification),
        )
        .route(
            app::paths::PAYMENT_PAGE_INVENTORY,
            get(crate::page_integrity::inventory),
        )
        .route("/health", get(health::ready))
        .route("/health/ready", get(health::ready))
        .route("/health/live", get(health::live))
        .layer(middleware::from_fn(whole::run_to_completion));
    let api = crate::api::router(state.api.clone(), limits);
    // Beside the pages rather than among them: its CSV export streams,
    // where the pages are read whole (`whole`).
    let backoffice = crate::backoffice::router(state.backoffice.clone()).layer(
        middleware::from_fn_with_state(state.behind_proxy, client::identify),
    );
    let backoffice = limits::limit_everything(backoffice, limits);
    let pages = pages
        .merge(api)
        .merge(backoffice)
        .merge(limits::limit_time(never_shed, limits))
        .layer(
            tower::ServiceBuilder::new()
                .layer(CompressionLayer::new().br(true).gzip(true))
                .layer(middleware::from_fn(
                    crate::monitoring::http::record_requests,
                ))
                .layer(middleware::from_fn(headers::security_headers))
                .layer(middleware::from_fn(origin::refuse_cross_site)),
        );
    access_log::log_requests(pages).with_state(state)
}

/// Asks the browser to come back in a moment (a busy database).
pub(crate) fn retry_after(response: &mut Response) {
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(app::http::RETRY_AFTER_SECS),
    );
}

/// Renders the app for `request` with extra context (a posted form's state).
async fn render_with(
    state: &AppState,
    parts: http::request::Parts,
    extra: impl Fn() + Clone + Send + Sync + 'static,
) -> Response {
    let services = state.services();
    let render = leptos_axum::render_app_async_with_context(
        move || {
            provide_context(services.clone());
            extra();
        },
        shell,
    );
    render(Request::from_parts(parts, Body::empty())).await
}
