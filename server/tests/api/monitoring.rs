//! What the operator's monitoring sees: the metrics on their own listener
//! (the server binary on its own, so that its counts are its alone), and
//! readiness that fails when the acquirer over the network is gone.

use crate::gateway::bind_acquirer;
use crate::helpers::*;
use crate::startup::{free_port, live, server};
use acquirer::engine::FaultPlan;
use server::config::{GatewayConfig, ProcessorKind};
use std::process::Stdio;
use std::time::Duration;

const CODE: &str = "11202600000001";

/// The value of the sample `name{labels}` in a scrape (0 when absent).
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_routes_payments_and_acquirer_calls_on_their_own_listener() {
    let dir = tempfile::tempdir().unwrap();
    let (site, metrics) = (free_port(), free_port());
    let site_addr = format!("127.0.0.1:{site}");
    let metrics_addr = format!("127.0.0.1:{metrics}");
    let mut child = server(
        dir.path(),
        &[
            ("TOLEM_PROCESSOR", "sandbox"),
            ("TOLEM_TEST_MODE", "true"),
            ("TOLEM_DEMO_DATA", "true"),
            ("LEPTOS_SITE_ADDR", &site_addr),
            ("TOLEM_METRICS_ADDR", &metrics_addr),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("start the server binary");
    let base = format!("http://{site_addr}");
    let up = live(&mut child, &base).await;

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let scrape = |path: &'static str| {
        let client = client.clone();
        let url = format!("http://{metrics_addr}{path}");
        async move { client.get(url).send().await }
    };
    let mut answers = Vec::new();
    if up {
        // Rendered, then answered from its copy: both counted by route.
        for _ in 0..2 {
            client.get(format!("{base}/")).send().await.unwrap();
        }
        let page = client
            .get(format!("{base}/pay/{CODE}"))
            .send()
            .await
            .unwrap();
        let html = page.text().await.unwrap();
        let key = form_key_in(&html).expect("the form's key");
        let mut fields = card_fields(APPROVED_CARD, CVV);
        fields.extend([
            ("idempotency_key", key.as_str()),
            ("privacy_policy_edition", "1"),
            ("user_agreement_edition", "1"),
        ]);
        let paid = client
            .post(format!("{base}/pay/{CODE}"))
            .header("accept", "text/html")
            .form(&fields)
            .send()
            .await
            .unwrap();
        answers.push(paid.status().as_u16());
        let public = client.get(format!("{base}/metrics")).send().await.unwrap();
        answers.push(public.status().as_u16());
        let ready = client
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .unwrap();
        answers.push(ready.status().as_u16());
    }
    let scraped = match scrape("/metrics").await {
        Ok(response) => Some((
            response.status().as_u16(),
            response.headers().get("content-type").cloned(),
            response.text().await.unwrap_or_default(),
        )),
        Err(_) => None,
    };
    child.kill().ok();
    child.wait().ok();
    assert!(up, "the server did not start listening");
    assert_eq!(answers, [303, 404, 200], "paid, no public metrics, ready");
    let (status, content_type, text) = scraped.expect("the metrics listener answers");
    assert_eq!(status, 200);
    assert!(content_type.is_some_and(|t| t.to_str().unwrap_or("").starts_with("text/plain")),);

    // Requests by route pattern, never by the code in the address.
    assert_eq!(
        sample(
            &text,
            r#"tolem_http_requests_total{route="/pay/{code}",method="POST",status="303"}"#
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tolem_http_requests_total{route="/pay/{code}",method="GET",status="200"}"#
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tolem_http_requests_total{route="/",method="GET",status="200"}"#
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tolem_http_requests_total{route="unmatched",method="GET",status="404"}"#
        ),
        1.0,
        "{text}"
    );
    assert!(
        text.contains(r#"tolem_http_request_duration_seconds_bucket{route="/pay/{code}",method="POST",le="0.5"}"#),
        "a latency histogram per route: {text}"
    );
    // The payment by outcome and brand, and its acquirer call.
    assert_eq!(
        sample(&text, r#"tolem_payments_total{state="succeeded"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tolem_payment_answers_total{brand="visa",answer="approved"}"#
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tolem_acquirer_calls_total{call="authorise",result="answered"}"#
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"tolem_payment_duration_seconds_count{outcome="paid"}"#
        ),
        1.0,
        "{text}"
    );
    // Backlogs and the pool, read at the scrape.
    assert!(text.contains("tolem_unsettled_payments 0"), "{text}");
    assert!(text.contains("tolem_pending_webhooks "), "{text}");
    assert!(
        text.contains("tolem_oldest_unsettled_payment_age_seconds 0"),
        "{text}"
    );
    assert!(
        sample(&text, r#"tolem_db_connections{state="size"}"#) >= 1.0,
        "{text}"
    );
    assert!(text.contains("# HELP tolem_payments_total"), "{text}");
    // Nothing a citizen typed: no code, no card.
    assert!(!text.contains(CODE), "{text}");
    assert!(!text.contains("4111"), "{text}");
}

/// The site on a gateway to `url`, with readiness asked at once.
async fn ready_on_gateway(url: String) -> (u16, String) {
    let data_dir = tempfile::tempdir().unwrap();
    let config = test_config(
        &server::testing::sqlite_url(data_dir.path()),
        ProcessorKind::Gateway(GatewayConfig {
            url,
            secret: crate::gateway::KEY.into(),
            connect_timeout: Duration::from_millis(500),
            request_timeout: Duration::from_millis(500),
        }),
        &data_dir.path().display().to_string(),
    );
    let app = TestApp::spawn_with_config(data_dir, config).await;
    let ready = app.get("/health/ready").await;
    let status = ready.status().as_u16();
    (status, ready.text().await.unwrap())
}

#[tokio::test]
async fn readiness_asks_the_acquirer_and_fails_without_it() {
    let acquirer = bind_acquirer().await;
    let url = acquirer.url.clone();
    let engine = acquirer.start(FaultPlan::default(), None);
    let (status, body) = ready_on_gateway(url).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("acquirer: answered now"), "{body}");
    assert_eq!(
        engine.status_requests("tolem-readiness-probe"),
        1,
        "the check asked the acquirer"
    );

    // An acquirer nobody answers at: not ready, though the process lives.
    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let (status, body) = ready_on_gateway(gone).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready: acquirer"), "{body}");
}
