//! The parsers alone: none panics on anything, and none puts what it was
//! given into its error.

use crate::inputs::{field, form_body, header_text, json_body};
use app::api::CardFormValues;
use app::card_form::check_card_form;
use domain::{BrandTable, CardNumber, CardholderName, Cvv, Expiry, Money, PaymentCode, YearMonth};
use proptest::prelude::*;

const TODAY: YearMonth = YearMonth {
    year: 2026,
    month: 12,
};

fn every_card_parser(text: &str) {
    let table = BrandTable::default();
    let _ = CardNumber::parse(text, &table);
    let _ = Cvv::parse(text, None);
    let _ = Expiry::parse(text, TODAY);
    let _ = Expiry::from_parts(text, text, TODAY);
    let _ = CardholderName::parse(text);
    let _ = text.parse::<PaymentCode>();
    let _ = text.parse::<Money>();
    let _ = domain::redact_card_numbers(text);
}

/// The form's checks, as the server runs them on a decoded form.
fn check(form: &CardFormValues) {
    if let Err(errors) = check_card_form(form, &BrandTable::default(), TODAY) {
        let said = format!("{errors:?}");
        for typed in [form.number.as_str(), form.cvv.as_str()] {
            if typed.len() >= 6 {
                assert!(!said.contains(typed), "an error repeats what was typed");
            }
        }
    }
}

proptest! {
    #[test]
    fn card_parsers_never_panic(text in field()) {
        every_card_parser(&text);
    }

    #[test]
    fn the_pay_form_decoder_never_panics(body in form_body()) {
        // What `axum::Form` runs on the no-JavaScript post.
        if let Ok(form) = serde_urlencoded::from_bytes::<CardFormValues>(&body) {
            check(&form);
        }
    }

    #[test]
    fn the_server_functions_json_decoder_never_panics(body in json_body()) {
        // The `pay` server function's arguments, as its JSON codec reads them.
        if let Ok(app::pay::Pay { form }) = serde_json::from_slice::<app::pay::Pay>(&body) {
            check(&form);
        }
    }

    #[test]
    fn the_acquirer_notification_parser_never_panics(
        body in json_body(),
        timestamp in "[0-9-]{0,12}",
        signature in "[0-9a-fA-F=v1,]{0,70}",
    ) {
        let mut headers = axum::http::HeaderMap::new();
        for (name, value) in [
            (acquirer::protocol::TIMESTAMP_HEADER, timestamp),
            (acquirer::protocol::SIGNATURE_HEADER, signature),
        ] {
            if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        let path = "/api/acquirer/notifications";
        let _ = acquirer::protocol::verify_headers(b"k", &headers, "POST", path, &body, 1_800_000_000);
        if let Ok(notification) = serde_json::from_slice::<acquirer::protocol::Notification>(&body) {
            let _ = server::processor::notification_outcome(&notification);
        }
    }

    #[test]
    fn the_csp_report_parser_never_panics(body in json_body()) {
        let _ = server::page_integrity::reports::parse(&body);
    }

    #[test]
    fn the_language_never_panics(cookie in header_text(), accept in header_text()) {
        let mut request = axum::http::Request::builder().uri("/");
        if let Ok(cookie) = axum::http::HeaderValue::from_str(&cookie) {
            request = request.header("cookie", cookie);
        }
        if let Ok(accept) = axum::http::HeaderValue::from_str(&accept) {
            request = request.header("accept-language", accept);
        }
        if let Ok(request) = request.body(()) {
            let (parts, ()) = request.into_parts();
            let _ = app::lang::resolve(&parts);
        }
    }
}
