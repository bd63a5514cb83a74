use crate::helpers::TestApp;

#[tokio::test]
async fn a_payment_code_shows_service_masked_applicant_amount_and_pay_link() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get_html("/?code=11%202026%2000000001").await;
    assert_eq!(status, 200);
    assert!(html.contains("Паспорт"));
    assert!(html.contains("А****в Б. А."), "masked applicant");
    assert!(!html.contains("Асанов"), "the full name must not be shown");
    assert!(html.contains("2\u{a0}200,00 сом"));
    assert!(html.contains("Ожидает оплаты"));
    assert!(html.contains(r#"href="/pay/11202600000001""#));
}

#[tokio::test]
async fn unknown_paid_expired_and_cancelled_codes_explain_themselves_without_a_pay_link() {
    let app = TestApp::spawn().await;
    let cases = [
        ("11999999999999", "не найден"),
        ("11202600000091", "уже оплачен"),
        ("16202600000092", "истёк"),
        ("13202600000093", "отменён"),
    ];
    for (code, expected) in cases {
        let (status, html) = app.get_html(&format!("/?code={code}")).await;
        assert_eq!(status, 200);
        assert!(html.contains(expected), "{code}: {expected}");
        assert!(
            !html.contains(&format!(r#"href="/pay/{code}""#)),
            "{code} has no pay link"
        );
    }
}

#[tokio::test]
async fn a_malformed_code_gets_a_localized_message() {
    let app = TestApp::spawn().await;
    let (_, html) = app.get_html("/?code=12ab").await;
    assert!(html.contains("Код платежа состоит только из цифр"));
    let response = app
        .client
        .get(app.url("/?code=123"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("A payment code has 10 to 20 digits")
    );
}

#[tokio::test]
async fn the_pay_page_of_a_paid_code_has_no_card_form() {
    let app = TestApp::spawn().await;
    let (_, html) = app.get_html("/pay/11202600000091").await;
    assert!(html.contains("уже оплачен"));
    assert!(!html.contains(r#"name="number""#));
    let (status, _) = app.get_html("/pay/11999999999999").await;
    assert_eq!(status, 404);
}
