//! The pages of the site. They render on the server only; the one interactive
//! part, the card form, is an island (see `islands`). Every route waits for its
//! data before answering (`SsrMode::Async`) so the page is complete without
//! JavaScript.

use crate::api::{CardFormValues, PayError, PayResult};
use crate::backend::{
    Backend, DocumentKind, EditionRef, EditionsInForce, PaymentRequestView, PaymentStatusView,
    ReceiptView, ServiceError, current_month, is_hex_id, not_payable_key,
};
use crate::feedback::{FeedbackField, FeedbackForm, TOPICS};
use crate::i18n::*;
use crate::islands::{CardForm, CardFormSetup, CardFormText};
use crate::messages::{self, message};
use crate::{format, lang};
use domain::{PaymentCode, PaymentState, RequestStatus, ServiceKind};
use http::StatusCode;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use leptos_meta::{Meta, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::hooks::{use_location, use_params_map, use_query_map};
use leptos_router::{SsrMode, path};

/// What a no-JavaScript form post to the pay page produced, when it did not
/// end on the receipt: the page shows it with the citizen's input (minus CVV).
#[derive(Clone, Debug)]
pub struct PostedPayment {
    pub values: CardFormValues,
    pub outcome: Result<PayResult, PayError>,
}

/// A feedback form post that did not pass: the page shows it with the errors.
#[derive(Clone, Debug)]
pub struct PostedFeedback {
    pub values: FeedbackForm,
    pub errors: Vec<(FeedbackField, &'static str)>,
    /// A message above the form (the rate limit, a failure on our side).
    pub notice: Option<&'static str>,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let locale = lang::current();
    view! {
        <Router>
            <a class="skip-link" href="#main">{td_string!(locale, skip_to_content)}</a>
            <SiteHeader/>
            <main id="main" class="container" tabindex="-1">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/pay/:code") view=PayPage ssr=SsrMode::Async/>
                    <Route path=path!("/payment/:id") view=PaymentPage ssr=SsrMode::Async/>
                    <Route path=path!("/receipt/:id") view=ReceiptPage ssr=SsrMode::Async/>
                    <Route path=path!("/documents") view=DocumentsPage ssr=SsrMode::Async/>
                    <Route path=path!("/documents/:slug") view=DocumentPage ssr=SsrMode::Async/>
                    <Route
                        path=path!("/documents/:slug/editions")
                        view=ArchivePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/documents/:slug/editions/:edition")
                        view=DocumentPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/contacts") view=ContactsPage ssr=SsrMode::Async/>
                    <Route path=path!("/feedback") view=FeedbackPage ssr=SsrMode::Async/>
                    <Route path=path!("/feedback/sent") view=FeedbackSentPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <SiteFooter/>
        </Router>
    }
}

fn set_status(status: StatusCode) {
    if let Some(response) = use_context::<ResponseOptions>() {
        response.set_status(status);
    }
}

/// The page for a service that failed: 503, and for a busy database a
/// `Retry-After` and "try again in a moment" instead of "something broke".
fn unavailable(locale: Locale, error: &ServiceError) -> AnyView {
    set_status(StatusCode::SERVICE_UNAVAILABLE);
    let key = match error {
        ServiceError::Busy => {
            if let Some(response) = use_context::<ResponseOptions>() {
                response.insert_header(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static(crate::backend::RETRY_AFTER_SECS),
                );
            }
            "busy_try_again"
        }
        _ => "internal_error",
    };
    problem(message(locale, key))
}

#[component]
fn SiteHeader() -> impl IntoView {
    let locale = lang::current();
    let location = use_location();
    let search = location.search.get_untracked();
    let here = match search.trim_start_matches('?') {
        "" => location.pathname.get_untracked(),
        query => format!("{}?{query}", location.pathname.get_untracked()),
    };
    let links = lang::ALL
        .into_iter()
        .map(|option| {
            let href = lang::switch_href(option, &here);
            let current = (option == locale).then_some("true");
            view! {
                <li>
                    <a href=href hreflang=lang::tag(option) lang=lang::tag(option) aria-current=current>
                        {lang::endonym(option)}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <header class="site-header">
            <div class="container header-row">
                <a class="site-name" href="/">{td_string!(locale, site_name)}</a>
                <nav class="language-switch" aria-label=td_string!(locale, language_label)>
                    <ul>{links}</ul>
                </nav>
            </div>
        </header>
    }
}

#[component]
fn SiteFooter() -> impl IntoView {
    let locale = lang::current();
    // Absent only while the server walks the routes at start-up.
    let Some(backend) = use_context::<Backend>() else {
        return ().into_any();
    };
    let contacts = backend.support_contacts().clone();
    let editions = Suspend::new(async move {
        backend
            .editions_in_force()
            .await
            .ok()
            .map(|editions| view! { <DocumentLinks editions/> })
    });
    view! {
        <footer class="site-footer">
            <div class="container">
                <h2>{td_string!(locale, footer_support)}</h2>
                <ContactList contacts/>
                <p><a href="/contacts">{td_string!(locale, footer_contacts)}</a></p>
                <Suspense fallback=|| ()>{editions}</Suspense>
                <p class="operator">{td_string!(locale, site_operator)}</p>
            </div>
        </footer>
    }
    .into_any()
}

#[component]
fn ContactList(contacts: crate::backend::SupportContacts) -> impl IntoView {
    let locale = lang::current();
    let phones = contacts
        .phones
        .iter()
        .map(|phone| {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            let href = format!("tel:+996{}", digits.trim_start_matches('0'));
            view! { <li>{td_string!(locale, footer_phone)} ": " <a href=href>{phone.clone()}</a></li> }
        })
        .collect_view();
    view! {
        <ul class="contacts">
            <li>
                {td_string!(locale, footer_email)} ": "
                <a href=format!("mailto:{}", contacts.email)>{contacts.email.clone()}</a>
            </li>
            {phones}
        </ul>
    }
}

fn document_title(locale: Locale, kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::PrivacyPolicy => td_string!(locale, policy_title),
        DocumentKind::UserAgreement => td_string!(locale, agreement_title),
    }
}

/// Both documents with the date of the edition in force.
#[component]
fn DocumentLinks(editions: EditionsInForce) -> impl IntoView {
    let locale = lang::current();
    let items = DocumentKind::ALL
        .into_iter()
        .map(|kind| {
            let date = format::day(locale, editions.of(kind).effective_from);
            view! {
                <li>
                    <a href=kind.href()>{document_title(locale, kind)}</a>
                    " · "
                    <span class="edition">{td_string!(locale, edition_of, date = date)}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="documents">{items}</ul> }
}

fn service_name(locale: Locale, service: ServiceKind) -> String {
    message(locale, &format!("service_{}", service.as_str()))
}

fn status_name(locale: Locale, status: RequestStatus) -> String {
    message(locale, &format!("status_{}", status.as_str()))
}

#[component]
fn RequestSummary(request: PaymentRequestView) -> impl IntoView {
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

fn problem(text: String) -> AnyView {
    view! { <p class="problem" role="alert">{text}</p> }.into_any()
}

async fn lookup(backend: Backend, locale: Locale, raw: String) -> AnyView {
    let code = match PaymentCode::parse(&raw) {
        Ok(code) => code,
        Err(e) => return problem(message(locale, e.key())),
    };
    match backend.find_request(&code).await {
        Ok(Some(request)) => {
            let action = if request.status.is_payable() {
                let href = format!("/pay/{}", request.code);
                view! { <a class="button" href=href>{td_string!(locale, pay_button)}</a> }
                    .into_any()
            } else {
                problem(message(locale, not_payable_key(request.status)))
            };
            view! { <RequestSummary request/> {action} }.into_any()
        }
        Ok(None) => problem(message(locale, "lookup_unknown")),
        Err(error) => unavailable(locale, &error),
    }
}

#[component]
fn HomePage() -> impl IntoView {
    let locale = lang::current();
    let backend = expect_context::<Backend>();
    let typed = use_query_map()
        .with_untracked(|q| q.get("code"))
        .filter(|c| !c.trim().is_empty());
    let result = typed
        .clone()
        .map(|raw| Suspend::new(lookup(backend, locale, raw)));
    view! {
        <Title text=td_string!(locale, home_title)/>
        <h1>{td_string!(locale, home_title)}</h1>
        <p class="lead">{td_string!(locale, home_intro)}</p>
        <form method="get" action="/" class="lookup">
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
    }
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
        brand_label: td_string!(locale, brand_label).into(),
        submit: td_string!(locale, submit_payment).into(),
        processing: td_string!(locale, processing).into(),
        summary_title: td_string!(locale, error_summary_title).into(),
        messages: messages::KEYS
            .iter()
            .map(|key| (key.to_string(), message(locale, key)))
            .collect(),
    }
}

async fn pay_page(
    backend: Backend,
    locale: Locale,
    raw: String,
    posted: Option<PostedPayment>,
) -> AnyView {
    let Ok(code) = PaymentCode::parse(&raw) else {
        set_status(StatusCode::NOT_FOUND);
        return problem(message(locale, "lookup_unknown"));
    };
    let request = match backend.find_request(&code).await {
        Ok(Some(request)) => request,
        Ok(None) => {
            set_status(StatusCode::NOT_FOUND);
            return problem(message(locale, "lookup_unknown"));
        }
        Err(error) => return unavailable(locale, &error),
    };
    if !request.status.is_payable() {
        let reason = message(locale, not_payable_key(request.status));
        return view! {
            <RequestSummary request/>
            <h2>{td_string!(locale, request_not_payable_title)}</h2>
            {problem(reason)}
        }
        .into_any();
    }

    let (values, errors, notice) = match posted {
        Some(PostedPayment { values, outcome }) => {
            let (errors, notice) = match outcome {
                Err(PayError::Invalid(errors)) => (errors, None),
                Err(other) => (Vec::new(), Some(message(locale, other.message_key()))),
                Ok(PayResult::Declined { reason_key, .. }) => {
                    (Vec::new(), Some(message(locale, &reason_key)))
                }
                Ok(PayResult::Paid { .. } | PayResult::Continue { .. }) => (Vec::new(), None),
            };
            (values.without_cvv(), errors, notice)
        }
        None => (CardFormValues::default(), Vec::new(), None),
    };
    let editions = match backend.editions_in_force().await {
        Ok(editions) => editions,
        Err(error) => return unavailable(locale, &error),
    };
    // Made once per rendered form: every submit of it is one attempt.
    let idempotency_key = if is_hex_id(&values.idempotency_key) {
        values.idempotency_key.clone()
    } else {
        backend.new_idempotency_key()
    };
    let setup = CardFormSetup {
        action: format!("/pay/{code}"),
        values: CardFormValues {
            code: code.to_string(),
            idempotency_key,
            privacy_policy_edition: editions.privacy_policy.edition.to_string(),
            user_agreement_edition: editions.user_agreement.edition.to_string(),
            ..values
        },
        errors,
        notice,
        text: card_form_text(locale),
        elcart_prefix: backend.elcart_prefix().to_string(),
        today: current_month(backend.now()),
    };
    view! {
        <RequestSummary request/>
        <section class="pay" aria-labelledby="pay-heading">
            <h2 id="pay-heading">{td_string!(locale, card_details_heading)}</h2>
            <p>{td_string!(locale, pay_intro)}</p>
            <CardForm setup/>
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
            <a href=DocumentKind::PrivacyPolicy.href()>{td_string!(locale, consent_link)}</a> " "
            {td_string!(locale, consent_edition, date = date(DocumentKind::PrivacyPolicy))} " "
            {td_string!(locale, consent_and)} " "
            <a href=DocumentKind::UserAgreement.href()>{td_string!(locale, consent_agreement_link)}</a> " "
            {td_string!(locale, consent_edition, date = date(DocumentKind::UserAgreement))}
        </p>
    }
}

#[component]
fn PayPage() -> impl IntoView {
    let locale = lang::current();
    let backend = expect_context::<Backend>();
    let raw = use_params_map()
        .with_untracked(|p| p.get("code"))
        .unwrap_or_default();
    let posted = use_context::<PostedPayment>();
    view! {
        <Title text=td_string!(locale, pay_title)/>
        <h1>{td_string!(locale, pay_title)}</h1>
        <Suspense fallback=|| ()>{Suspend::new(pay_page(backend, locale, raw, posted))}</Suspense>
    }
}

#[component]
fn Receipt(receipt: ReceiptView) -> impl IntoView {
    let locale = lang::current();
    view! {
        <p class="success" role="status">{td_string!(locale, receipt_paid_message)}</p>
        <dl class="receipt">
            <div><dt>{td_string!(locale, receipt_number_label)}</dt><dd class="receipt-number">{receipt.receipt_number.clone()}</dd></div>
            <div><dt>{td_string!(locale, paid_at_label)}</dt><dd>{format::date_time(locale, receipt.paid_at)}</dd></div>
            <div><dt>{td_string!(locale, service_label)}</dt><dd>{service_name(locale, receipt.service)}</dd></div>
            <div><dt>{td_string!(locale, code_label)}</dt><dd class="code">{receipt.code.to_string()}</dd></div>
            <div><dt>{td_string!(locale, applicant_label)}</dt><dd>{receipt.applicant_masked.clone()}</dd></div>
            <div><dt>{td_string!(locale, amount_label)}</dt><dd class="amount">{format::money(locale, receipt.amount)}</dd></div>
            <div><dt>{td_string!(locale, card_label)}</dt><dd class="card">{format!("{} {}", receipt.brand.display_name(), receipt.masked_card)}</dd></div>
            <div><dt>{td_string!(locale, cardholder_short_label)}</dt><dd>{receipt.cardholder.clone()}</dd></div>
            <div><dt>{td_string!(locale, reference_label)}</dt><dd>{receipt.processor_reference.clone()}</dd></div>
            <div><dt>{td_string!(locale, status_label)}</dt><dd class="status status-paid">{status_name(locale, RequestStatus::Paid)}</dd></div>
            {(!receipt.accepted.is_empty()).then(|| {
                let accepted = receipt
                    .accepted
                    .iter()
                    .map(|(kind, edition)| {
                        let date = format::day(locale, edition.effective_from);
                        view! {
                            <li>
                                <a href=kind.edition_href(edition.edition)>{document_title(locale, *kind)}</a>
                                ", " {td_string!(locale, edition_of, date = date).to_lowercase()}
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <div><dt>{td_string!(locale, receipt_accepted_label)}</dt><dd><ul class="accepted">{accepted}</ul></dd></div>
                }
            })}
        </dl>
        <p class="hint">{td_string!(locale, receipt_keep_hint)}</p>
        <p class="no-print"><a href="/">{td_string!(locale, new_payment_link)}</a></p>
    }
}

#[component]
fn ReceiptPage() -> impl IntoView {
    let locale = lang::current();
    let backend = expect_context::<Backend>();
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    let body = Suspend::new(async move {
        match backend.receipt(&id).await {
            Ok(Some(receipt)) => view! { <Receipt receipt/> }.into_any(),
            Ok(None) => {
                set_status(StatusCode::NOT_FOUND);
                problem(message(locale, "receipt_not_found"))
            }
            Err(error) => unavailable(locale, &error),
        }
    });
    view! {
        <Title text=td_string!(locale, receipt_title)/>
        <h1>{td_string!(locale, receipt_title)}</h1>
        <Suspense fallback=|| ()>{body}</Suspense>
    }
}

/// Sends the browser on with 303 See Other.
fn see_other(path: &str) {
    if let (Some(response), Ok(location)) = (
        use_context::<ResponseOptions>(),
        http::HeaderValue::from_str(path),
    ) {
        response.set_status(StatusCode::SEE_OTHER);
        response.insert_header(http::header::LOCATION, location);
    }
}

/// The origin (`scheme://host:port`) of an absolute URL.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host_end = rest.find('/').unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + host_end])
}

/// The issuer's challenge: a form that posts itself to the acquirer's page,
/// with a Continue button for browsers without JavaScript.
fn challenge_view(locale: Locale, url: String) -> AnyView {
    let nonce = use_nonce();
    if let (Some(nonce), Some(response)) = (nonce.as_ref(), use_context::<ResponseOptions>())
        && let Ok(value) =
            http::HeaderValue::from_str(&crate::shell::content_security_policy_with_form_target(
                &nonce.to_string(),
                origin_of(&url),
            ))
    {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
    view! {
        <h1>{td_string!(locale, three_ds_title)}</h1>
        <p>{td_string!(locale, three_ds_text)}</p>
        <form id="three-ds" method="post" action=url>
            <button type="submit" class="button">{td_string!(locale, continue_button)}</button>
        </form>
        <script nonce=nonce inner_html="document.getElementById('three-ds').submit()"></script>
    }
    .into_any()
}

fn payment_view(locale: Locale, payment: PaymentStatusView) -> AnyView {
    let try_again = |locale: Locale, code: &PaymentCode| {
        let href = format!("/pay/{code}");
        view! { <p><a class="button" href=href>{td_string!(locale, try_again_link)}</a></p> }
    };
    match payment.state {
        PaymentState::Succeeded => {
            let receipt = format!("/receipt/{}", payment.id);
            see_other(&receipt);
            view! { <p><a href=receipt>{td_string!(locale, receipt_title)}</a></p> }.into_any()
        }
        PaymentState::ThreeDsRequired if payment.challenge_url.is_some() => {
            challenge_view(locale, payment.challenge_url.unwrap_or_default())
        }
        PaymentState::Declined | PaymentState::Failed | PaymentState::Expired => {
            let reason = match (payment.state, payment.decline) {
                (PaymentState::Declined, Some(reason)) => message(locale, reason.key()),
                (PaymentState::Expired, _) => td_string!(locale, payment_expired_text).to_string(),
                _ => message(locale, "pay_processor_unavailable"),
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
            let here = format!("/payment/{}", payment.id);
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
fn PaymentPage() -> impl IntoView {
    let locale = lang::current();
    let backend = expect_context::<Backend>();
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    let body = Suspend::new(async move {
        match backend.payment_status(&id).await {
            Ok(Some(payment)) => payment_view(locale, payment),
            Ok(None) => {
                set_status(StatusCode::NOT_FOUND);
                view! {
                    <h1>{td_string!(locale, payment_title)}</h1>
                    {problem(td_string!(locale, payment_not_found).to_string())}
                }
                .into_any()
            }
            Err(error) => view! {
                <h1>{td_string!(locale, payment_title)}</h1>
                {unavailable(locale, &error)}
            }
            .into_any(),
        }
    });
    view! {
        <Title text=td_string!(locale, payment_title)/>
        <Suspense fallback=|| ()>{body}</Suspense>
    }
}

/// Marks a document page with when the site's documents last changed, so
/// repeat visits can be answered with 304 (the server adds the `ETag`).
fn set_last_modified(moment: chrono::DateTime<chrono::Utc>) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        http::HeaderValue::from_str(&format::http_date(moment)),
    ) {
        response.insert_header(http::header::LAST_MODIFIED, value);
    }
}

#[component]
fn DocumentsPage() -> impl IntoView {
    let locale = lang::current();
    let backend = expect_context::<Backend>();
    let body = Suspend::new(async move {
        match backend.editions_in_force().await {
            Ok(editions) => {
                set_last_modified(editions.last_change());
                view! { <DocumentLinks editions/> }.into_any()
            }
            Err(error) => unavailable(locale, &error),
        }
    });
    view! {
        <Title text=td_string!(locale, documents_title)/>
        <h1>{td_string!(locale, documents_title)}</h1>
        <p class="lead">{td_string!(locale, documents_intro)}</p>
        <Suspense fallback=|| ()>{body}</Suspense>
    }
}

fn document_not_found(locale: Locale) -> AnyView {
    set_status(StatusCode::NOT_FOUND);
    view! {
        <h1>{td_string!(locale, not_found_title)}</h1>
        {problem(td_string!(locale, document_not_found).to_string())}
    }
    .into_any()
}

/// A document: the edition in force at `/documents/{slug}`, any edition
/// that has taken effect at its permanent `/documents/{slug}/editions/{n}`.
#[component]
fn DocumentPage() -> impl IntoView {
    let locale = lang::current();
    let backend = expect_context::<Backend>();
    let (slug, edition) = use_params_map().with_untracked(|p| (p.get("slug"), p.get("edition")));
    let body = Suspend::new(async move {
        let Some(kind) = slug.as_deref().and_then(DocumentKind::from_slug) else {
            return document_not_found(locale);
        };
        let edition = match edition.map(|e| e.parse::<u32>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => return document_not_found(locale),
        };
        let (document, editions) = (
            backend.document(kind, edition, lang::tag(locale)).await,
            backend.editions_in_force().await,
        );
        let (document, editions) = match (document, editions) {
            (Ok(document), Ok(editions)) => (document, editions),
            (Err(error), _) | (_, Err(error)) => return unavailable(locale, &error),
        };
        let Some(document) = document else {
            return document_not_found(locale);
        };
        set_last_modified(editions.last_change());
        let title = document_title(locale, kind);
        let date = format::day(locale, document.effective_from);
        let fallback = document.language != lang::tag(locale);
        let superseded = document.superseded_at.is_some();
        view! {
            <Title text=title/>
            <article class="document" lang=document.language.clone()>
                <p class="edition">
                    {td_string!(locale, edition_number, number = document.edition, date = date)}
                    {(!superseded).then(|| view! { " · " {td_string!(locale, edition_in_force)} })}
                </p>
                {superseded.then(|| view! {
                    <p class="notice" lang=lang::tag(locale)>
                        {td_string!(locale, edition_superseded)} " "
                        <a href=kind.href()>{td_string!(locale, current_edition_link)}</a>
                    </p>
                })}
                {fallback.then(|| view! {
                    <p class="translation-note" lang=lang::tag(locale)>{td_string!(locale, document_only_russian)}</p>
                })}
                <div inner_html=document.html></div>
            </article>
            <p class="no-print">
                <a href=format!("/documents/{}/editions", kind.slug())>{td_string!(locale, archive_link)}</a>
            </p>
        }
        .into_any()
    });
    view! { <Suspense fallback=|| ()>{body}</Suspense> }
}

/// Every edition of a document that has taken effect, each at its permanent URL.
#[component]
fn ArchivePage() -> impl IntoView {
    let locale = lang::current();
    let backend = expect_context::<Backend>();
    let slug = use_params_map().with_untracked(|p| p.get("slug"));
    let body = Suspend::new(async move {
        let Some(kind) = slug.as_deref().and_then(DocumentKind::from_slug) else {
            return document_not_found(locale);
        };
        let (editions, in_force) = match (
            backend.document_editions(kind).await,
            backend.editions_in_force().await,
        ) {
            (Ok(editions), Ok(in_force)) => (editions, in_force),
            (Err(error), _) | (_, Err(error)) => return unavailable(locale, &error),
        };
        // The footer names both documents' editions: either one changes the page.
        set_last_modified(in_force.last_change());
        let current = editions.last().map(|e| e.edition);
        let items = editions
            .iter()
            .rev()
            .map(|e: &EditionRef| {
                let date = format::day(locale, e.effective_from);
                let in_force = (Some(e.edition) == current)
                    .then(|| view! { " · " {td_string!(locale, edition_in_force)} });
                view! {
                    <li>
                        <a href=kind.edition_href(e.edition)>
                            {td_string!(locale, edition_number, number = e.edition, date = date)}
                        </a>
                        {in_force}
                    </li>
                }
            })
            .collect_view();
        let title = document_title(locale, kind);
        view! {
            <Title text=format!("{title}: {}", td_string!(locale, archive_title))/>
            <h1>{title}</h1>
            <h2>{td_string!(locale, archive_title)}</h2>
            <ul class="editions">{items}</ul>
        }
        .into_any()
    });
    view! { <Suspense fallback=|| ()>{body}</Suspense> }
}

#[component]
fn ContactsPage() -> impl IntoView {
    let locale = lang::current();
    let contacts = expect_context::<Backend>().support_contacts().clone();
    view! {
        <Title text=td_string!(locale, contacts_title)/>
        <h1>{td_string!(locale, contacts_title)}</h1>
        <p class="lead">{td_string!(locale, contacts_intro)}</p>
        <ContactList contacts/>
        <p><a class="button" href="/feedback">{td_string!(locale, contacts_feedback_link)}</a></p>
    }
}

fn topic_name(locale: Locale, topic: &str) -> &'static str {
    match topic {
        "payment" => td_string!(locale, feedback_topic_payment),
        "refund" => td_string!(locale, feedback_topic_refund),
        "site" => td_string!(locale, feedback_topic_site),
        "suggestion" => td_string!(locale, feedback_topic_suggestion),
        _ => td_string!(locale, feedback_topic_other),
    }
}

/// The feedback form; it posts to itself and works without JavaScript.
#[component]
fn FeedbackPage() -> impl IntoView {
    let locale = lang::current();
    let posted = use_context::<PostedFeedback>();
    let (values, errors, notice) = match posted {
        Some(p) => (p.values, p.errors, p.notice),
        None => (FeedbackForm::default(), Vec::new(), None),
    };
    let error_for = |field: FeedbackField| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, key)| message(locale, key))
    };
    let field_error = move |field: FeedbackField| {
        error_for(field).map(|text| {
            let id = format!("{}-error", field.input_id());
            view! { <p class="field-error" id=id>{text}</p> }
        })
    };
    let invalid = move |field: FeedbackField| error_for(field).map(|_| "true");
    let summary = (!errors.is_empty()).then(|| {
        let items = errors
            .iter()
            .map(|(field, key)| {
                let href = format!("#{}", field.input_id());
                view! { <li><a href=href>{message(locale, key)}</a></li> }
            })
            .collect_view();
        view! {
            <div class="error-summary" role="alert" tabindex="-1">
                <h2>{td_string!(locale, error_summary_title)}</h2>
                <ul>{items}</ul>
            </div>
        }
    });
    let topics = TOPICS
        .into_iter()
        .map(|topic| {
            let selected = values.topic == topic;
            view! { <option value=topic selected=selected>{topic_name(locale, topic)}</option> }
        })
        .collect_view();
    view! {
        <Title text=td_string!(locale, feedback_title)/>
        <h1>{td_string!(locale, feedback_title)}</h1>
        <p class="lead">{td_string!(locale, feedback_intro)}</p>
        {notice.map(|key| problem(message(locale, key)))}
        {summary}
        <form method="post" action="/feedback" class="feedback-form" novalidate>
            <div class="field">
                <label for="topic">{td_string!(locale, feedback_topic_label)}</label>
                {field_error(FeedbackField::Topic)}
                <select id="topic" name="topic" aria-invalid=invalid(FeedbackField::Topic)>
                    <option value="">{td_string!(locale, feedback_topic_choose)}</option>
                    {topics}
                </select>
            </div>
            <div class="field">
                <label for="message">{td_string!(locale, feedback_message_label)}</label>
                <p class="hint" id="message-hint">{td_string!(locale, feedback_message_hint)}</p>
                {field_error(FeedbackField::Message)}
                <textarea
                    id="message"
                    name="message"
                    rows="6"
                    maxlength="2000"
                    aria-describedby="message-hint"
                    aria-invalid=invalid(FeedbackField::Message)
                >
                    {values.message.clone()}
                </textarea>
            </div>
            <div class="field">
                <label for="reply-email">{td_string!(locale, feedback_email_label)}</label>
                {field_error(FeedbackField::ReplyEmail)}
                <input
                    id="reply-email"
                    name="reply_email"
                    type="email"
                    autocomplete="email"
                    value=values.reply_email.clone()
                    aria-invalid=invalid(FeedbackField::ReplyEmail)
                />
            </div>
            <div class="field">
                <label for="receipt-number">{td_string!(locale, feedback_receipt_label)}</label>
                <p class="hint" id="receipt-number-hint">{td_string!(locale, feedback_receipt_hint)}</p>
                {field_error(FeedbackField::ReceiptNumber)}
                <input
                    id="receipt-number"
                    name="receipt_number"
                    type="text"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="12"
                    value=values.receipt_number.clone()
                    aria-describedby="receipt-number-hint"
                    aria-invalid=invalid(FeedbackField::ReceiptNumber)
                />
            </div>
            <button type="submit" class="button">{td_string!(locale, feedback_send)}</button>
        </form>
    }
}

#[component]
fn FeedbackSentPage() -> impl IntoView {
    let locale = lang::current();
    view! {
        <Title text=td_string!(locale, feedback_sent_title)/>
        <h1>{td_string!(locale, feedback_sent_title)}</h1>
        <p class="success" role="status">{td_string!(locale, feedback_sent_text)}</p>
        <p><a href="/">{td_string!(locale, back_home)}</a></p>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    let locale = lang::current();
    set_status(StatusCode::NOT_FOUND);
    view! {
        <Title text=td_string!(locale, not_found_title)/>
        <h1>{td_string!(locale, not_found_title)}</h1>
        <p>{td_string!(locale, not_found_text)}</p>
        <p><a href="/">{td_string!(locale, back_home)}</a></p>
    }
}
