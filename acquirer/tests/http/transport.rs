//! What each transport failure looks like to the merchant's client, and the
//! sandbox's control endpoints.

use super::common::request;
use super::{KEY, acquirer, client, closed_port, sandbox_ledger, sandbox_stats, serve};
use acquirer::client::{Client, ClientConfig, ClientError};
use acquirer::engine::{FaultKind, FaultPlan};
use acquirer::http::SandboxStats;
use acquirer::protocol::{self, OrderResponse, OrderStatus, RefundOutcome};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::{get, post};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

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

/// The request a stand-in answers: what a signed answer must name.
struct Asked {
    path: String,
    signature: String,
}

/// A stand-in acquirer that answers whatever it is told to.
async fn stub(
    answer: fn(usize, &Asked) -> (StatusCode, HeaderMap, Vec<u8>),
) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&calls);
    let handler = move |uri: Uri, headers: HeaderMap| {
        let counter = Arc::clone(&counter);
        async move {
            let call = counter.fetch_add(1, Ordering::SeqCst);
            let asked = Asked {
                path: uri.path().to_owned(),
                signature: headers
                    .get(protocol::SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned(),
            };
            answer(call, &asked)
        }
    };
    let app = Router::new()
        .route("/v1/orders", post(handler.clone()))
        .route("/v1/orders/{id}", get(handler));
    (serve(app).await, calls)
}

fn signed(status: StatusCode, asked: &Asked, body: Vec<u8>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let ts = protocol::now_unix();
    let mut headers = HeaderMap::new();
    headers.insert(protocol::TIMESTAMP_HEADER, ts.into());
    let signature = protocol::sign(
        KEY,
        ts,
        &protocol::response_method(status.as_u16(), &asked.signature),
        &asked.path,
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
    // A signed answer captured for another request on the same path (a
    // refusal, replayed as the answer to this one).
    let (base, _) = stub(|_, path| {
        let other = Asked {
            path: path.path.clone(),
            signature: "0".repeat(64),
        };
        signed(
            StatusCode::BAD_REQUEST,
            &other,
            br#"{"error":"no"}"#.to_vec(),
        )
    })
    .await;
    let error = client_for(&base)
        .authorise(&request("s1", "4111111111111111"))
        .await
        .expect_err("an answer to another request");
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
    let part = client.refund("rf", "r1", 20_000).await.expect("refunded");
    assert_eq!(part.status, RefundOutcome::Succeeded);
    assert_eq!(client.refund("rf", "r1", 20_000).await, Ok(part.clone()));
    let error = client.refund("rf", "r1", 5).await.expect_err("conflict");
    assert!(matches!(error, ClientError::Rejected { status: 409, .. }));
    let error = client
        .refund("rf", "r2", 200_001)
        .await
        .expect_err("more than is left");
    assert!(matches!(error, ClientError::Rejected { status: 400, .. }));
    let error = client
        .refund("missing", "r1", 5)
        .await
        .expect_err("unknown");
    assert!(matches!(error, ClientError::Rejected { status: 404, .. }));
    assert_eq!(client.refund_status("rf", "r1").await, Ok(Some(part)));
    assert_eq!(client.refund_status("rf", "r9").await, Ok(None));
    // A card whose refunds the issuer refuses: a definite answer.
    client
        .authorise(&request("refused", "4000000000000606"))
        .await
        .expect("approved");
    let refused = client.refund("refused", "r1", 5).await.expect("answered");
    assert_eq!(refused.status, RefundOutcome::Declined);
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
