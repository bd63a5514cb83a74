//! The pay page: what is paid, the card form (an island; it works without
//! JavaScript as a plain form that posts back here), and what paying
//! accepts. After a no-JS post that did not end on another page, the same
//! page shows the form again with what `crate::pay::next_step` says.

use super::lookup::RequestSummary;
use super::{found, problem, unavailable};
use crate::api::CardFormValues;
use crate::card_form::NumberEnding;
use crate::i18n::*;
use crate::messages::{Msg, card_check_messages, card_form_messages};
use crate::pay::FormAgain;
use crate::pay::flow::not_payable;
use crate::pay::island::{CardForm, CardFormSetup, CardFormText};
use crate::pay::text::{BRAND, CardFormMessages, PROCESSING, SUBMIT};
use crate::services::{Services, current_month};
use crate::{format, lang, paths};
use domain::{DocumentKind, EditionsInForce, IdempotencyKey, PaymentCode};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// What a no-JavaScript form post to the pay page produced, when it did not
/// end on the receipt: the page shows it with the citizen's input, minus the
/// card number (named by its brand and last four) and the CVV.
#[derive(Clone, Debug)]
pub struct PostedPayment {
    /// Already without the number and the CVV ([`CardFormValues::shown_back`]).
    pub values: CardFormValues,
    pub number_ending: Option<NumberEnding>,
    pub again: FormAgain,
}

/// Key and text of `messages` and of the labels the island changes.
fn keyed(locale: Locale, messages: Vec<Msg>) -> Vec<(String, String)> {
    let labels = [
        (SUBMIT, td_string!(locale, submit_payment)),
        (PROCESSING, td_string!(locale, processing)),
        (BRAND, td_string!(locale, brand_label)),
    ];
    labels
        .into_iter()
        .map(|(key, text)| (key.to_string(), text.to_string()))
        .chain(
            messages
                .into_iter()
                .map(|msg| (msg.key().to_string(), msg.text(locale).to_string())),
        )
        .collect()
}

fn card_form_text(locale: Locale) -> CardFormText {
    CardFormText {
        cardholder_label: td_string!(locale, cardholder_label).into(),
        cardholder_hint: td_string!(locale, cardholder_hint).into(),
        number_label: td_string!(locale, number_label).into(),
        number_hint: td_string!(locale, number_hint).into(),
        expiry_label: td_string!(locale, expiry_label).into(),
        expiry_hint: td_string!(locale, expiry_hint).into(),
        month_label: td_string!(locale, month_label).into(),
        year_label: td_string!(locale, year_label).into(),
        cvv_label: td_string!(locale, cvv_label).into(),
        cvv_hint: td_string!(locale, cvv_hint).into(),
        summary_title: td_string!(locale, error_summary_title).into(),
        messages: keyed(locale, card_form_messages()),
    }
}

async fn pay_page(
    services: Services,
    locale: Locale,
    raw: String,
    posted: Option<PostedPayment>,
) -> AnyView {
    let code = PaymentCode::parse(&raw).ok();
    let request = match code.as_ref() {
        Some(code) => services.payments.find_request(code).await,
        None => Ok(None),
    };
    let request = match found(locale, request, Msg::LookupUnknown) {
        Ok(request) => request,
        Err(view) => return view,
    };
    if !request.status.is_payable() {
        let reason = not_payable(request.status).text(locale);
        return view! {
            <RequestSummary request/>
            <h2>{td_string!(locale, request_not_payable_title)}</h2>
            {problem(reason)}
        }
        .into_any();
    }
    let editions = match services.documents.editions_in_force().await {
        Ok(editions) => editions,
        Err(error) => return unavailable(locale, &error),
    };
    let (values, number_note, errors, notice) = match posted {
        Some(PostedPayment {
            values,
            number_ending,
            again,
        }) => (
            CardFormValues {
                idempotency_key: again
                    .next_key
                    .map_or(values.idempotency_key.clone(), |key| key.to_string()),
                ..values.shown_back()
            },
            number_ending
                .map(|ending| td_string!(locale, number_again, card = ending.label()).to_string()),
            again.errors,
            again
                .notice
                .map(|key| crate::messages::message(locale, &key)),
        ),
        None => (CardFormValues::default(), None, Vec::new(), None),
    };
    // Made once per rendered form: every submit of it is one attempt.
    let idempotency_key = match IdempotencyKey::parse(&values.idempotency_key) {
        Ok(key) => key,
        Err(_) => services.payments.new_idempotency_key(),
    };
    // A page answered again (the server's copies) gets a key of its own.
    crate::http::mark_fresh(&idempotency_key.to_string());
    let setup = CardFormSetup {
        action: paths::pay(&request.code),
        values: CardFormValues {
            code: request.code.to_string(),
            idempotency_key: idempotency_key.to_string(),
            privacy_policy_edition: editions.privacy_policy.edition.to_string(),
            user_agreement_edition: editions.user_agreement.edition.to_string(),
            ..values
        },
        number_note,
        errors,
        notice,
        text: card_form_text(locale),
        elcart_prefix: services.settings.elcart_prefix.clone(),
        today: current_month(services.settings.now()),
    };
    // The island takes its setup from here on the server (and from the page
    // in the browser): it has no props.
    provide_context(setup);
    view! {
        <RequestSummary request/>
        <section class="pay" aria-labelledby="pay-heading">
            <h2 id="pay-heading">{td_string!(locale, card_details_heading)}</h2>
            <p>{td_string!(locale, pay_intro)}</p>
            <CardForm/>
            <CardFormMessages messages=keyed(locale, card_check_messages())/>
            <Consent editions/>
        </section>
    }
    .into_any()
}

/// What paying accepts: both documents, named by the date of their edition.
#[component]
fn Consent(editions: EditionsInForce) -> impl IntoView {
    let locale = lang::current();
    let date = |kind: DocumentKind| format::day(locale, editions.of(kind).effective_from);
    view! {
        <p class="consent">
            {td_string!(locale, consent_before)} " "
            <a href=paths::document(DocumentKind::PrivacyPolicy)>{td_string!(locale, consent_link)}</a> " "
            {td_string!(locale, consent_edition, date = date(DocumentKind::PrivacyPolicy))} " "
            {td_string!(locale, consent_and)} " "
            <a href=paths::document(DocumentKind::UserAgreement)>{td_string!(locale, consent_agreement_link)}</a> " "
            {td_string!(locale, consent_edition, date = date(DocumentKind::UserAgreement))}
        </p>
    }
}

#[component]
pub fn PayPage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let raw = use_params_map()
        .with_untracked(|p| p.get("code"))
        .unwrap_or_default();
    let posted = use_context::<PostedPayment>();
    view! {
        <Title text=td_string!(locale, pay_title)/>
        <h1>{td_string!(locale, pay_title)}</h1>
        <Suspense fallback=|| ()>{Suspend::new(pay_page(services, locale, raw, posted))}</Suspense>
    }
}
