//! Paying: the card form's island ([`island`]), its texts ([`text`]), what
//! it starts from (`setup`) and what it reads back from the page in the
//! browser (`attributes`, `from_page`); the `pay` server function, the form's JSON twin for scripts
//! and load generators, whose body the form post runs too ([`flow`], server
//! only); and the one rule from the outcome of a submit to what happens next
//! ([`next`]), which the form post, the JSON call and the pay page follow.

mod attributes;
#[cfg(feature = "ssr")]
pub mod flow;
#[cfg(not(feature = "ssr"))]
mod from_page;
pub mod island;
pub mod next;
mod setup;
pub mod text;

pub use next::{FormAgain, NextStep, next_step};

use crate::api::{CardFormValues, PayError, PayResult};
use leptos::prelude::*;

/// Checks the card form again on the server, charges the card and records the
/// payment, answering in JSON; the pay form's post runs the same body through
/// the server's form handler.
#[server(prefix = "/api", endpoint = "pay", input = server_fn::codec::Json)]
pub async fn pay(form: CardFormValues) -> Result<PayResult, PayError> {
    let services = use_context::<crate::services::Services>().ok_or(PayError::Internal)?;
    // The server's middleware says who is asking (`server::web::client`).
    let parts = use_context::<http::request::Parts>();
    let client = parts
        .as_ref()
        .and_then(|parts| parts.extensions.get::<crate::services::Client>().cloned())
        .unwrap_or_default();
    // A browser's own form post of the function is sent back to its page
    // (302, the server function's way) and keeps that status.
    let wants_page = parts.as_ref().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    });
    let outcome = flow::pay(&services, form, &client).await;
    if let (Some(response), Err(error)) = (use_context::<leptos_axum::ResponseOptions>(), &outcome)
    {
        // The status the no-JavaScript post answers with (422, 409, ...):
        // left alone, every error would go out as a 500.
        let again = FormAgain::after(error);
        if !wants_page || again.retry_after().is_some() {
            response.set_status(
                http::StatusCode::from_u16(again.status)
                    .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
            );
        }
        if let Some(wait) = again.retry_after() {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(wait));
        }
    }
    outcome
}
