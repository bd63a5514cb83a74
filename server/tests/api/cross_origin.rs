//! Another site's page cannot make its visitors' browsers pay, write to us
//! or switch anything here (ASVS 4.2.2): cross-site posts are refused
//! before they do anything, and the JSON pay endpoint takes JSON only.

use crate::helpers::*;

const EVIL: &str = "https://evil.example";

/// A browser posting the no-JS pay form, with the headers `extra` adds.
async fn post_form(app: &TestApp, code: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let key = app.form_key(code).await;
    let mut request = app
        .client
        .post(app.url(&format!("/pay/{code}")))
        .header("accept", "text/html")
        .form(&[
            ("cardholder", "AIBEK ASANOV"),
            ("number", APPROVED_CARD),
            ("exp_month", "12"),
            ("exp_year", "30"),
            ("cvv", CVV),
            ("idempotency_key", key.as_str()),
            ("privacy_policy_edition", "1"),
            ("user_agreement_edition", "1"),
        ]);
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_cross_site_form_post_charges_nothing() {
    let app = TestApp::spawn().await;
    for headers in [
        &[("sec-fetch-site", "cross-site"), ("origin", EVIL)][..],
        &[("sec-fetch-site", "same-site")][..],
        // An older browser: no Fetch Metadata, but an Origin.
        &[("origin", EVIL)][..],
        &[("origin", "null")][..],
    ] {
        let response = post_form(&app, "11202600000001", headers).await;
        assert_eq!(response.status(), 403, "{headers:?}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains("другого сайта"), "{body}");
    }
    assert_eq!(app.calls(), 0, "nothing reached the acquirer");

    // The same post from our own page goes through.
    let own = format!("http://{}", app.address.trim_start_matches("http://"));
    let response = post_form(
        &app,
        "11202600000001",
        &[("sec-fetch-site", "same-origin"), ("origin", own.as_str())],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/receipt/"));
    assert_eq!(app.calls(), 1);
}

#[tokio::test]
async fn the_json_endpoint_takes_json_from_our_pages_only() {
    let app = TestApp::spawn().await;
    let body = pay_body("11202600000002", &new_key(), APPROVED_CARD).to_string();
    // text/plain is what another page can send without asking (no CORS
    // preflight).
    let plain = app
        .client
        .post(app.url("/api/pay"))
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 415);
    let cross = app
        .client
        .post(app.url("/api/pay"))
        .header("content-type", "application/json")
        .header("sec-fetch-site", "cross-site")
        .header("origin", EVIL)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert_eq!(app.calls(), 0);
    let (status, answer) = call_pay(&app, &serde_json::from_str(&body).unwrap()).await;
    assert!(is_paid(&(status, answer)), "JSON from our page pays");
}

#[tokio::test]
async fn feedback_and_the_challenge_return_refuse_other_sites_too() {
    let app = TestApp::spawn().await;
    let feedback = app
        .client
        .post(app.url(app::paths::FEEDBACK))
        .header("sec-fetch-site", "cross-site")
        .form(&[("topic", "payment"), ("message", "hello")])
        .send()
        .await
        .unwrap();
    assert_eq!(feedback.status(), 403);

    // A challenge return for a real payment, posted from another origin
    // than its challenge page (the in-process sandbox's is this site).
    let response = app
        .post_card_form("11202600000003", &card_fields(CHALLENGE_CARD, CVV))
        .await;
    let status_page = location(&response);
    let back = app
        .client
        .post(app.url(&format!("{status_page}/3ds")))
        .header("sec-fetch-site", "cross-site")
        .header("origin", EVIL)
        .form(&[("cres", "0123456789abcdef")])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 403);
}
