//! The sandbox acquirer on a real port, spoken to by the real client: what
//! each failure looks like to the merchant, the challenge pages, the
//! notifications and the binary.

mod common;

use acquirer::client::{Client, ClientConfig, ClientError};
use acquirer::engine::{Engine, EngineConfig, FaultKind, FaultPlan, NotifyConfig};
use acquirer::http::{SandboxStats, acs_router, router};
use acquirer::protocol::{
    self, DeclineCode, LedgerEntry, Notification, OrderResponse, OrderStatus, ThreeDsMode,
};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use common::request;
use std::io::BufRead as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &[u8] = b"shared-test-key";

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    format!("http://{addr}")
}

/// An acquirer on a real port; challenge URLs point at it.
async fn acquirer(plan: FaultPlan, notify: Option<NotifyConfig>) -> (Arc<Engine>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let engine = Engine::new(EngineConfig {
        acs_base_url: format!("{base}/acs"),
        faults: plan,
        notify,
        seed: Some(7),
    });
    let app = router(Arc::clone(&engine), KEY.to_vec());
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    (engine, base)
}

fn client(base: &str) -> Client {
    let mut config = ClientConfig::new(base, KEY.to_vec());
    config.request_timeout = Duration::from_secs(5);
    config.status_backoff = Duration::from_millis(20);
    Client::new(config).expect("client")
}

async fn sandbox_ledger(base: &str) -> Vec<LedgerEntry> {
    reqwest::get(format!("{base}/sandbox/ledger"))
        .await
        .expect("ledger")
        .json()
        .await
        .expect("ledger json")
}

async fn sandbox_stats(base: &str) -> SandboxStats {
    reqwest::get(format!("{base}/sandbox/stats"))
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats json")
}

/// An address with nothing listening on it.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

#[tokio::test]
async fn approve_and_decline() {
    let (_engine, base) = acquirer(FaultPlan::default(), None).await;
    let client = client(&base);
    let approved = client
        .authorise(&request("a1", "4111111111111111"))
        .await
        .expect("approved");
    assert_eq!(approved.status, OrderStatus::Approved);
    assert!(approved.reference.is_some());
    let declined = client
        .authorise(&request("d1", "4000000000009995"))
        .await
        .expect("declined");
    assert_eq!(declined.status, OrderStatus::Declined);
    assert_eq!(declined.decline_code, Some(DeclineCode::InsufficientFunds));

    assert_eq!(client.status("a1").await, Ok(Some(approved)));
    assert_eq!(client.status("never-seen").await, Ok(None));
    let ledger = sandbox_ledger(&base).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].order_id, "a1");
    let body = reqwest::get(format!("{base}/sandbox/ledger?all=true"))
        .await
        .expect("all")
        .text()
        .await
        .expect("text");
    assert!(body.contains("d1"));
    assert!(!body.contains("4111111111111111") && !body.contains("4000000000009995"));
    assert_eq!(
        sandbox_stats(&base).await,
        SandboxStats {
            authorise_requests: 2,
            charges: 1
        }
    );
}

#[tokio::test]
async fn unsigned_and_wrongly_signed_requests_are_refused() {
    let (engine, base) = acquirer(FaultPlan::default(), None).await;
    let body = serde_json::to_vec(&request("u1", "4111111111111111")).expect("json");
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/orders"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Even the refusal is signed.
    let headers = response.headers().clone();
    let answer = response.bytes().await.expect("body");
    assert_eq!(
        protocol::verify_headers(
            KEY,
            &headers,
            "RESPONSE 401",
            "/v1/orders",
            &answer,
            protocol::now_unix()
        ),
        Ok(())
    );
    assert!(String::from_utf8_lossy(&answer).contains("error"));

    // Signed for another path.
    let ts = protocol::now_unix();
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/orders"))
        .header(protocol::TIMESTAMP_HEADER, ts.to_string())
        .header(
            protocol::SIGNATURE_HEADER,
            protocol::sign(KEY, ts, "POST", "/v1/other", &body),
        )
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let wrong_key = Client::new(ClientConfig::new(&base, b"not-the-key".to_vec())).expect("client");
    let error = wrong_key
        .authorise(&request("u2", "4111111111111111"))
        .await
        .expect_err("refused");
    // Signed with a key we do not share: the answer cannot be trusted either.
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    assert_eq!(engine.authorise_requests(), 0);
    assert_eq!(engine.charges(), 0);
}

#[tokio::test]
async fn refusals_are_rejected_and_charge_nothing() {
    let (engine, base) = acquirer(FaultPlan::default(), None).await;
    let client = client(&base);
    client
        .authorise(&request("c1", "4111111111111111"))
        .await
        .expect("approved");
    let mut other = request("c1", "4111111111111111");
    other.amount_minor = 1;
    let error = client.authorise(&other).await.expect_err("conflict");
    assert!(
        matches!(&error, ClientError::Rejected { status: 409, .. }),
        "{error:?}"
    );
    assert!(error.nothing_charged());

    let mut invalid = request("bad", "4111111111111112");
    invalid.currency = "KGS".to_owned();
    let error = client.authorise(&invalid).await.expect_err("invalid");
    match &error {
        ClientError::Rejected { status: 400, error } => {
            assert!(error.contains("Luhn"), "{error}");
            assert!(!error.contains("4111111111111112"));
        }
        other => panic!("{other:?}"),
    }

    let error = client
        .authorise(&request("r1", "4000000000000119"))
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, ClientError::Rejected { status: 503, .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("4000000000000119"));
    assert_eq!(client.status("r1").await, Ok(None));
    assert_eq!(engine.charges(), 1);
    assert_eq!(sandbox_ledger(&base).await.len(), 1);
}

#[tokio::test]
async fn a_held_answer_is_unknown_but_the_charge_is_found() {
    let (_engine, base) = acquirer(
        FaultPlan {
            timeout_ms: 2_000,
            ..FaultPlan::default()
        },
        None,
    )
    .await;
    let mut config = ClientConfig::new(&base, KEY.to_vec());
    config.request_timeout = Duration::from_millis(300);
    let client = Client::new(config).expect("client");
    let started = Instant::now();
    let error = client
        .authorise(&request("slow", "4000000000000259"))
        .await
        .expect_err("timed out");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    assert!(!error.nothing_charged());
    assert!(started.elapsed() < Duration::from_millis(1_500));
    let ledger = sandbox_ledger(&base).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].order_id, "slow");
    let order = client.status("slow").await.expect("status").expect("found");
    assert_eq!(order.status, OrderStatus::Approved);
    // The repeated authorisation gets the stored answer at once.
    let again = client
        .authorise(&request("slow", "4000000000000259"))
        .await
        .expect("stored answer");
    assert_eq!(again, order);
    assert_eq!(sandbox_stats(&base).await.charges, 1);
}

#[tokio::test]
async fn a_server_error_or_a_dropped_answer_is_unknown() {
    let (_engine, base) = acquirer(FaultPlan::default(), None).await;
    let client = client(&base);
    for (order_id, number) in [("e500", "4000000000000507"), ("drop", "4000000000000515")] {
        let error = client
            .authorise(&request(order_id, number))
            .await
            .expect_err("no answer");
        assert!(
            matches!(error, ClientError::Unknown(_)),
            "{order_id}: {error:?}"
        );
        let order = client
            .status(order_id)
            .await
            .expect("status")
            .expect("charged");
        assert_eq!(order.status, OrderStatus::Approved);
    }
    // A 500 before the charge is just as unknown to the client, but the
    // acquirer has no such order.
    let error = client
        .authorise(&request("before", "4000000000000523"))
        .await
        .expect_err("no answer");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    assert_eq!(client.status("before").await, Ok(None));
    assert_eq!(sandbox_stats(&base).await.charges, 2);
}

#[tokio::test]
async fn nothing_listening_is_not_sent() {
    let base = closed_port().await;
    let mut config = ClientConfig::new(&base, KEY.to_vec());
    config.status_attempts = 3;
    config.status_backoff = Duration::from_millis(50);
    let client = Client::new(config).expect("client");
    let error = client
        .authorise(&request("x", "4111111111111111"))
        .await
        .expect_err("refused");
    assert!(matches!(error, ClientError::NotSent(_)), "{error:?}");
    assert!(error.nothing_charged());

    let started = Instant::now();
    let error = client.status("x").await.expect_err("nothing there");
    let elapsed = started.elapsed();
    assert!(matches!(error, ClientError::NotSent(_)), "{error:?}");
    // Two backoffs, 50 then 100 ms, between three attempts.
    assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

/// A stand-in acquirer that answers whatever it is told to.
async fn stub(
    answer: fn(usize, &str) -> (StatusCode, HeaderMap, Vec<u8>),
) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let handler = move |uri: Uri| {
        let counter = Arc::clone(&counter);
        async move {
            let call = counter.fetch_add(1, Ordering::SeqCst);
            answer(call, uri.path())
        }
    };
    let app = Router::new()
        .route("/v1/orders", post(handler.clone()))
        .route("/v1/orders/{id}", get(handler));
    (serve(app).await, calls)
}

fn signed(status: StatusCode, path: &str, body: Vec<u8>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let ts = protocol::now_unix();
    let mut headers = HeaderMap::new();
    headers.insert(protocol::TIMESTAMP_HEADER, ts.into());
    let signature = protocol::sign(
        KEY,
        ts,
        &protocol::response_method(status.as_u16()),
        path,
        &body,
    );
    headers.insert(
        protocol::SIGNATURE_HEADER,
        signature.parse().expect("header"),
    );
    (status, headers, body)
}

fn order_json(order_id: &str) -> Vec<u8> {
    serde_json::to_vec(&OrderResponse {
        order_id: order_id.to_owned(),
        status: OrderStatus::Approved,
        amount_minor: 220_000,
        currency: "KGS".to_owned(),
        reference: Some("SBXSTUB".to_owned()),
        decline_code: None,
        challenge: None,
        three_ds: None,
    })
    .expect("json")
}

#[tokio::test]
async fn untrustworthy_answers_are_unknown() {
    let client_for = |base: &str| client(base);
    // Unsigned 200.
    let (base, _) = stub(|_, _| (StatusCode::OK, HeaderMap::new(), order_json("s1"))).await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("unsigned");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    // Signed, then tampered with.
    let (base, _) = stub(|_, path| {
        let (status, headers, _) = signed(StatusCode::OK, path, order_json("s1"));
        (status, headers, order_json("s1-tampered"))
    })
    .await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("tampered");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    // A signature for another status.
    let (base, _) = stub(|_, path| {
        let (_, headers, body) = signed(StatusCode::OK, path, order_json("s1"));
        (StatusCode::BAD_REQUEST, headers, body)
    })
    .await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("wrong status");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    // An unsigned 400 or 503 (say, from a proxy) is not the acquirer's refusal.
    let (base, _) = stub(|_, _| {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            HeaderMap::new(),
            br#"{"error":"busy"}"#.to_vec(),
        )
    })
    .await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("unsigned 503");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    // Signed, but about another order.
    let (base, _) = stub(|_, path| signed(StatusCode::OK, path, order_json("other"))).await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("other order");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    // A signed 500 is still unknown; a signed 503 is a refusal.
    let (base, _) = stub(|_, path| {
        signed(
            StatusCode::INTERNAL_SERVER_ERROR,
            path,
            br#"{"error":"x"}"#.to_vec(),
        )
    })
    .await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("500");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    let (base, calls) = stub(|_, path| {
        signed(
            StatusCode::SERVICE_UNAVAILABLE,
            path,
            br#"{"error":"down"}"#.to_vec(),
        )
    })
    .await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("503");
    assert_eq!(
        error,
        ClientError::Rejected {
            status: 503,
            error: "down".to_owned()
        }
    );
    // authorise is never retried.
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn status_retries_until_a_trustworthy_answer() {
    let (base, calls) = stub(|call, path| match call {
        0 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            HeaderMap::new(),
            Vec::new(),
        ),
        1 => (StatusCode::OK, HeaderMap::new(), order_json("s2")),
        _ => signed(StatusCode::OK, path, order_json("s2")),
    })
    .await;
    let order = client(&base).status("s2").await.expect("third time");
    assert_eq!(order.map(|o| o.reference), Some(Some("SBXSTUB".to_owned())));
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // A signed 4xx is an answer: no retry.
    let (base, calls) =
        stub(|_, path| signed(StatusCode::BAD_REQUEST, path, br#"{"error":"no"}"#.to_vec())).await;
    let error = client(&base).status("s3").await.expect_err("refused");
    assert!(matches!(error, ClientError::Rejected { status: 400, .. }));
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Always failing: exactly status_attempts tries.
    let (base, calls) = stub(|_, _| (StatusCode::BAD_GATEWAY, HeaderMap::new(), Vec::new())).await;
    let error = client(&base).status("s4").await.expect_err("gave up");
    assert!(matches!(error, ClientError::Unknown(_)));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn refunds_over_http() {
    let (_engine, base) = acquirer(FaultPlan::default(), None).await;
    let client = client(&base);
    client
        .authorise(&request("rf", "4111111111111111"))
        .await
        .expect("approved");
    let refunded = client.refund("rf", 220_000).await.expect("refunded");
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(client.refund("rf", 220_000).await, Ok(refunded));
    let error = client.refund("rf", 5).await.expect_err("conflict");
    assert!(matches!(error, ClientError::Rejected { status: 409, .. }));
    let error = client.refund("missing", 5).await.expect_err("unknown");
    assert!(matches!(error, ClientError::Rejected { status: 404, .. }));
}

#[tokio::test]
async fn fault_plan_and_stats_endpoints() {
    let (_engine, base) = acquirer(FaultPlan::default(), None).await;
    let http = reqwest::Client::new();
    let response = http
        .put(format!("{base}/sandbox/faults"))
        .json(&serde_json::json!({ "rate": 2.0 }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let response = http
        .put(format!("{base}/sandbox/faults"))
        .json(&serde_json::json!({ "rate": 1.0, "kinds": ["drop"] }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let plan: FaultPlan = http
        .get(format!("{base}/sandbox/faults"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(plan.kinds, vec![FaultKind::Drop]);
    assert_eq!(plan.timeout_ms, 30_000);
    let error = client(&base)
        .authorise(&request("f1", "4111111111111111"))
        .await
        .expect_err("dropped");
    assert!(matches!(error, ClientError::Unknown(_)));
    assert_eq!(
        sandbox_stats(&base).await,
        SandboxStats {
            authorise_requests: 1,
            charges: 1
        }
    );
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in {text}"))
        + start.len();
    let len = text[from..].find(end).expect("end marker");
    &text[from..from + len]
}

struct Page {
    status: StatusCode,
    nonce: String,
    csp: String,
    html: String,
}

async fn page(response: reqwest::Response) -> Page {
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
async fn challenge_order(client: &Client, order_id: &str) -> (String, String) {
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

type Received = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn receiver() -> (String, Received) {
    let received: Received = Arc::default();
    let store = Arc::clone(&received);
    let app = Router::new().route(
        "/hooks/acquirer",
        post(move |headers: HeaderMap, body: Bytes| {
            let store = Arc::clone(&store);
            async move {
                store.lock().expect("lock").push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    (serve(app).await, received)
}

async fn wait_for(received: &Received, count: usize) -> Vec<(HeaderMap, Bytes)> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = received.lock().expect("lock").clone();
        if got.len() >= count || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn final_outcomes_are_notified_signed() {
    let (hooks, received) = receiver().await;
    let notify = NotifyConfig {
        url: format!("{hooks}/hooks/acquirer?shop=tolem"),
        key: KEY.to_vec(),
    };
    assert!(!format!("{notify:?}").contains("shared-test-key"));
    let (_engine, base) = acquirer(FaultPlan::default(), Some(notify)).await;
    let client = client(&base);
    let approved = client
        .authorise(&request("n1", "4111111111111111"))
        .await
        .expect("approved");
    let got = wait_for(&received, 1).await;
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert_eq!(
        protocol::verify_headers(
            KEY,
            headers,
            "POST",
            "/hooks/acquirer?shop=tolem",
            body,
            protocol::now_unix()
        ),
        Ok(())
    );
    let notification: Notification = serde_json::from_slice(body).expect("json");
    assert_eq!(
        notification,
        Notification {
            order_id: "n1".to_owned(),
            status: OrderStatus::Approved,
            reference: approved.reference,
            decline_code: None,
        }
    );
    // A tampered notification does not verify.
    assert!(
        protocol::verify_headers(
            KEY,
            headers,
            "POST",
            "/hooks/acquirer",
            body,
            protocol::now_unix()
        )
        .is_err()
    );

    client
        .authorise(&request("n2", "4000000000000002"))
        .await
        .expect("declined");
    let got = wait_for(&received, 2).await;
    let declined: Notification = serde_json::from_slice(&got[1].1).expect("json");
    assert_eq!(declined.decline_code, Some(DeclineCode::DoNotHonour));
    // A challenge awaiting its answer is not final: no notification.
    challenge_order(&client, "n3").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(received.lock().expect("lock").len(), 2);
}

#[tokio::test]
async fn duplicate_and_late_notifications() {
    let (hooks, received) = receiver().await;
    let notify = NotifyConfig {
        url: format!("{hooks}/hooks/acquirer"),
        key: KEY.to_vec(),
    };
    let (engine, base) = acquirer(
        FaultPlan {
            rate: 1.0,
            kinds: vec![FaultKind::DuplicateNotification],
            late_notification_ms: 400,
            ..FaultPlan::default()
        },
        Some(notify),
    )
    .await;
    let client = client(&base);
    client
        .authorise(&request("dup", "4111111111111111"))
        .await
        .expect("approved");
    let got = wait_for(&received, 2).await;
    assert_eq!(got.len(), 2);
    for (_, body) in &got {
        let notification: Notification = serde_json::from_slice(body).expect("json");
        assert_eq!(notification.order_id, "dup");
    }
    assert_eq!(engine.charges(), 1);

    engine.set_faults(FaultPlan {
        rate: 1.0,
        kinds: vec![FaultKind::LateNotification],
        late_notification_ms: 400,
        ..FaultPlan::default()
    });
    let sent = Instant::now();
    client
        .authorise(&request("late", "4111111111111111"))
        .await
        .expect("approved");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(received.lock().expect("lock").len(), 2);
    let got = wait_for(&received, 3).await;
    assert_eq!(got.len(), 3);
    assert!(sent.elapsed() >= Duration::from_millis(400));
}

/// Kills the child on drop, so a failing test leaves no server behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_on_the_port_it_prints() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_sandbox-acquirer"))
        .arg("--help")
        .output()
        .expect("help");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for var in [
        "ACQUIRER_ADDR",
        "ACQUIRER_SECRET",
        "ACQUIRER_PUBLIC_URL",
        "ACQUIRER_FAULTS",
    ] {
        assert!(help.contains(var), "{var}");
    }

    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_sandbox-acquirer"))
            .env("ACQUIRER_ADDR", "127.0.0.1:0")
            .env("ACQUIRER_SECRET", "binary-key")
            .env("ACQUIRER_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await
    .expect("join")
    .expect("read");
    let base = line
        .trim()
        .strip_prefix("sandbox acquirer listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let addr: SocketAddr = base.trim_start_matches("http://").parse().expect("address");
    assert_ne!(addr.port(), 0);

    let client = Client::new(ClientConfig::new(&base, b"binary-key".to_vec())).expect("client");
    let order = client
        .authorise(&request("bin", "5555555555554444"))
        .await
        .expect("approved");
    assert_eq!(order.status, OrderStatus::Approved);
    let (url, _) = challenge_order(&client, "bin-3ds").await;
    assert!(url.starts_with(&format!("{base}/acs/")), "{url}");
    assert_eq!(sandbox_ledger(&base).await.len(), 1);
}
