//! A paid payment's receipt, at its unguessable address.

use super::{document_title, found, service_name, status_name};
use crate::i18n::*;
use crate::messages::Msg;
use crate::services::{ReceiptRefund, ReceiptView, RefundStage, Services};
use crate::{format, lang, paths};
use domain::{PaymentId, RequestStatus, VerificationCode};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The refunds of the payment: when each was asked for, how much, and
/// whether the money is back on the card.
fn refunds(locale: Locale, refunds: &[ReceiptRefund]) -> impl IntoView + use<> {
    let rows = refunds
        .iter()
        .map(|r| {
            let stage = match r.stage {
                RefundStage::Pending => td_string!(locale, receipt_refund_pending),
                RefundStage::Returned => td_string!(locale, receipt_refund_done),
                RefundStage::Refused => td_string!(locale, receipt_refund_failed),
            };
            view! {
                <li>
                    {format::day(locale, r.asked_at)} ": "
                    <span class="amount">{format::money(locale, r.amount)}</span> " — " {stage}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="refunds" aria-labelledby="refunds-title">
            <h2 id="refunds-title">{td_string!(locale, receipt_refunds_title)}</h2>
            <ul>{rows}</ul>
        </section>
    }
}

/// Where a clerk checks the receipt: the QR code of its verification
/// address, the code to type by hand and the address to type it at. Drawn
/// as SVG in the page, so it prints without another request.
#[component]
pub fn VerifyBox(code: VerificationCode) -> impl IntoView {
    let locale = lang::current();
    let site = expect_context::<Services>().settings.site_url.clone();
    let target = format!("{site}{}", paths::verify(&code));
    let modules = crate::qr::modules(&target);
    let side = modules.len() + 8;
    let view_box = format!("0 0 {side} {side}");
    let path = crate::qr::svg_path(&modules, 4);
    let form_url = format!("{site}{}", paths::VERIFY);
    view! {
        <section class="verify-box" aria-labelledby="verify-box-title">
            <svg class="qr" viewBox=view_box role="img" aria-label=td_string!(locale, receipt_verify_title)>
                <rect width="100%" height="100%" fill="#fff"/>
                <path d=path fill="#000"/>
            </svg>
            <div>
                <h2 id="verify-box-title">{td_string!(locale, receipt_verify_title)}</h2>
                <p>{td_string!(locale, receipt_verify_hint, url = form_url)}</p>
                <p>{td_string!(locale, verify_code_label)} ": "
                    <a class="verify-code" href=paths::verify(&code)>{code.to_string()}</a>
                </p>
            </div>
        </section>
    }
}

#[component]
fn Receipt(receipt: ReceiptView) -> impl IntoView {
    let locale = lang::current();
    let pdf = paths::receipt_pdf(&receipt.id);
    view! {
        <p class="print-only issued-by">{td_string!(locale, receipt_issued_by)} ": " {td_string!(locale, site_operator)}</p>
        <p class="success" role="status">{td_string!(locale, receipt_paid_message)}</p>
        <dl class="receipt">
            <div><dt>{td_string!(locale, receipt_number_label)}</dt><dd class="receipt-number">{receipt.receipt_number.to_string()}</dd></div>
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
                                <a href=paths::edition(*kind, edition.edition)>{document_title(locale, *kind)}</a>
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
        {(!receipt.refunds.is_empty()).then(|| refunds(locale, &receipt.refunds))}
        <p class="no-print"><a class="button" href=pdf download>{td_string!(locale, receipt_pdf_link)}</a></p>
        <VerifyBox code=receipt.verification.clone()/>
        <p class="hint">{td_string!(locale, receipt_keep_hint)}</p>
        <p class="no-print"><a href=paths::HOME>{td_string!(locale, new_payment_link)}</a></p>
    }
}

#[component]
pub fn ReceiptPage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let id =
        use_params_map().with_untracked(|p| p.get("id").and_then(|id| PaymentId::parse(&id).ok()));
    let body = Suspend::new(async move {
        let receipt = match &id {
            Some(id) => services.receipts.receipt(id).await,
            None => Ok(None),
        };
        match found(locale, receipt, Msg::ReceiptNotFound) {
            Ok(receipt) => view! { <Receipt receipt/> }.into_any(),
            Err(view) => view,
        }
    });
    view! {
        <Title text=td_string!(locale, receipt_title)/>
        <h1>{td_string!(locale, receipt_title)}</h1>
        <Suspense fallback=|| ()>{body}</Suspense>
    }
}
