//! Paying without JavaScript: the card form posted to its own page, and the
//! browser back from the issuer's challenge.

use super::{AppState, render_with};
use crate::payments::Payments;
use app::api::CardFormValues;
use app::card_form::NumberEnding;
use app::pages::PostedPayment;
use app::paths;
use app::pay::{NextStep, next_step};
use app::services::PaymentService;
use axum::Form;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::PaymentId;
use leptos::prelude::provide_context;
use serde::Deserialize;
use std::sync::Arc;

/// The pay form posted by a browser without JavaScript. It runs the same
/// `pay` server function body as the JavaScript path and goes where
/// `next_step` says: on to the receipt or the payment's page (303), or the
/// page again with what to say and everything typed but the CVV. Nothing
/// typed ever goes into a URL.
pub async fn pay_form_post(
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
    let shown = form.shown_back();
    let number_ending = NumberEnding::of(&form.number, &state.settings.brand_table);
    let client = parts
        .extensions
        .get::<app::services::Client>()
        .cloned()
        .unwrap_or_default();
    let outcome = app::pay::flow::pay(&state.services(), form, &client).await;
    let again = match next_step(&outcome) {
        NextStep::GoTo(url) => return Redirect::to(&url).into_response(),
        NextStep::FormAgain(again) => again,
    };
    let status = StatusCode::from_u16(again.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let wait = again.retry_after();
    let posted = PostedPayment {
        values: shown,
        number_ending,
        again,
    };
    let mut response = render_with(&state, parts, move || provide_context(posted.clone())).await;
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    if let Some(wait) = wait {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    }
    response
}

#[derive(Deserialize)]
pub struct ChallengeAnswer {
    #[serde(default)]
    cres: String,
}

/// The browser is back from the issuer's challenge (posted there by the
/// challenge page's form). The payment is completed with the acquirer, then
/// the citizen sees its status page, which shows the receipt on success.
pub async fn challenge_return(
    State(payments): State<Arc<Payments>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<ChallengeAnswer>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(id) = PaymentId::parse(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Only the page of this payment's challenge sends the browser back here
    // (or our own pages, with the in-process sandbox).
    let challenge = match payments.store.payment(&id).await {
        Ok(Some(record)) => record.challenge_url,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(_) => None,
    };
    let issuer = challenge.as_deref().and_then(app::http::origin_of);
    if !super::origin::from_origin(&headers, issuer) {
        tracing::warn!(payment_id = %id, "refused a challenge return from another origin");
        return StatusCode::FORBIDDEN.into_response();
    }
    let answer = form.map(|Form(answer)| answer).unwrap_or(ChallengeAnswer {
        cres: String::new(),
    });
    let cres_ok = !answer.cres.is_empty()
        && answer.cres.len() <= 256
        && answer.cres.bytes().all(|b| b.is_ascii_graphic());
    if cres_ok {
        // Errors are logged by the service; the status page tells the rest.
        let _ = payments.complete_challenge(&id, &answer.cres).await;
    }
    Redirect::to(&paths::payment(&id)).into_response()
}
