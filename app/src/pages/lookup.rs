//! The home page: the payment-code form, and what a code stands for once
//! looked up (who and what is paid, how much, and the way to pay, or for
//! a paid code the way to its receipt).

use super::find_receipt::FindReceiptForm;
use super::{problem, service_name, status_name, unavailable};
use crate::i18n::*;
use crate::messages::{Msg, message};
use crate::pay::flow::not_payable;
use crate::services::{PaymentRequestView, Services};
use crate::{format, lang, paths};
use domain::{PaymentCode, RequestStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RequestSummary(request: PaymentRequestView) -> impl IntoView {
    let locale = lang::current();
    let status_class = format!("status status-{}", request.status.as_str());
    view! {
        <section class="summary" aria-labelledby="summary-heading">
            <h2 id="summary-heading">{td_string!(locale, request_heading)}</h2>
            <dl>
                <div><dt>{td_string!(locale, code_label)}</dt><dd class="code">{request.code.to_string()}</dd></div>
                <div><dt>{td_string!(locale, service_label)}</dt><dd>{service_name(locale, request.service)}</dd></div>
                <div><dt>{td_string!(locale, applicant_label)}</dt><dd class="applicant">{request.applicant_masked.clone()}</dd></div>
                <div><dt>{td_string!(locale, amount_label)}</dt><dd class="amount">{format::money(locale, request.amount)}</dd></div>
                <div><dt>{td_string!(locale, status_label)}</dt><dd class=status_class>{status_name(locale, request.status)}</dd></div>
                {(request.status == RequestStatus::AwaitingPayment).then(|| view! {
                    <div><dt>{td_string!(locale, expires_label)}</dt><dd>{format::date_time(locale, request.expires_at)}</dd></div>
                })}
            </dl>
        </section>
    }
}

async fn lookup(services: Services, locale: Locale, raw: String) -> AnyView {
    let code = match PaymentCode::parse(&raw) {
        Ok(code) => code,
        Err(e) => return problem(message(locale, e.key())),
    };
    match services.payments.find_request(&code).await {
        Ok(Some(request)) => {
            let action = if request.status.is_payable() {
                let href = paths::pay(&request.code);
                view! { <a class="button" href=href>{td_string!(locale, pay_button)}</a> }
                    .into_any()
            } else if request.status == RequestStatus::Paid {
                let code = request.code.to_string();
                view! {
                    {problem(not_payable(request.status).text(locale))}
                    <p>{td_string!(locale, lookup_paid_receipt)}</p>
                    <FindReceiptForm code/>
                }
                .into_any()
            } else {
                problem(not_payable(request.status).text(locale))
            };
            view! { <RequestSummary request/> {action} }.into_any()
        }
        // A code nobody issued is what the citizen typed wrong, not a
        // missing page: the form stays, with the message under it.
        Ok(None) => problem(Msg::LookupUnknown.text(locale)),
        Err(error) => unavailable(locale, &error),
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let typed = use_query_map()
        .with_untracked(|q| q.get("code"))
        .filter(|c| !c.trim().is_empty());
    let result = typed
        .clone()
        .map(|raw| Suspend::new(lookup(services, locale, raw)));
    view! {
        <Title text=td_string!(locale, home_title)/>
        <h1>{td_string!(locale, home_title)}</h1>
        <p class="lead">{td_string!(locale, home_intro)}</p>
        <form method="get" action=paths::HOME class="lookup">
            <label for="code">{td_string!(locale, code_label)}</label>
            <p class="hint" id="code-hint">{td_string!(locale, code_hint)}</p>
            <div class="lookup-row">
                <input
                    id="code"
                    name="code"
                    type="text"
                    inputmode="numeric"
                    autocomplete="off"
                    spellcheck="false"
                    maxlength="32"
                    value=typed.unwrap_or_default()
                    aria-describedby="code-hint"
                />
                <button type="submit" class="button">{td_string!(locale, find_button)}</button>
            </div>
        </form>
        <Suspense fallback=|| ()>{result}</Suspense>
        <p class="find-receipt-link"><a href=paths::FIND_RECEIPT>{td_string!(locale, find_receipt_link)}</a></p>
    }
}
