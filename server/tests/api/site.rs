use crate::helpers::{TestApp, location};

#[tokio::test]
async fn russian_is_the_default_and_accept_language_is_the_first_guess() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<html lang="ru""#));
    assert!(html.contains("Оплата по коду платежа"));

    let response = app
        .client
        .get(app.url("/"))
        .header("accept-language", "ky-KG,ky;q=0.9,ru;q=0.8")
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"<html lang="ky""#));
    assert!(html.contains("Төлөм коду боюнча төлөө"));
}

#[tokio::test]
async fn the_language_switch_sets_a_cookie_and_returns_to_the_same_page() {
    let app = TestApp::spawn().await;
    let response = app.get("/lang/en?next=/%3Fcode%3D11202600000001").await;
    assert!(response.status().is_redirection());
    assert_eq!(location(&response), "/?code=11202600000001");
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("lang=en;"));

    let html = app
        .client
        .get(app.url("/?code=11202600000001"))
        .header("cookie", "lang=en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("KGS 2,200.00"));
    assert!(html.contains("Awaiting payment"));

    let away = app.get("/lang/ky?next=//evil.example/").await;
    assert_eq!(location(&away), "/");
}

#[tokio::test]
async fn the_privacy_policy_shows_its_edition_date_and_is_linked_from_every_page() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get_html("/documents/privacy-policy").await;
    assert_eq!(status, 200);
    assert!(html.contains("Редакция от 25.11.2026"));
    assert!(html.contains("шестнадцатизначный номер банковской карты"));
    for path in ["/", "/pay/11202600000007", "/no-such-page"] {
        let (_, html) = app.get_html(path).await;
        assert!(
            html.contains(r#"href="/documents/privacy-policy""#),
            "{path}"
        );
        assert!(html.contains("mailto:support@infocom.kg"), "{path}");
        assert!(html.contains("tel:+996312986190"), "{path}");
    }
}

#[tokio::test]
async fn the_pay_form_names_its_fields_for_autofill_and_mobile_keyboards() {
    let app = TestApp::spawn().await;
    let (_, html) = app.get_html("/pay/11202600000008").await;
    for expected in [
        r#"autocomplete="cc-name""#,
        r#"autocomplete="cc-number""#,
        r#"autocomplete="cc-exp-month""#,
        r#"autocomplete="cc-exp-year""#,
        r#"autocomplete="cc-csc""#,
        r#"inputmode="numeric""#,
        r#"<label for="card-number""#,
        r#"method="post""#,
        r#"action="/pay/11202600000008""#,
    ] {
        assert!(html.contains(expected), "{expected}");
    }
    assert!(html.contains("Политику конфиденциальности"), "consent line");
}

#[tokio::test]
async fn an_unknown_page_is_a_localized_404() {
    let app = TestApp::spawn().await;
    let (status, html) = app.get_html("/no-such-page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Страница не найдена"));
    let (status, _) = app.get_html("/receipt/not-a-receipt").await;
    assert_eq!(status, 404);
}
