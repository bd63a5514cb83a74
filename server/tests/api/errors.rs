//! Every page that says "not found" or "not payable" says which, with the
//! right status, in each language, and never the generic "something went
//! wrong" (which tells a citizen whose link was mistyped that we failed).

use crate::helpers::*;

/// The generic error, in Russian: no page below may fall back on it.
const GENERIC: &str = "Что-то пошло не так";

async fn page(app: &TestApp, path: &str, language: &str) -> (u16, String) {
    let response = app
        .client
        .get(app.url(path))
        .header("cookie", format!("lang={language}"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn every_missing_thing_says_what_is_missing() {
    let app = TestApp::spawn().await;
    let unknown_id = "0190a3b4c5d6e7f8091a2b3c4d5e6f70";
    let cases: &[(&str, u16, &str, &str)] = &[
        // path, status, Russian, English
        (
            &format!("/receipt/{unknown_id}"),
            404,
            "Квитанция не найдена",
            "Receipt not found",
        ),
        (
            "/receipt/not-an-id",
            404,
            "Квитанция не найдена",
            "Receipt not found",
        ),
        (
            &format!("/payment/{unknown_id}"),
            404,
            "Платёж не найден",
            "Payment not found",
        ),
        (
            "/pay/11202600000999",
            404,
            "Платёж с таким кодом не найден",
            "No payment with this code was found",
        ),
        (
            "/pay/abc",
            404,
            "Платёж с таким кодом не найден",
            "No payment with this code was found",
        ),
        (
            "/documents/cookie-policy",
            404,
            "Документ или редакция не найдены",
            "Document or edition not found",
        ),
        (
            "/documents/privacy-policy/editions/99",
            404,
            "Документ или редакция не найдены",
            "Document or edition not found",
        ),
        (
            "/no/such/page",
            404,
            "Страница не найдена",
            "Page not found",
        ),
        // A code typed wrong is a message under the form, not a missing page.
        (
            "/?code=11202600000999",
            200,
            "Платёж с таким кодом не найден",
            "No payment with this code was found",
        ),
        (
            "/?code=12ab",
            200,
            "Код платежа состоит только из цифр",
            "A payment code has digits only",
        ),
        // Codes that exist but cannot be paid say why, on both pages.
        (
            "/pay/11202600000091",
            200,
            "Этот платёж уже оплачен",
            "has already been paid",
        ),
        (
            "/?code=11202600000092",
            200,
            "Срок оплаты по этому коду истёк",
            "The time to pay with this code has run out",
        ),
        (
            "/?code=11202600000093",
            200,
            "Этот платёж отменён учреждением",
            "was cancelled by the office",
        ),
    ];
    for (path, status, russian, english) in cases {
        for (language, text) in [("ru", russian), ("en", english)] {
            let (got, html) = page(&app, path, language).await;
            assert_eq!(got, *status, "{path} in {language}");
            assert!(
                html.contains(text),
                "{path} in {language} should say {text:?}: {html}"
            );
            assert!(!html.contains(GENERIC), "{path} says the generic error");
        }
    }
}
