//! Receipts beyond their page, on SQLite and PostgreSQL: the PDF (in the
//! citizen's language, small, without the card number), the verification
//! page its QR code leads to (valid, refunded, or plainly not valid for a
//! made-up or altered code, with nothing personal shown), and finding a
//! lost receipt by payment code and receipt number.

use crate::helpers::*;
use crate::receiver::spawn;
use domain::{Money, PaymentState, VerificationCode};
use server::abuse::AbuseLimits;
use server::config::ProcessorKind;
use std::time::Duration;

/// Pays `code` without JavaScript; the receipt's path and its page.
async fn paid(app: &TestApp, code: &str) -> (String, String) {
    let response = app
        .post_card_form(code, &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(response.status(), 303, "{code} is paid");
    let receipt = location(&response);
    let (status, page) = app.get_html(&receipt).await;
    assert_eq!(status, 200);
    (receipt, page)
}

/// The text between `start` and the next `end` after it.
fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).map(|i| i + start.len()).expect(start);
    let to = text[from..].find(end).expect(end);
    &text[from..from + to]
}

fn verification_code(page: &str) -> VerificationCode {
    between(page, "href=\"/verify/", "\"")
        .parse()
        .expect("a verification code on the receipt")
}

async fn get_with_language(app: &TestApp, path: &str, lang: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("cookie", format!("lang={lang}"))
        .send()
        .await
        .unwrap()
}

async fn the_receipt_comes_as_a_pdf(postgres: bool) {
    let app = spawn(postgres).await;
    let codes = payable_codes(app.payments.store.as_ref(), 7100, 1).await;
    let (receipt, page) = paid(&app, &codes[0]).await;
    let pdf_path = format!("{receipt}.pdf");
    assert!(
        page.contains(&format!("href=\"{pdf_path}\"")),
        "a link to the PDF"
    );
    assert!(
        page.contains("<svg viewBox=") && page.contains("class=\"qr\"><rect"),
        "the QR code is in the page: {page}"
    );
    assert!(
        page.contains("print-only issued-by"),
        "the operator is printed"
    );

    for lang in ["ru", "ky", "en"] {
        let response = get_with_language(&app, &pdf_path, lang).await;
        assert_eq!(response.status(), 200, "{lang}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "application/pdf");
        assert!(
            headers["cache-control"]
                .to_str()
                .unwrap()
                .contains("no-store")
        );
        assert!(
            headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("receipt-TLM-"),
        );
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{lang}");
        assert!(bytes.len() < 60 * 1024, "{lang}: {} bytes", bytes.len());
        assert!(
            !contains(&bytes, "4111111111111111"),
            "no card number in the PDF (its text is compressed: the e2e spec reads it)"
        );
        let language = format!("/Lang({lang})");
        assert!(
            contains(&bytes, &language),
            "{lang}: the PDF says its language"
        );
    }

    let unknown = app.get(&format!("/receipt/{}.pdf", "0".repeat(32))).await;
    assert_eq!(unknown.status(), 404);
    let malformed = app.get("/receipt/not-an-id.pdf").await;
    assert_eq!(malformed.status(), 404);
    // A payment that did not succeed has no receipt.
    let declined = app
        .post_card_form(
            &payable_codes(app.payments.store.as_ref(), 7101, 1).await[0],
            &card_fields(DECLINED_CARD, CVV),
        )
        .await;
    let declined_id = location(&declined).rsplit('/').next().unwrap().to_string();
    let answer = app.get(&format!("/receipt/{declined_id}.pdf")).await;
    assert_eq!(answer.status(), 404);
}

#[tokio::test]
async fn the_receipt_comes_as_a_pdf_on_sqlite() {
    the_receipt_comes_as_a_pdf(false).await;
}

#[tokio::test]
async fn the_receipt_comes_as_a_pdf_on_postgres() {
    the_receipt_comes_as_a_pdf(true).await;
}

async fn a_clerk_checks_a_receipt(postgres: bool) {
    let app = spawn(postgres).await;
    let codes = payable_codes(app.payments.store.as_ref(), 7200, 2).await;
    let (_, page) = paid(&app, &codes[0]).await;
    let code = verification_code(&page);
    let number = between(&page, "class=\"receipt-number\">", "<").to_string();
    assert!(number.starts_with("TLM-"));

    let (status, verified) = app.get_html(&format!("/verify/{code}")).await;
    assert_eq!(status, 200);
    assert!(verified.contains("data-verdict=\"valid\""), "{verified}");
    assert!(verified.contains(&number));
    assert!(verified.contains("1\u{a0}500,00 сом"), "the amount");
    for personal in ["Асанов", "Бакыт", "411111", "1111", &codes[0]] {
        assert!(!verified.contains(personal), "{personal} is not shown");
    }

    // The same code typed by hand, in lower case with spaces.
    let typed = code.to_string().to_lowercase().replace('-', " ");
    let (_, by_hand) = app
        .get_html(&format!("/verify?code={}", typed.replace(' ', "+")))
        .await;
    assert!(by_hand.contains("data-verdict=\"valid\""));

    // One character changed, another receipt's number, and nonsense.
    let text = code.to_string();
    let last = text.chars().last().unwrap();
    let altered = format!(
        "{}{}",
        &text[..text.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    );
    let other_number = code.number().value() + 1;
    let moved = format!("{other_number:08}-{}", &text[9..]);
    for bad in [
        altered.as_str(),
        moved.as_str(),
        "00000001-AAAAA-AAAAA",
        "hello",
    ] {
        let (status, answer) = app.get_html(&format!("/verify/{bad}")).await;
        assert_eq!(status, 200, "{bad}");
        assert!(
            answer.contains("data-verdict=\"invalid\""),
            "{bad}: {answer}"
        );
        assert!(
            !answer.contains("TLM-"),
            "{bad}: nothing of another receipt"
        );
    }

    // Refunded in full: genuine, but no longer proof of payment.
    let id = app
        .payments
        .store
        .payments_in_state(PaymentState::Succeeded)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.code.to_string() == codes[0])
        .unwrap()
        .id;
    let who = server::storage::AuditEntry {
        at: chrono::Utc::now(),
        actor_email: Some("finance@infocom.kg".into()),
        action: "refund_asked".into(),
        ..Default::default()
    };
    let half = Money::from_tyiyn(75_000).unwrap();
    app.payments
        .ask_refund(&id, half, "half", who.clone())
        .await
        .unwrap();
    let partly = wait_for(&app, &format!("/verify/{code}"), "Возвращено на карту").await;
    assert!(
        partly.contains("data-verdict=\"valid\""),
        "partly refunded stays valid"
    );
    assert!(partly.contains("Оплачено, частично возвращено"));
    app.payments
        .ask_refund(&id, half, "rest", who)
        .await
        .unwrap();
    let refunded = wait_for(&app, &format!("/verify/{code}"), "Возвращено полностью").await;
    assert!(refunded.contains("data-verdict=\"refunded\""), "{refunded}");
    assert!(!refunded.contains("data-verdict=\"valid\""));
}

/// The page at `path` once it contains `text` (at most 20 s).
async fn wait_for(app: &TestApp, path: &str, text: &str) -> String {
    for _ in 0..200 {
        let (_, page) = app.get_html(path).await;
        if page.contains(text) {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} never said {text}");
}

#[tokio::test]
async fn a_clerk_checks_a_receipt_on_sqlite() {
    a_clerk_checks_a_receipt(false).await;
}

#[tokio::test]
async fn a_clerk_checks_a_receipt_on_postgres() {
    a_clerk_checks_a_receipt(true).await;
}

async fn a_lost_receipt_is_found_by_code_and_number(postgres: bool) {
    let app = spawn(postgres).await;
    let codes = payable_codes(app.payments.store.as_ref(), 7300, 2).await;
    let (receipt, page) = paid(&app, &codes[0]).await;
    let number = between(&page, "class=\"receipt-number\">", "<").to_string();

    // The lookup of a paid code says how to get the receipt again.
    let (_, lookup) = app.get_html(&format!("/?code={}", codes[0])).await;
    assert!(lookup.contains("action=\"/find-receipt\""), "{lookup}");
    assert!(lookup.contains(&format!("value=\"{}\"", codes[0])));

    for typed in [
        number.clone(),
        number
            .trim_start_matches("TLM-")
            .trim_start_matches('0')
            .to_string(),
    ] {
        let found = app
            .get(&format!("/find-receipt?code={}&number={typed}", codes[0]))
            .await;
        assert_eq!(found.status(), 303, "{typed}");
        assert_eq!(location(&found), receipt);
    }

    // The number with another code, a number never given, a bad number.
    let (status, page) = app
        .get_html(&format!("/find-receipt?code={}&number={number}", codes[1]))
        .await;
    assert_eq!(status, 404);
    assert!(page.contains("Квитанция с таким кодом платежа и номером не найдена"));
    assert!(
        page.contains(&format!("value=\"{}\"", codes[1])),
        "the code is kept"
    );
    assert!(
        page.contains(&format!("value=\"{number}\"")),
        "the number is kept"
    );
    let (status, _) = app
        .get_html(&format!(
            "/find-receipt?code={}&number=TLM-99999999",
            codes[0]
        ))
        .await;
    assert_eq!(status, 404);
    let (status, page) = app
        .get_html(&format!("/find-receipt?code={}&number=TLM-12x", codes[0]))
        .await;
    assert_eq!(status, 422);
    assert!(page.contains("Номер квитанции выглядит как TLM-00000042"));
    assert!(page.contains("value=\"TLM-12x\""));
    let (status, page) = app.get_html("/find-receipt").await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"number\""));
}

#[tokio::test]
async fn a_lost_receipt_is_found_by_code_and_number_on_sqlite() {
    a_lost_receipt_is_found_by_code_and_number(false).await;
}

#[tokio::test]
async fn a_lost_receipt_is_found_by_code_and_number_on_postgres() {
    a_lost_receipt_is_found_by_code_and_number(true).await;
}

#[tokio::test]
async fn guesses_at_receipts_are_throttled_like_lookups() {
    let dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(dir.path());
    let mut config = test_config(
        &url,
        ProcessorKind::Sandbox,
        &dir.path().display().to_string(),
    );
    config.abuse = AbuseLimits {
        lookups_per_minute: 3,
        lookup_floor: Duration::ZERO,
        ..AbuseLimits::default()
    };
    let app = TestApp::spawn_with_config(dir, config).await;
    let guesses = [
        "/verify/00000001-AAAAA-AAAAA",
        "/verify?code=00000002-AAAAA-AAAAA",
        "/find-receipt?code=11202600000006&number=1",
    ];
    for guess in guesses {
        assert_ne!(app.get(guess).await.status(), 429, "{guess}");
    }
    let (status, _) = app.get_html("/verify/00000003-AAAAA-AAAAA").await;
    assert_eq!(status, 429, "the fourth guess in a minute");
    let (status, _) = app
        .get_html("/find-receipt?code=11202600000006&number=2")
        .await;
    assert_eq!(status, 429);
    // The empty forms are no guess.
    assert_eq!(app.get("/verify").await.status(), 200);
    assert_eq!(app.get("/find-receipt").await.status(), 200);
}
