//! The sandbox acquirer on a real port, spoken to by the real client: what
//! each failure looks like to the merchant (`transport`), the challenge
//! pages (`challenge`), the notifications (`notifications`), the slow and
//! late acquirer (`slow`) and the binary (`binary`). This file holds the
//! helpers they share and the plain approvals and refusals.

#[path = "../common/mod.rs"]
mod common;

mod binary;
mod challenge;
mod notifications;
mod slow;
mod transport;

use acquirer::client::{Client, ClientConfig, ClientError};
use acquirer::engine::{Engine, EngineConfig, FaultPlan, NotifyConfig};
use acquirer::http::{SandboxStats, router};
use acquirer::protocol::{self, DeclineCode, LedgerEntry, OrderStatus};
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use common::request;
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
    // Even the refusal is signed, for the request it refuses (which came
    // with no signature).
    let headers = response.headers().clone();
    let answer = response.bytes().await.expect("body");
    assert_eq!(
        protocol::verify_headers(
            KEY,
            &headers,
            &protocol::response_method(401, ""),
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
