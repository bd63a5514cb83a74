//! Checking a receipt: where its QR code leads (`/verify/{code}`) and the
//! form a clerk without a camera types the printed code into. A genuine
//! code shows only what the paper can be compared with (number, service,
//! amount, time, and whether it was refunded), nothing about the payer or
//! the card; anything else is plainly "not valid".

use super::{service_name, unavailable};
use crate::i18n::*;
use crate::services::{Services, Standing, VerifiedReceipt};
use crate::{format, lang, paths};
use domain::{ReceiptTextError, VerificationCode};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn verdict(kind: &'static str, text: &'static str) -> AnyView {
    let class = format!("verdict verdict-{kind}");
    view! { <p class=class role="status" data-verdict=kind>{text}</p> }.into_any()
}

fn facts(locale: Locale, receipt: VerifiedReceipt) -> AnyView {
    let standing = receipt.standing();
    let (kind, said, status) = match standing {
        Standing::Paid => (
            "valid",
            td_string!(locale, verify_valid),
            td_string!(locale, verify_standing_paid),
        ),
        Standing::PartlyRefunded => (
            "valid",
            td_string!(locale, verify_valid_partly),
            td_string!(locale, verify_standing_partly),
        ),
        Standing::Refunded => (
            "refunded",
            td_string!(locale, verify_refunded),
            td_string!(locale, verify_standing_refunded),
        ),
    };
    let refunded = (receipt.refunded.tyiyn() > 0).then(|| view! {
        <div><dt>{td_string!(locale, verify_refunded_label)}</dt><dd class="refunded">{format::money(locale, receipt.refunded)}</dd></div>
    });
    let pending = (receipt.refund_pending.tyiyn() > 0).then(|| view! {
        <div><dt>{td_string!(locale, verify_refund_pending_label)}</dt><dd>{format::money(locale, receipt.refund_pending)}</dd></div>
    });
    view! {
        {verdict(kind, said)}
        <dl class="receipt verified">
            <div><dt>{td_string!(locale, receipt_number_label)}</dt><dd class="receipt-number">{receipt.receipt_number.to_string()}</dd></div>
            <div><dt>{td_string!(locale, service_label)}</dt><dd>{service_name(locale, receipt.service)}</dd></div>
            <div><dt>{td_string!(locale, amount_label)}</dt><dd class="amount">{format::money(locale, receipt.amount)}</dd></div>
            <div><dt>{td_string!(locale, paid_at_label)}</dt><dd>{format::date_time(locale, receipt.paid_at)}</dd></div>
            <div><dt>{td_string!(locale, status_label)}</dt><dd class="standing">{status}</dd></div>
            {refunded}
            {pending}
        </dl>
        <p class="hint">{td_string!(locale, verify_facts_note)}</p>
    }
    .into_any()
}

async fn check(services: Services, locale: Locale, typed: String) -> AnyView {
    let code = match typed.parse::<VerificationCode>() {
        Ok(code) => code,
        Err(ReceiptTextError::Empty | ReceiptTextError::Malformed) => {
            return verdict("invalid", td_string!(locale, verify_malformed));
        }
    };
    match services.receipts.verify(&code).await {
        Ok(Some(receipt)) => facts(locale, receipt),
        Ok(None) => verdict("invalid", td_string!(locale, verify_invalid)),
        Err(error) => unavailable(locale, &error),
    }
}

/// `/verify` (the form, and its answer for `?code=`) and `/verify/{code}`.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let typed = use_params_map()
        .with_untracked(|p| p.get("code"))
        .or_else(|| use_query_map().with_untracked(|q| q.get("code")))
        .filter(|c| !c.trim().is_empty());
    let result = typed
        .clone()
        .map(|typed| Suspend::new(check(services, locale, typed)));
    view! {
        <Title text=td_string!(locale, verify_title)/>
        <h1>{td_string!(locale, verify_title)}</h1>
        <Suspense fallback=|| ()>{result}</Suspense>
        <form method="get" action=paths::VERIFY class="lookup verify-form">
            <p class="lead">{td_string!(locale, verify_intro)}</p>
            <label for="verify-code">{td_string!(locale, verify_code_label)}</label>
            <p class="hint" id="verify-code-hint">{td_string!(locale, verify_code_hint)}</p>
            <div class="lookup-row">
                <input
                    id="verify-code"
                    name="code"
                    type="text"
                    autocomplete="off"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="40"
                    value=typed.unwrap_or_default()
                    aria-describedby="verify-code-hint"
                />
                <button type="submit" class="button">{td_string!(locale, verify_button)}</button>
            </div>
        </form>
    }
}
