//! 3-D Secure through the in-process sandbox acquirer, the way a browser
//! without JavaScript goes through it: every step is a plain form post.

use crate::helpers::*;

/// The value of `attribute` on the first tag that has it after `marker`.
fn attribute_after(html: &str, marker: &str, attribute: &str) -> Option<String> {
    let rest = &html[html.find(marker)?..];
    let start = rest.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].replace("&amp;", "&"))
}

/// Posts the card form and follows the payment to the issuer's challenge
/// page; returns the payment's status page URL and the challenge URL.
async fn start_challenge(app: &TestApp, code: &str) -> (String, String) {
    let response = app
        .post_card_form(code, &card_fields(CHALLENGE_CARD, CVV))
        .await;
    assert_eq!(response.status(), 303);
    let status_page = location(&response);
    assert!(status_page.starts_with("/payment/"), "{status_page}");

    let response = app.get(&status_page).await;
    assert_eq!(response.status(), 200);
    let csp = response
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let html = response.text().await.unwrap();
    let challenge = attribute_after(&html, r#"id="three-ds""#, "action").expect("auto-post form");
    assert!(challenge.starts_with("/sandbox/acs/"), "{challenge}");
    assert!(html.contains("Продолжить"), "a visible Continue button");
    let nonce = attribute_after(&html, "<script nonce", "nonce").expect("a script with a nonce");
    assert!(csp.contains(&format!("'nonce-{nonce}'")));
    (status_page, challenge)
}

/// The challenge page, answered with `action`; returns the page that
/// sends the browser back to the site.
async fn answer_challenge(
    app: &TestApp,
    challenge: &str,
    action: &str,
    code: Option<&str>,
) -> String {
    // The browser arrives by the auto-posting form, with no fields.
    let page = app.client.post(app.url(challenge)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let shown_code = html
        .split("one-time code is <b>")
        .nth(1)
        .and_then(|rest| rest.get(..6))
        .expect("the sandbox shows the one-time code")
        .to_string();
    let code = code.unwrap_or(&shown_code).to_string();
    let answered = app
        .client
        .post(app.url(challenge))
        .form(&[("code", code.as_str()), ("action", action)])
        .send()
        .await
        .unwrap();
    answered.text().await.unwrap()
}

/// Posts the challenge answer back to the site, as the acquirer's page does.
async fn return_to_site(app: &TestApp, back: &str) -> String {
    let return_url = attribute_after(back, "<form", "action").expect("the return form");
    let cres = attribute_after(back, r#"name="cres""#, "value").expect("cres");
    let response = app
        .client
        .post(app.url(&return_url))
        .form(&[("cres", cres.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    location(&response)
}

#[tokio::test]
async fn a_frictionless_card_goes_straight_to_the_receipt() {
    let app = TestApp::spawn().await;
    let response = app
        .post_card_form("11202600000009", &card_fields(FRICTIONLESS_CARD, CVV))
        .await;
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/receipt/"));
    let ledger = app.engine().ledger();
    assert_eq!(ledger.len(), 1);
    assert!(format!("{:?}", ledger[0].three_ds).contains("Frictionless"));
}

#[tokio::test]
async fn a_passed_challenge_ends_on_the_receipt_with_one_charge() {
    let app = TestApp::spawn().await;
    let (status_page, challenge) = start_challenge(&app, "11202600000010").await;
    assert_eq!(app.engine().charges(), 0, "no charge before the challenge");

    let back = answer_challenge(&app, &challenge, "confirm", None).await;
    assert!(back.contains("Continue"), "{back}");
    let next = return_to_site(&app, &back).await;
    assert_eq!(next, status_page);

    let response = app.get(&status_page).await;
    assert_eq!(response.status(), 303);
    let receipt = location(&response);
    assert!(receipt.starts_with("/receipt/"));
    let (status, html) = app.get_html(&receipt).await;
    assert_eq!(status, 200);
    assert!(html.contains("Оплата прошла успешно"));
    assert_eq!(app.engine().charges(), 1);

    // The answer posted again (a reload) changes nothing.
    return_to_site(&app, &back).await;
    assert_eq!(app.engine().charges(), 1);
}

#[tokio::test]
async fn a_failed_or_cancelled_challenge_is_declined_and_frees_the_code() {
    let app = TestApp::spawn().await;
    for (action, code) in [("confirm", Some("000000")), ("cancel", None)] {
        let (status_page, challenge) = start_challenge(&app, "13202600000001").await;
        let back = answer_challenge(&app, &challenge, action, code).await;
        return_to_site(&app, &back).await;
        let (status, html) = app.get_html(&status_page).await;
        assert_eq!(status, 200);
        assert!(html.contains("Банк не подтвердил платёж"), "{html}");
        assert!(
            html.contains(r#"href="/pay/13202600000001""#),
            "a way to pay again"
        );
    }
    assert_eq!(app.engine().charges(), 0);
}

#[tokio::test]
async fn an_abandoned_challenge_expires_and_frees_the_code() {
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let mut config = test_config(
        &url,
        server::config::ProcessorKind::Sandbox,
        &data_dir.path().display().to_string(),
    );
    config.abandon_after = std::time::Duration::from_secs(1);
    let app = TestApp::spawn_with_config(data_dir, config).await;
    let (status_page, _challenge) = start_challenge(&app, "13202600000002").await;
    let mut expired = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let (_, html) = app.get_html(&status_page).await;
        if html.contains("Время на подтверждение платежа истекло")
        {
            expired = true;
            break;
        }
    }
    assert!(expired, "the reconciliation worker expires the challenge");
    let again = app
        .post_card_form("13202600000002", &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(again.status(), 303, "the code is free again");
    assert_eq!(app.engine().charges(), 1);
}
