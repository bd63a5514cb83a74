use crate::helpers::*;

#[tokio::test]
async fn a_no_js_payment_ends_on_a_receipt_that_shows_only_the_masked_card() {
    let app = TestApp::spawn().await;
    let response = app
        .post_card_form("11202600000001", &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(response.status(), 303);
    let receipt_url = location(&response);
    assert!(receipt_url.starts_with("/receipt/"));
    let receipt_id = receipt_url.trim_start_matches("/receipt/");
    assert_eq!(receipt_id.len(), 32, "unguessable id");

    let (status, html) = app.get_html(&receipt_url).await;
    assert_eq!(status, 200);
    assert!(html.contains("Оплата прошла успешно"));
    assert!(html.contains("TLM-"));
    assert!(html.contains("Visa 411111******1111"));
    assert!(html.contains("11202600000001"));
    assert!(html.contains("2\u{a0}200,00 сом"));
    assert!(html.contains("AIBEK ASANOV"));
    assert!(!html.contains("4111111111111111"));
    assert!(!gives_cvv_back(&html, CVV));

    // The code is now paid.
    let (_, html) = app.get_html("/?code=11202600000001").await;
    assert!(html.contains("уже оплачен"));
}

#[tokio::test]
async fn invalid_input_comes_back_with_errors_and_what_was_typed_but_the_card_number_and_cvv() {
    let app = TestApp::spawn().await;
    let response = app
        .post_card_form(
            "11202600000002",
            &[
                ("cardholder", "Айбек"),
                ("number", "4111 1111 1111 1112"),
                ("exp_month", "13"),
                ("exp_year", "30"),
                ("cvv", "654"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("Номер карты введён с ошибкой"));
    assert!(html.contains("Введите имя латинскими буквами"));
    assert!(html.contains("Месяц должен быть от 01 до 12"));
    assert!(
        !html.contains("4111 1111 1111 1112"),
        "the number is not sent back"
    );
    assert!(!html.contains("4111111111111112"), "in no form");
    assert!(
        html.contains("номер карты не возвращается: введите его ещё раз (Visa •••• 1112)"),
        "a note names what was typed"
    );
    assert!(html.contains(r#"value="Айбек""#), "name kept");
    assert!(html.contains(r#"value="13""#), "month kept");
    assert!(!gives_cvv_back(&html, "654"), "the CVV is never sent back");
    assert_eq!(app.calls(), 0, "nothing reached the processor");
}

#[tokio::test]
async fn a_declined_card_can_be_retried_with_another_card() {
    let app = TestApp::spawn().await;
    let response = app
        .post_card_form("11202600000003", &card_fields(DECLINED_CARD, CVV))
        .await;
    assert_eq!(response.status(), 402);
    let html = response.text().await.unwrap();
    assert!(html.contains("Банк отклонил платёж"));
    assert!(html.contains("(Visa •••• 0002)"), "the note names the card");
    assert!(
        !html.contains("4000 0000 0000 0002"),
        "the number is not sent back"
    );
    assert!(html.contains(r#"value="aibek asanov""#), "the name is kept");
    assert!(!gives_cvv_back(&html, CVV));

    let retry = app
        .post_card_form("11202600000003", &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(retry.status(), 303);
    assert_eq!(app.calls(), 2);
}

#[tokio::test]
async fn a_processor_failure_says_nothing_was_charged() {
    let app = TestApp::spawn().await;
    let response = app
        .post_card_form("11202600000004", &card_fields(PROCESSOR_ERROR_CARD, CVV))
        .await;
    assert_eq!(response.status(), 502);
    assert!(response.text().await.unwrap().contains("Деньги не списаны"));
}

#[tokio::test]
async fn a_second_payment_of_a_paid_code_is_refused_before_the_processor() {
    let app = TestApp::spawn().await;
    let first = app
        .post_card_form("11202600000005", &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(first.status(), 303);
    assert_eq!(app.calls(), 1);
    // A form rendered before the payment went through, sent again later.
    let second = app
        .post_card_form_with_key(
            "11202600000005",
            &new_key(),
            &card_fields(APPROVED_CARD, CVV),
        )
        .await;
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("уже оплачен"));
    assert_eq!(app.calls(), 1, "the processor was not called again");

    let already_paid = app
        .post_card_form_with_key(
            "13202600000091",
            &new_key(),
            &card_fields(APPROVED_CARD, CVV),
        )
        .await;
    assert_eq!(already_paid.status(), 409);
    assert_eq!(app.calls(), 1);
}

#[tokio::test]
async fn the_pay_server_function_charges_and_answers_the_receipt_id() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/pay"))
        .json(&pay_body("16202600000001", &new_key(), APPROVED_CARD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = response.text().await.unwrap();
    let Ok(app::api::PayResult::Paid { receipt_id }) = pay_outcome(200, &body) else {
        panic!("not paid: {body}");
    };
    let (status, receipt) = app.get_html(&format!("/receipt/{receipt_id}")).await;
    assert_eq!(status, 200);
    assert!(receipt.contains("Оплата прошла успешно"));
    assert_eq!(app.calls(), 1);
}

#[tokio::test]
async fn server_function_errors_never_carry_input_in_a_redirect() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/api/pay"))
        .header("accept", "text/html")
        .header("referer", app.url("/pay/16202600000002"))
        .json(&pay_body(
            "16202600000002",
            &new_key(),
            "4111 1111 1111 1112",
        ))
        .send()
        .await
        .unwrap();
    // A browser's form post of a failing server function goes back where
    // it came from, with the error in the URL: only the error's key.
    assert_eq!(response.status(), 302);
    let location = location(&response);
    assert!(
        location.starts_with(&app.url("/pay/16202600000002")),
        "back to the form: {location}"
    );
    assert!(
        location.contains("__err="),
        "the error rides along: {location}"
    );
    for secret in ["4111", "1112", CVV, "AIBEK"] {
        assert!(
            !location.contains(secret),
            "{secret} leaked into {location}"
        );
    }
    let body = response.text().await.unwrap();
    assert!(!body.contains("4111 1111"), "error body echoes no input");
    assert_eq!(app.calls(), 0);
}

async fn no_card_number_or_cvv_reaches_the_database(app: TestApp) {
    for (code, card) in [
        ("16202600000003", DECLINED_CARD),
        ("16202600000003", APPROVED_CARD),
        ("16202600000004", PROCESSOR_ERROR_CARD),
    ] {
        app.post_card_form(code, &card_fields(card, CVV)).await;
    }
    let values = app.database_values().await;
    assert!(
        values.iter().any(|v| v == "411111"),
        "first six are kept (and the check sees them)"
    );
    app.assert_no_card_data_stored().await;
}

#[tokio::test]
async fn no_card_number_or_cvv_reaches_the_sqlite_database_file() {
    let app = TestApp::spawn().await;
    no_card_number_or_cvv_reaches_the_database(TestApp::spawn().await).await;
    app.post_card_form("16202600000005", &card_fields(DECLINED_CARD, CVV))
        .await;
    let bytes = app.database_bytes();
    assert!(!bytes.is_empty());
    for secret in ["4000000000000002", "4000 0000"] {
        assert!(!contains(&bytes, secret), "{secret} is in the database");
    }
}

#[tokio::test]
async fn no_card_number_or_cvv_reaches_the_postgres_database() {
    no_card_number_or_cvv_reaches_the_database(TestApp::spawn_postgres().await).await;
}
