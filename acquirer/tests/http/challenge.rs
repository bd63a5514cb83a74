//! The 3-D Secure challenge pages, on the acquirer's origin and mounted in
//! a site's own router.

use super::common::request;
use super::{acquirer, client, sandbox_stats, serve};
use acquirer::client::{Client, ClientError};
use acquirer::engine::{Engine, EngineConfig, FaultPlan};
use acquirer::http::acs_router;
use acquirer::protocol::{DeclineCode, OrderStatus, ThreeDsMode};
use axum::Router;
use axum::http::StatusCode;
use std::sync::Arc;

pub(crate) fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in {text}"))
        + start.len();
    let len = text[from..].find(end).expect("end marker");
    &text[from..from + len]
}

pub(crate) struct Page {
    pub(crate) status: StatusCode,
    pub(crate) nonce: String,
    pub(crate) csp: String,
    pub(crate) html: String,
}

pub(crate) async fn page(response: reqwest::Response) -> Page {
    let status = response.status();
    let csp = response
        .headers()
        .get("content-security-policy")
        .expect("CSP")
        .to_str()
        .expect("ascii")
        .to_owned();
    let nonce = between(&csp, "'nonce-", "'").to_owned();
    Page {
        status,
        nonce,
        csp,
        html: response.text().await.expect("html"),
    }
}

/// Authorises a challenge card and returns its order id, challenge URL and token.
pub(crate) async fn challenge_order(client: &Client, order_id: &str) -> (String, String) {
    let order = client
        .authorise(&request(order_id, "4000000000003220"))
        .await
        .expect("challenge");
    assert_eq!(order.status, OrderStatus::ChallengeRequired);
    assert_eq!(order.three_ds, Some(ThreeDsMode::Challenge));
    let url = order.challenge.expect("challenge").url;
    let token = url.rsplit('/').next().expect("token").to_owned();
    (url, token)
}

#[tokio::test]
async fn the_challenge_page_passes_with_the_shown_code() {
    let (engine, base) = acquirer(FaultPlan::default(), None).await;
    let client = client(&base);
    let (url, token) = challenge_order(&client, "3ds-1").await;
    assert!(url.starts_with(&format!("{base}/acs/")), "{url}");
    let http = reqwest::Client::new();

    // The merchant's auto-posting form (no fields) and a plain GET both show it.
    let shown = page(http.post(&url).send().await.expect("post")).await;
    assert_eq!(shown.status, StatusCode::OK);
    let got = page(http.get(&url).send().await.expect("get")).await;
    assert_eq!(
        got.html.replace(&got.nonce, ""),
        shown.html.replace(&shown.nonce, "")
    );
    assert_ne!(got.nonce, shown.nonce);
    let html = shown.html;
    assert!(html.contains("<title>3-D Secure</title>"));
    assert!(html.contains("KGS 2,200.00"));
    assert!(html.contains("400000******3220"));
    assert!(!html.contains("4000000000003220"));
    let code = between(&html, "Sandbox: your one-time code is <b>", "</b>").to_owned();
    assert_eq!(code.len(), 6);
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    assert!(html.contains("name=\"code\""));
    assert!(html.contains("inputmode=\"numeric\""));
    assert!(html.contains("autocomplete=\"one-time-code\""));
    assert!(html.contains("name=\"action\" value=\"confirm\""));
    assert!(html.contains("name=\"action\" value=\"cancel\""));
    assert!(shown.csp.contains("default-src 'none'"));
    assert!(shown.csp.contains("frame-ancestors 'none'"));
    assert!(
        shown.csp.contains("form-action 'self' http://127.0.0.1:9;"),
        "{}",
        shown.csp
    );

    // The site may complete only after the answer.
    let error = client
        .complete_challenge("3ds-1", &token)
        .await
        .expect_err("not yet");
    assert!(
        matches!(error, ClientError::Rejected { status: 409, .. }),
        "{error:?}"
    );

    let answered = page(
        http.post(&url)
            .form(&[("code", code.as_str()), ("action", "confirm")])
            .send()
            .await
            .expect("confirm"),
    )
    .await;
    assert_eq!(answered.status, StatusCode::OK);
    let html = &answered.html;
    assert!(html.contains("Verified"), "{html}");
    let return_url = "http://127.0.0.1:9/pay/3ds-return?lang=ru";
    assert!(
        html.contains(&format!("<form method=\"post\" action=\"{return_url}\">")),
        "{html}"
    );
    assert!(html.contains(&format!(
        "<input type=\"hidden\" name=\"cres\" value=\"{token}\">"
    )));
    assert!(html.contains("<button type=\"submit\">Continue / Продолжить</button>"));
    let script_nonce = between(html, "<script nonce=\"", "\">");
    assert_eq!(script_nonce, answered.nonce);
    assert_eq!(html.matches("<script").count(), 1);
    assert!(
        answered
            .csp
            .contains(&format!("script-src 'nonce-{script_nonce}'"))
    );

    // Answering again shows the same way back; nothing is charged yet.
    let again = page(
        http.post(&url)
            .form(&[("code", "000000"), ("action", "confirm")])
            .send()
            .await
            .expect("again"),
    )
    .await;
    assert!(again.html.contains("Verified"));
    assert_eq!(engine.charges(), 0);

    let done = client
        .complete_challenge("3ds-1", &token)
        .await
        .expect("completed");
    assert_eq!(done.status, OrderStatus::Approved);
    assert_eq!(client.complete_challenge("3ds-1", &token).await, Ok(done));
    assert_eq!(sandbox_stats(&base).await.charges, 1);
}

#[tokio::test]
async fn a_wrong_code_fails_the_challenge_page() {
    let (_engine, base) = acquirer(FaultPlan::default(), None).await;
    let client = client(&base);
    let (url, token) = challenge_order(&client, "3ds-2").await;
    let http = reqwest::Client::new();
    let failed = page(
        http.post(&url)
            .form(&[("code", "<b>'x'"), ("action", "confirm")])
            .send()
            .await
            .expect("confirm"),
    )
    .await;
    assert!(failed.html.contains("Not verified"));
    assert!(failed.html.contains(&format!("value=\"{token}\"")));
    let done = client
        .complete_challenge("3ds-2", &token)
        .await
        .expect("completed");
    assert_eq!(done.status, OrderStatus::Declined);
    assert_eq!(done.decline_code, Some(DeclineCode::ThreeDsFailed));

    let (url, token) = challenge_order(&client, "3ds-3").await;
    let cancelled = page(
        http.post(&url)
            .form(&[("action", "cancel")])
            .send()
            .await
            .expect("cancel"),
    )
    .await;
    assert!(cancelled.html.contains("Not verified"));
    let done = client
        .complete_challenge("3ds-3", &token)
        .await
        .expect("completed");
    assert_eq!(done.decline_code, Some(DeclineCode::ThreeDsFailed));
    assert_eq!(sandbox_stats(&base).await.charges, 0);

    let unknown = page(
        http.get(format!("{base}/acs/nope"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_challenge_pages_mount_in_process() {
    let engine = Engine::new(EngineConfig::new("/sandbox/acs"));
    let site = Router::new().nest("/sandbox/acs", acs_router(Arc::clone(&engine)));
    let base = serve(site).await;
    let mut request = request("local", "4000000000003220");
    request.return_url = "/pay/3ds-return".to_owned();
    let order = engine.authorise(request).await.expect("challenge").response;
    let url = order.challenge.expect("challenge").url;
    assert!(url.starts_with("/sandbox/acs/"), "{url}");
    let http = reqwest::Client::new();
    let shown = page(http.get(format!("{base}{url}")).send().await.expect("get")).await;
    let code = between(&shown.html, "one-time code is <b>", "</b>").to_owned();
    let token = url.rsplit('/').next().expect("token");
    // The code form posts back to the page itself, wherever it is mounted.
    assert!(
        shown
            .html
            .contains(&format!("<form method=\"post\" action=\"{token}\">"))
    );
    let answered = page(
        http.post(format!("{base}{url}"))
            .form(&[("code", code.as_str()), ("action", "confirm")])
            .send()
            .await
            .expect("confirm"),
    )
    .await;
    assert!(answered.html.contains("action=\"/pay/3ds-return\""));
    assert!(
        answered.csp.contains("form-action 'self' 'self';"),
        "{}",
        answered.csp
    );
    let done = engine
        .complete_challenge("local", token)
        .await
        .expect("done");
    assert_eq!(done.status, OrderStatus::Approved);
}
