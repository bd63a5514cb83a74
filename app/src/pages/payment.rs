//! A payment's status page: the bank's challenge while 3-D Secure waits for
//! the citizen, "we are confirming your payment" (refreshing itself, no
//! JavaScript needed) while the outcome is unknown, then the receipt or why
//! the payment did not go through.

use super::{found, problem, service_name};
use crate::i18n::*;
use crate::messages::{Msg, message};
use crate::services::{PaymentStatusView, Services};
use crate::{format, lang, paths};
use domain::{PaymentCode, PaymentId, PaymentState};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

/// The issuer's challenge: a form that posts itself to the acquirer's page,
/// with a Continue button for browsers without JavaScript.
fn challenge_view(locale: Locale, url: String) -> AnyView {
    let nonce = use_nonce();
    if let Some(nonce) = nonce.as_ref() {
        crate::http::allow_form_target(&nonce.to_string(), &url);
    }
    view! {
        <h1>{td_string!(locale, three_ds_title)}</h1>
        <p>{td_string!(locale, three_ds_text)}</p>
        <form id="three-ds" method="post" action=url>
            <button type="submit" class="button">{td_string!(locale, continue_button)}</button>
        </form>
        <script nonce=nonce inner_html=crate::integrity::THREE_DS_SUBMIT></script>
    }
    .into_any()
}

fn payment_view(locale: Locale, payment: PaymentStatusView) -> AnyView {
    let try_again = |locale: Locale, code: &PaymentCode| {
        let href = paths::pay(code);
        view! { <p><a class="button" href=href>{td_string!(locale, try_again_link)}</a></p> }
    };
    match payment.state {
        PaymentState::Succeeded => {
            let receipt = paths::receipt(&payment.id);
            crate::http::see_other(&receipt);
            view! { <p><a href=receipt>{td_string!(locale, receipt_title)}</a></p> }.into_any()
        }
        PaymentState::ThreeDsRequired if payment.challenge_url.is_some() => {
            challenge_view(locale, payment.challenge_url.unwrap_or_default())
        }
        PaymentState::Declined | PaymentState::Failed | PaymentState::Expired => {
            let reason = match (payment.state, payment.decline) {
                (PaymentState::Declined, Some(reason)) => message(locale, reason.key()),
                (PaymentState::Expired, _) => td_string!(locale, payment_expired_text).to_string(),
                _ => Msg::PayProcessorUnavailable.text(locale).to_string(),
            };
            view! {
                <h1>{td_string!(locale, payment_declined_title)}</h1>
                {problem(reason)}
                {try_again(locale, &payment.code)}
            }
            .into_any()
        }
        // Created, authorising, unknown: the answer is on its way. The page
        // asks again by itself, without JavaScript.
        _ => {
            let here = paths::payment(&payment.id);
            view! {
                <Meta http_equiv="refresh" content="3"/>
                <h1>{td_string!(locale, confirming_title)}</h1>
                <p class="notice confirming" role="status">{td_string!(locale, confirming_text)}</p>
                <dl class="receipt">
                    <div><dt>{td_string!(locale, code_label)}</dt><dd class="code">{payment.code.to_string()}</dd></div>
                    <div><dt>{td_string!(locale, service_label)}</dt><dd>{service_name(locale, payment.service)}</dd></div>
                    <div><dt>{td_string!(locale, amount_label)}</dt><dd class="amount">{format::money(locale, payment.amount)}</dd></div>
                </dl>
                <p><a href=here>{td_string!(locale, confirming_refresh)}</a></p>
            }
            .into_any()
        }
    }
}

#[component]
pub fn PaymentPage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let id =
        use_params_map().with_untracked(|p| p.get("id").and_then(|id| PaymentId::parse(&id).ok()));
    let body = Suspend::new(async move {
        let payment = match &id {
            Some(id) => services.payments.payment_status(id).await,
            None => Ok(None),
        };
        match found(locale, payment, Msg::PaymentNotFound) {
            Ok(payment) => payment_view(locale, payment),
            Err(view) => view! { <h1>{td_string!(locale, payment_title)}</h1> {view} }.into_any(),
        }
    });
    view! {
        <Title text=td_string!(locale, payment_title)/>
        <Suspense fallback=|| ()>{body}</Suspense>
    }
}
