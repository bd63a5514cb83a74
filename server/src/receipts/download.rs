//! `/receipt/{id}.pdf`: the receipt as a PDF in the citizen's language,
//! with the same facts as its page, the amount in words and the QR code of
//! its verification address. Served beside the Leptos route of the same
//! receipt (a path the router cannot tell from `/receipt/{id}`), with the
//! page's caching: personal data, so `private, no-store`.

use super::pdf::{ReceiptDocument, render};
use crate::web::AppState;
use app::i18n::*;
use app::messages::Msg;
use app::pages::{document_title, service_name};
use app::services::{ReceiptService, ReceiptView, ServiceError, SiteSettings, Standing};
use app::{format, paths};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use domain::{Language, PaymentId, amount_in_words};

/// The payment id of a `/receipt/{id}.pdf` path.
fn pdf_path(path: &str) -> Option<&str> {
    path.strip_prefix("/receipt/")?.strip_suffix(".pdf")
}

pub async fn receipt_pdf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(id) = pdf_path(request.uri().path()).map(str::to_string) else {
        return next.run(request).await;
    };
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let (parts, _) = request.into_parts();
    let locale = app::lang::resolve(&parts);
    let receipt = match PaymentId::parse(&id) {
        Ok(id) => state.receipts.receipt(&id).await,
        Err(_) => Ok(None),
    };
    let receipt = match receipt {
        Ok(Some(receipt)) => receipt,
        Ok(None) => return plain(StatusCode::NOT_FOUND, Msg::ReceiptNotFound.text(locale)),
        Err(error) => return unavailable(locale, &error),
    };
    let document = document(locale, &receipt, &state.settings);
    let rendered = tokio::task::spawn_blocking(move || render(&document)).await;
    match rendered {
        Ok(Ok(bytes)) => pdf(bytes, &receipt),
        Ok(Err(error)) => {
            tracing::error!(%error, "receipt PDF could not be made");
            unavailable(locale, &ServiceError::Internal)
        }
        Err(error) => {
            tracing::error!(%error, "receipt PDF task failed");
            unavailable(locale, &ServiceError::Internal)
        }
    }
}

fn pdf(bytes: Vec<u8>, receipt: &ReceiptView) -> Response {
    let disposition = format!(
        "attachment; filename=\"receipt-{}.pdf\"",
        receipt.receipt_number
    );
    let mut response = Body::from(bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn plain(status: StatusCode, text: &str) -> Response {
    let mut response = (status, text.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn unavailable(locale: Locale, error: &ServiceError) -> Response {
    let msg = match error {
        ServiceError::Busy => Msg::BusyTryAgain,
        _ => Msg::InternalError,
    };
    let mut response = plain(StatusCode::SERVICE_UNAVAILABLE, msg.text(locale));
    if *error == ServiceError::Busy {
        crate::web::retry_after(&mut response);
    }
    response
}

fn language(locale: Locale) -> Language {
    match locale {
        Locale::ru => Language::Ru,
        Locale::ky => Language::Ky,
        Locale::en => Language::En,
    }
}

/// The receipt's text in `locale`, as the PDF prints it.
pub fn document(locale: Locale, receipt: &ReceiptView, settings: &SiteSettings) -> ReceiptDocument {
    let site = settings.site_url.as_str();
    let contacts = &settings.contacts;
    let support = std::iter::once(contacts.email.clone())
        .chain(contacts.phones.iter().cloned())
        .collect::<Vec<_>>()
        .join(", ");
    let standing = match receipt.verified().standing() {
        Standing::Paid => td_string!(locale, verify_standing_paid),
        Standing::PartlyRefunded => td_string!(locale, verify_standing_partly),
        Standing::Refunded => td_string!(locale, verify_standing_refunded),
    };
    let row = |label: &str, value: String| (label.to_string(), value);
    let rows = vec![
        row(
            td_string!(locale, receipt_number_label),
            receipt.receipt_number.to_string(),
        ),
        row(
            td_string!(locale, paid_at_label),
            format!("{} (UTC+6)", format::date_time(locale, receipt.paid_at)),
        ),
        row(
            td_string!(locale, service_label),
            service_name(locale, receipt.service),
        ),
        row(td_string!(locale, code_label), receipt.code.to_string()),
        row(
            td_string!(locale, applicant_label),
            receipt.applicant_masked.clone(),
        ),
        row(
            td_string!(locale, amount_label),
            format::money(locale, receipt.amount),
        ),
        row(
            td_string!(locale, amount_words_label),
            amount_in_words(receipt.amount, language(locale)),
        ),
        row(
            td_string!(locale, card_label),
            format!("{} {}", receipt.brand.display_name(), receipt.masked_card),
        ),
        row(
            td_string!(locale, cardholder_short_label),
            receipt.cardholder.clone(),
        ),
        row(
            td_string!(locale, reference_label),
            receipt.processor_reference.clone(),
        ),
        row(td_string!(locale, status_label), standing.to_string()),
    ];
    let accepted = receipt
        .accepted
        .iter()
        .map(|(kind, edition)| {
            let date = format::day(locale, edition.effective_from);
            format!(
                "{}, {}",
                document_title(locale, *kind),
                td_string!(locale, edition_of, date = date).to_lowercase()
            )
        })
        .collect();
    let refunds = receipt
        .refunds
        .iter()
        .map(|r| {
            let stage = match r.stage {
                app::services::RefundStage::Pending => td_string!(locale, receipt_refund_pending),
                app::services::RefundStage::Returned => td_string!(locale, receipt_refund_done),
                app::services::RefundStage::Refused => td_string!(locale, receipt_refund_failed),
            };
            format!(
                "{}: {} — {stage}",
                format::day(locale, r.asked_at),
                format::money(locale, r.amount)
            )
        })
        .collect();
    let verify_url = format!("{site}{}", paths::verify(&receipt.verification));
    let form_url = format!("{site}{}", paths::VERIFY);
    ReceiptDocument {
        language: app::lang::tag(locale),
        title: td_string!(locale, receipt_title).to_string(),
        operator: vec![
            td_string!(locale, site_operator).to_string(),
            format!("{}: {site}", td_string!(locale, pdf_site_label)),
            format!("{}: {support}", td_string!(locale, pdf_support_label)),
        ],
        test_banner: settings
            .test_mode
            .then(|| td_string!(locale, test_mode_banner).to_string()),
        rows,
        accepted: (
            td_string!(locale, receipt_accepted_label).to_string(),
            accepted,
        ),
        refunds: (
            td_string!(locale, receipt_refunds_title).to_string(),
            refunds,
        ),
        qr: app::qr::modules(&verify_url),
        verify_caption: td_string!(locale, pdf_verify_caption, url = form_url).to_string(),
        verify_code: receipt.verification.to_string(),
        verify_url,
    }
}

#[cfg(test)]
mod tests {
    use super::pdf_path;

    #[test]
    fn only_pdf_addresses_of_receipts_are_taken() {
        assert_eq!(pdf_path("/receipt/abc.pdf"), Some("abc"));
        assert_eq!(pdf_path("/receipt/abc"), None);
        assert_eq!(pdf_path("/receipts/abc.pdf"), None);
        assert_eq!(pdf_path("/pay/abc.pdf"), None);
    }
}
