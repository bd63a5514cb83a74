use crate::helpers::{
    APPROVED_CARD, CVV, TestApp, call_pay, card_fields, is_paid, location, pay_body, test_config,
};

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

/// The test-mode banner in each language, as the locale files have it.
const BANNER: [(&str, &str); 3] = [
    ("ru", "Тестовый режим — деньги не списываются"),
    ("ky", "Сыноо режими — акча алынбайт"),
    ("en", "Test mode — no real money is taken"),
];

/// Every kind of page a citizen passes through: home, pay, documents and a
/// receipt (of a payment made for it).
async fn pages_to_check(app: &TestApp) -> Vec<String> {
    let paid = app
        .post_card_form("11202600000009", &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(paid.status(), 303);
    let receipt = location(&paid);
    assert!(receipt.starts_with("/receipt/"), "{receipt}");
    vec![
        "/".into(),
        "/?code=11202600000010".into(),
        "/pay/11202600000010".into(),
        "/documents".into(),
        "/documents/privacy-policy".into(),
        receipt,
    ]
}

/// The banner's element in a page, if there is one.
fn banner_in(html: &str) -> Option<&str> {
    let class = html.find(r#"class="test-mode""#)?;
    let start = html[..class].rfind("<div")?;
    let end = class + html[class..].find("</div>")?;
    Some(&html[start..end])
}

async fn page_in(app: &TestApp, path: &str, language: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .header("cookie", format!("lang={language}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path} ({language})");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(&format!(r#"<html lang="{language}""#)),
        "{path} is in {language}"
    );
    html
}

#[tokio::test]
async fn in_test_mode_every_page_says_no_real_money_is_taken_in_its_language() {
    let app = TestApp::spawn().await;
    for path in pages_to_check(&app).await {
        for (language, banner) in BANNER {
            let html = page_in(&app, &path, language).await;
            let shown = banner_in(&html).unwrap_or_else(|| panic!("{path} ({language})"));
            assert!(shown.contains(r#"role="status""#), "{shown}");
            assert!(shown.contains(banner), "{path} ({language}): {shown}");
        }
    }
}

#[tokio::test]
async fn a_live_site_shows_no_test_mode_banner() {
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let site_root = data_dir.path().display().to_string();
    let config = server::config::Config {
        test_mode: false,
        ..test_config(&url, server::config::ProcessorKind::Sandbox, &site_root)
    };
    let app = TestApp::spawn_with_config(data_dir, config).await;
    for path in pages_to_check(&app).await {
        for (language, _) in BANNER {
            let html = page_in(&app, &path, language).await;
            assert!(!html.contains("test-mode"), "{path} ({language})");
            for (_, banner) in BANNER {
                assert!(!html.contains(banner), "{path} ({language}): {banner}");
            }
        }
    }
}

#[tokio::test]
async fn every_page_describes_the_site_in_its_language() {
    let app = TestApp::spawn().await;
    for (language, start) in [
        ("ru", "Оплата государственных услуг"),
        ("ky", "Кыргыз Республикасынын мамлекеттик"),
        ("en", "Pay Kyrgyz Republic government"),
    ] {
        for path in ["/", "/pay/11202600000009", "/documents/privacy-policy"] {
            let html = app
                .client
                .get(app.url(path))
                .header("accept-language", language)
                .send()
                .await
                .expect("request")
                .text()
                .await
                .expect("page");
            assert!(
                html.contains(&format!(r#"<meta name="description" content="{start}"#)),
                "{language} {path}: {html}"
            );
        }
    }
}

/// Each language's version has an address of its own (`?lang=`), which
/// every page names for search engines; the switch leaves it behind.
#[tokio::test]
async fn every_page_names_its_address_in_each_language() {
    let app = TestApp::spawn().await;
    let site = app.address.clone();
    for path in ["/", "/pay/11202600000009", "/documents/privacy-policy"] {
        let (status, html) = app.get_html(&format!("{path}?lang=ky")).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            html.contains(r#"<html lang="ky""#),
            "{path}: the address chose Kyrgyz"
        );
        assert!(
            html.contains(&format!(
                r#"<link href="{site}{path}?lang=ky" rel="canonical">"#
            )),
            "{path}: {html}"
        );
        for tag in ["ru", "ky", "en"] {
            assert!(
                html.contains(&format!(
                    r#"<link href="{site}{path}?lang={tag}" hreflang="{tag}" rel="alternate">"#
                )),
                "{path} {tag}: {html}"
            );
        }
        assert!(
            html.contains(&format!(
                r#"<link href="{site}{path}" hreflang="x-default" rel="alternate">"#
            )),
            "{path}: {html}"
        );
        // Without a language in the address, the page is the default
        // version and names itself, never another language's version.
        let (_, default) = app.get_html(path).await;
        assert!(
            default.contains(&format!(r#"<link href="{site}{path}" rel="canonical">"#)),
            "{path}: {default}"
        );
        // The switch returns to the page without the address's language.
        let back = app::paths::language("ru", path);
        assert!(
            html.contains(&back.replace('&', "&amp;")),
            "{path}: {back} in {html}"
        );
    }
}

/// A repeat visit to a page that did not change costs a 304 and no body;
/// a page that changed, or one never kept (the pay form), is sent whole.
#[tokio::test]
async fn a_repeat_visit_to_an_unchanged_page_costs_a_304() {
    let app = TestApp::spawn().await;
    for path in ["/", "/?code=11202600000001", "/contacts", "/verify"] {
        let first = app.get(path).await;
        assert_eq!(first.status(), 200, "{path}");
        let etag = first.headers()["etag"].to_str().unwrap().to_string();
        let again = app
            .client
            .get(app.url(path))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{path}");
        // The browser keeps the page it has and the policy its nonces match.
        assert!(again.headers().get("content-security-policy").is_none());
        assert!(again.text().await.unwrap().is_empty(), "{path}");
    }
    // Another language is another page.
    let russian = app.get("/").await.headers()["etag"].clone();
    let english = app.get("/?lang=en").await.headers()["etag"].clone();
    assert_ne!(russian, english);
    // The lookup result changes with the payment's state.
    let before = app.get("/?code=11202600000001").await.headers()["etag"].clone();
    let key = app.form_key("11202600000001").await;
    let paid = call_pay(&app, &pay_body("11202600000001", &key, "4111111111111111")).await;
    assert!(is_paid(&paid), "{paid:?}");
    let after = app.get("/?code=11202600000001").await.headers()["etag"].clone();
    assert_ne!(before, after, "a paid code is a new page");
    // The pay form is never kept: no validator to come back with.
    let form = app.get("/pay/11202600000002").await;
    assert_eq!(form.status(), 200);
    assert!(form.headers().get("etag").is_none());
    assert_eq!(form.headers()["cache-control"], "no-store");
}
