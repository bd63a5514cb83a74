//! The slow and late acquirer as the merchant's client sees it: a charge
//! recorded after the answer was lost (no such order until then), an
//! approved notification ahead of the challenge return, refunds that fail
//! before they go through.

use super::challenge::{between, challenge_order, page};
use super::common::request;
use super::{KEY, acquirer, client, receiver, sandbox_ledger, sandbox_stats, serve, wait_for};
use acquirer::client::{Client, ClientConfig, ClientError};
use acquirer::engine::{FaultKind, FaultPlan, NotifyConfig};
use acquirer::protocol::{LedgerEntry, Notification, OrderStatus, RefundOutcome};
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn rejected(error: &ClientError) -> Option<u16> {
    match error {
        ClientError::Rejected { status, .. } => Some(*status),
        _ => None,
    }
}

#[tokio::test]
async fn a_late_charge_is_unknown_then_no_such_order_then_approved() {
    let (hooks, received) = receiver().await;
    let notify = NotifyConfig {
        url: format!("{hooks}/hooks/acquirer"),
        key: KEY.to_vec(),
    };
    let plan = FaultPlan {
        late_charge_ms: 1_500,
        timeout_ms: 5_000,
        ..FaultPlan::default()
    };
    let (engine, base) = acquirer(plan, Some(notify)).await;
    let mut config = ClientConfig::new(&base, KEY.to_vec());
    config.request_timeout = Duration::from_millis(300);
    let impatient = Client::new(config).expect("client");

    let sent = Instant::now();
    let error = impatient
        .authorise(&request("late", "4000000000000267"))
        .await
        .expect_err("held past the timeout");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    assert!(sent.elapsed() < Duration::from_millis(1_000));

    // In flight: no such order, whichever way the merchant asks.
    assert_eq!(impatient.status("late").await, Ok(None));
    assert!(sandbox_ledger(&base).await.is_empty());
    let all: Vec<LedgerEntry> = reqwest::get(format!("{base}/sandbox/ledger?all=true"))
        .await
        .expect("all")
        .json()
        .await
        .expect("json");
    assert!(all.is_empty());
    let error = impatient
        .refund("late", "r1", 100)
        .await
        .expect_err("no order");
    assert_eq!(rejected(&error), Some(404), "{error:?}");
    // A repeat is refused as "being processed": no second charge.
    let error = impatient
        .authorise(&request("late", "4000000000000267"))
        .await
        .expect_err("in flight");
    assert_eq!(rejected(&error), Some(409), "{error:?}");
    assert!(received.lock().expect("lock").is_empty());
    assert_eq!(sandbox_stats(&base).await.charges, 0);
    assert!(
        sent.elapsed() < Duration::from_millis(1_500),
        "the checks above ran too late to mean anything"
    );

    // Recorded, then notified.
    let got = wait_for(&received, 1).await;
    assert_eq!(got.len(), 1);
    assert!(sent.elapsed() >= Duration::from_millis(1_500));
    let notification: Notification = serde_json::from_slice(&got[0].1).expect("json");
    assert_eq!(notification.status, OrderStatus::Approved);
    let order = impatient
        .status("late")
        .await
        .expect("status")
        .expect("recorded");
    assert_eq!(order.status, OrderStatus::Approved);
    assert_eq!(order.reference, notification.reference);
    let ledger = sandbox_ledger(&base).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].order_id, "late");
    // A repeat now answers at once with the order.
    let again = impatient
        .authorise(&request("late", "4000000000000267"))
        .await
        .expect("stored answer");
    assert_eq!(again, order);
    assert_eq!(sandbox_stats(&base).await.charges, 1);
    assert_eq!(engine.status_requests("late"), 2);
    assert_eq!(engine.refund_requests("late"), 1);
}

#[tokio::test]
async fn in_flight_not_found_answers_500_at_once() {
    let plan = FaultPlan {
        late_charge_ms: 1_000,
        ..FaultPlan::default()
    };
    let (engine, base) = acquirer(plan.clone(), None).await;
    let client = client(&base);
    let sent = Instant::now();
    let error = client
        .authorise(&request("card", "4000000000000531"))
        .await
        .expect_err("500");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    // The same fault, drawn at random for a plain card.
    engine.set_faults(FaultPlan {
        rate: 1.0,
        kinds: vec![FaultKind::InFlightNotFound],
        ..plan
    });
    let error = client
        .authorise(&request("drawn", "4111111111111111"))
        .await
        .expect_err("500");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    assert!(sent.elapsed() < Duration::from_millis(500), "at once");
    for order_id in ["card", "drawn"] {
        assert_eq!(client.status(order_id).await, Ok(None), "{order_id}");
    }
    assert_eq!(sandbox_stats(&base).await.charges, 0);
    assert!(sent.elapsed() < Duration::from_millis(1_000));

    tokio::time::sleep(Duration::from_millis(1_050).saturating_sub(sent.elapsed())).await;
    for order_id in ["card", "drawn"] {
        let order = client.status(order_id).await.expect("status");
        assert_eq!(order.map(|o| o.status), Some(OrderStatus::Approved));
        assert_eq!(engine.status_requests(order_id), 2);
    }
    assert_eq!(sandbox_stats(&base).await.charges, 2);
}

#[tokio::test]
async fn a_refund_fails_twice_then_succeeds() {
    let plan = FaultPlan {
        refund_failures: 2,
        ..FaultPlan::default()
    };
    let (engine, base) = acquirer(plan, None).await;
    let client = client(&base);
    client
        .authorise(&request("rf", "4111111111111111"))
        .await
        .expect("approved");
    for _ in 0..2 {
        let error = client
            .refund("rf", "r1", 220_000)
            .await
            .expect_err("unavailable");
        assert_eq!(rejected(&error), Some(503), "{error:?}");
        assert!(error.nothing_charged());
        assert_eq!(sandbox_ledger(&base).await[0].refunded_minor, None);
    }
    let refunded = client
        .refund("rf", "r1", 220_000)
        .await
        .expect("third time");
    assert_eq!(refunded.status, RefundOutcome::Succeeded);
    assert_eq!(client.refund("rf", "r1", 220_000).await, Ok(refunded));
    let ledger = sandbox_ledger(&base).await;
    assert_eq!(ledger[0].status, OrderStatus::Refunded);
    assert_eq!(ledger[0].refunded_minor, Some(220_000));
    assert_eq!(engine.refunded_minor("rf"), Some(220_000));
    assert_eq!(engine.refund_requests("rf"), 4);

    // The new settings travel through the fault plan endpoint.
    let http = reqwest::Client::new();
    let response = http
        .put(format!("{base}/sandbox/faults"))
        .json(&serde_json::json!({ "refund_failures": 1, "late_charge_ms": 10 }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let plan = engine.faults();
    assert_eq!((plan.refund_failures, plan.late_charge_ms), (1, 10));
}

/// What the slow merchant saw, in order, with the test's own marks.
type Events = Arc<Mutex<Vec<String>>>;

/// A merchant that refuses the first notification (503: "ask me again"),
/// then takes its time to take the next.
async fn slow_merchant() -> (String, Events) {
    let events: Events = Arc::default();
    let calls = Arc::new(AtomicUsize::new(0));
    let store = Arc::clone(&events);
    let app = Router::new().route(
        "/hooks/acquirer",
        post(move |body: Bytes| {
            let (store, calls) = (Arc::clone(&store), Arc::clone(&calls));
            async move {
                let notification: Notification = serde_json::from_slice(&body).expect("json");
                let status = notification.status;
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    store
                        .lock()
                        .expect("lock")
                        .push(format!("refused {status:?}"));
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                store
                    .lock()
                    .expect("lock")
                    .push(format!("received {status:?}"));
                tokio::time::sleep(Duration::from_millis(300)).await;
                store.lock().expect("lock").push("delivered".to_owned());
                StatusCode::NO_CONTENT
            }
        }),
    );
    (serve(app).await, events)
}

#[tokio::test]
async fn an_early_notification_is_delivered_before_the_browser_returns() {
    let (hooks, events) = slow_merchant().await;
    let notify = NotifyConfig {
        url: format!("{hooks}/hooks/acquirer"),
        key: KEY.to_vec(),
    };
    let (engine, base) = acquirer(FaultPlan::default(), Some(notify)).await;
    let client = client(&base);
    let order = client
        .authorise(&request("early", "4000000000003238"))
        .await
        .expect("challenge");
    assert_eq!(order.status, OrderStatus::ChallengeRequired);
    let url = order.challenge.expect("challenge").url;
    let token = url.rsplit('/').next().expect("token").to_owned();
    let http = reqwest::Client::new();
    let shown = page(http.get(&url).send().await.expect("get")).await;
    let code = between(&shown.html, "one-time code is <b>", "</b>").to_owned();

    let answered = page(
        http.post(&url)
            .form(&[("code", code.as_str()), ("action", "confirm")])
            .send()
            .await
            .expect("confirm"),
    )
    .await;
    events
        .lock()
        .expect("lock")
        .push("page answered".to_owned());
    assert_eq!(answered.status, StatusCode::OK);
    assert!(answered.html.contains("Verified"), "{}", answered.html);
    assert!(answered.html.contains(&format!("value=\"{token}\"")));
    assert_eq!(
        *events.lock().expect("lock"),
        [
            "refused Approved",
            "received Approved",
            "delivered",
            "page answered"
        ]
    );

    // Charged before the merchant completes; completing answers the same order.
    let status = client
        .status("early")
        .await
        .expect("status")
        .expect("order");
    assert_eq!(status.status, OrderStatus::Approved);
    let done = client
        .complete_challenge("early", &token)
        .await
        .expect("completed");
    assert_eq!(done, status);
    assert_eq!(engine.charges(), 1);
    // And no second notification for it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(events.lock().expect("lock").len(), 4);

    // Without the fault, the page does not wait for anyone: nothing is
    // final until the merchant completes.
    let (_, plain_token) = challenge_order(&client, "plain").await;
    assert_eq!(
        engine.challenge(&plain_token).map(|v| v.outcome),
        Some(None)
    );
}

#[tokio::test]
async fn a_refund_whose_answer_is_held_is_made_and_its_status_says_so() {
    let plan = FaultPlan {
        timeout_ms: 5_000,
        ..FaultPlan::default()
    };
    let (engine, base) = acquirer(plan, None).await;
    let mut config = ClientConfig::new(&base, KEY.to_vec());
    config.request_timeout = Duration::from_millis(300);
    let impatient = Client::new(config).expect("client");
    impatient
        .authorise(&request("slow", "4000000000000614"))
        .await
        .expect("approved");
    let sent = Instant::now();
    let error = impatient
        .refund("slow", "r1", 1_000)
        .await
        .expect_err("held past the timeout");
    assert!(matches!(error, ClientError::Unknown(_)), "{error:?}");
    assert!(sent.elapsed() < Duration::from_millis(1_000));
    let status = impatient
        .refund_status("slow", "r1")
        .await
        .expect("status")
        .expect("made");
    assert_eq!(status.status, RefundOutcome::Succeeded);
    assert_eq!(status.amount_minor, 1_000);
    assert_eq!(impatient.refund_status("slow", "r2").await, Ok(None));
    assert_eq!(engine.refunded_minor("slow"), Some(1_000));
}
