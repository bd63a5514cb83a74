//! The pages of the site, one file each (with the layout around them in
//! [`layout`]), rendered on the server only; the one interactive part, the
//! card form, is an island (`crate::pay::island`). Every route waits for its
//! data before answering (`SsrMode::Async`) so the page is complete without
//! JavaScript. What a page does to its response (status, redirect, headers)
//! goes through `crate::http`; the helpers here say "not found" or "not now"
//! the same way on every page.

mod alternates;
mod contacts;
mod documents;
mod feedback;
mod find_receipt;
mod layout;
mod lookup;
mod not_found;
mod pay;
mod payment;
mod receipt;
mod verify;

pub use feedback::{PostedFeedback, topic_name};
pub use layout::language_switch;
pub use pay::PostedPayment;

use crate::i18n::*;
use crate::lang;
use crate::messages::Msg;
use crate::services::ServiceError;
use domain::{DocumentKind, RequestStatus, ServiceKind};
use http::StatusCode;
use leptos::prelude::*;
use leptos_meta::provide_meta_context;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = lang::current();
    view! {
        // What a search engine shows under the site's name, in the page's language.
        <leptos_meta::Meta name="description" content=td_string!(locale, meta_description)/>
        <Router>
            <alternates::LanguageVersions/>
            <a class="skip-link" href="#main">{td_string!(locale, skip_to_content)}</a>
            <layout::TestModeBanner/>
            <layout::SiteHeader/>
            <main id="main" class="container" tabindex="-1">
                <Routes fallback=not_found::NotFound>
                    <Route path=path!("/") view=lookup::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/pay/:code") view=pay::PayPage ssr=SsrMode::Async/>
                    <Route path=path!("/payment/:id") view=payment::PaymentPage ssr=SsrMode::Async/>
                    <Route path=path!("/receipt/:id") view=receipt::ReceiptPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/find-receipt")
                        view=find_receipt::FindReceiptPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/verify") view=verify::VerifyPage ssr=SsrMode::Async/>
                    <Route path=path!("/verify/:code") view=verify::VerifyPage ssr=SsrMode::Async/>
                    <Route path=path!("/documents") view=documents::DocumentsPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/documents/:slug")
                        view=documents::DocumentPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/documents/:slug/editions")
                        view=documents::ArchivePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/documents/:slug/editions/:edition")
                        view=documents::DocumentPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/contacts") view=contacts::ContactsPage ssr=SsrMode::Async/>
                    <Route path=path!("/feedback") view=feedback::FeedbackPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/feedback/sent")
                        view=feedback::FeedbackSentPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
            <layout::SiteFooter/>
        </Router>
    }
}

/// A message in a box that screen readers announce.
fn problem(text: impl Into<String>) -> AnyView {
    let text = text.into();
    view! { <p class="problem" role="alert">{text}</p> }.into_any()
}

/// The page for a service that failed: 503, and for a busy database a
/// `Retry-After` and "try again in a moment" instead of "something broke".
fn unavailable(locale: Locale, error: &ServiceError) -> AnyView {
    let msg = match error {
        ServiceError::Busy => {
            crate::http::set_busy();
            Msg::BusyTryAgain
        }
        _ => {
            crate::http::set_status(StatusCode::SERVICE_UNAVAILABLE);
            Msg::InternalError
        }
    };
    problem(msg.text(locale))
}

/// A page's "load, else say why": the thing found, or the view that says it
/// does not exist (404, with `missing`) or cannot be read now (503).
fn found<T>(
    locale: Locale,
    answer: Result<Option<T>, ServiceError>,
    missing: Msg,
) -> Result<T, AnyView> {
    match answer {
        Ok(Some(value)) => Ok(value),
        Ok(None) => Err(not_found(locale, missing)),
        Err(error) => Err(unavailable(locale, &error)),
    }
}

/// 404, with what was not found.
fn not_found(locale: Locale, missing: Msg) -> AnyView {
    crate::http::set_status(StatusCode::NOT_FOUND);
    problem(missing.text(locale))
}

pub fn service_name(locale: Locale, service: ServiceKind) -> String {
    crate::messages::message(locale, service.message_key())
}

pub fn status_name(locale: Locale, status: RequestStatus) -> String {
    crate::messages::message(locale, status.message_key())
}

pub fn document_title(locale: Locale, kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::PrivacyPolicy => td_string!(locale, policy_title),
        DocumentKind::UserAgreement => td_string!(locale, agreement_title),
    }
}
