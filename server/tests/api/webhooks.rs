//! Webhooks as an agency receives them, on SQLite and PostgreSQL: a paid
//! request's event arrives signed per the Standard Webhooks specification;
//! an endpoint that is down gets every event once it is back, each attempt
//! written down; events of one request arrive in order; a courier that dies
//! mid-delivery leaves the event to the next; two servers on one database
//! deliver each event once; expiry is reported; dead letters can be sent
//! again.

use crate::helpers::{APPROVED_CARD, TestApp, call_pay, is_paid, new_key, pay_body};
use crate::receiver::{HANG, Receiver, agency, agency_config, new_request, spawn};
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::Method;
use server::storage::{NewRefund, RefundMove};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// The receiver's own check of a signature, written from the specification
/// rather than with the server's code.
fn genuine(secret: &str, received: &crate::receiver::Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let signed = format!("{}.{}.{}", received.id, received.timestamp, received.body);
    received.signature.split(' ').any(|s| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(signed.as_bytes());
        let expected =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        s == format!("v1,{expected}")
    })
}

async fn pay(app: &TestApp, code: &str) {
    assert!(is_paid(
        &call_pay(app, &pay_body(code, &new_key(), APPROVED_CARD)).await
    ));
}

async fn paid_event_is_signed(postgres: bool) {
    let app = spawn(postgres).await;
    let receiver = Receiver::start().await;
    let office = agency(&app, Some(&receiver.url)).await;
    let secret = office.secret.clone().unwrap();
    let code = app.issue(&office, "SIGNED").await;
    pay(&app, &code).await;
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |got| !got.is_empty())
            .await
    );
    let got = receiver.received();
    assert_eq!(
        got.len(),
        1,
        "only `paid` is sent: `created` is the agency's own doing"
    );
    let paid = &got[0];
    assert!(genuine(&secret, paid), "{paid:?}");
    let mut tampered = paid.clone();
    tampered.body = tampered.body.replace("paid", "PAID");
    assert!(!genuine(&secret, &tampered));
    let sent: i64 = paid.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent).abs() < 60);
    assert_eq!(paid.json["type"], "payment_request.paid");
    assert_eq!(paid.json["data"]["code"], code);
    assert_eq!(paid.json["data"]["status"], "paid");
    assert_eq!(paid.json["data"]["reference"], "SIGNED");
    assert!(paid.json["data"]["receipt_number"].is_i64());
    let (_, _, events) = app
        .api(
            Method::GET,
            &format!("/api/v1/payment-requests/{code}/events"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(events["events"][1]["type"], "payment_request.paid");
    assert_eq!(events["events"][1]["id"], paid.id.as_str());
    // The courier writes the delivery down once the receiver has answered.
    let mut state = None;
    for _ in 0..100 {
        state = app.payments.store.delivery_state(&paid.id).await.unwrap();
        if state.as_deref() == Some("delivered") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state.as_deref(), Some("delivered"));
    app.assert_no_card_data_stored().await;
}

#[tokio::test]
async fn a_paid_request_is_reported_signed_on_sqlite() {
    paid_event_is_signed(false).await;
}

#[tokio::test]
async fn a_paid_request_is_reported_signed_on_postgres() {
    paid_event_is_signed(true).await;
}

async fn a_receiver_that_was_down_gets_everything(postgres: bool) {
    let app = spawn(postgres).await;
    let receiver = Receiver::start().await;
    receiver.answer(503);
    let office = agency(&app, Some(&receiver.url)).await;
    let mut codes = Vec::new();
    for n in 0..3 {
        let code = app.issue(&office, &format!("DOWN-{n}")).await;
        pay(&app, &code).await;
        codes.push(code);
    }
    // Refused at least twice each while down, then back up.
    assert!(
        receiver
            .wait_for(Duration::from_secs(15), |got| got.len() >= 6)
            .await
    );
    let store = app.payments.store.clone();
    let failing = store.failing_endpoints().await.unwrap();
    assert_eq!(failing.len(), 1);
    assert_eq!(
        (failing[0].agency_id.as_str(), failing[0].retrying),
        (office.id.as_str(), 3)
    );
    receiver.answer(200);
    assert!(
        receiver
            .wait_for(Duration::from_secs(15), |_| receiver
                .delivered("payment_request.paid")
                .len()
                == 3)
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let delivered = receiver.delivered("payment_request.paid");
    let mut per_code: HashMap<String, usize> = HashMap::new();
    for d in &delivered {
        *per_code
            .entry(d.json["data"]["code"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(per_code.len(), 3);
    assert!(
        per_code.values().all(|&n| n == 1),
        "each delivered once it is up: {per_code:?}"
    );
    let attempts = store.delivery_attempts(&delivered[0].id).await.unwrap();
    assert!(attempts.len() >= 3, "{attempts:?}");
    let (last, earlier) = attempts.split_last().unwrap();
    assert_eq!(last.status_code, Some(200));
    assert!(last.next_attempt_at.is_none());
    for attempt in earlier {
        assert_eq!(attempt.status_code, Some(503));
        assert!(
            attempt.next_attempt_at.is_some(),
            "the next try is written down"
        );
    }
    assert!(store.failing_endpoints().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_everything_on_sqlite() {
    a_receiver_that_was_down_gets_everything(false).await;
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_everything_on_postgres() {
    a_receiver_that_was_down_gets_everything(true).await;
}

#[tokio::test]
async fn events_of_one_request_arrive_in_order() {
    let app = spawn(false).await;
    let receiver = Receiver::start().await;
    receiver.answer(500);
    let office = agency(&app, Some(&receiver.url)).await;
    let code = app.issue(&office, "ORDER").await;
    pay(&app, &code).await;
    // A refund of that payment succeeds while `paid` is still undelivered.
    let store = app.payments.store.clone();
    let code_parsed = domain::PaymentCode::parse(&code).unwrap();
    let payment = store
        .payments_in_state(domain::PaymentState::Succeeded)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.code == code_parsed)
        .unwrap();
    let now = chrono::Utc::now();
    let refund = NewRefund {
        id: "rfd_order",
        payment_id: &payment.id,
        amount: payment.amount,
        cause: domain::RefundCause::Requested,
        reason: "test",
        at: now,
    };
    assert!(store.require_refund(refund).await.unwrap());
    for (from, to) in [
        (
            domain::RefundState::Required,
            domain::RefundState::Submitted,
        ),
        (
            domain::RefundState::Submitted,
            domain::RefundState::Refunded,
        ),
    ] {
        let change = RefundMove {
            from,
            to,
            reason: "test",
            reference: None,
            next_attempt_at: now,
            attempt: false,
            at: chrono::Utc::now(),
        };
        assert!(store.move_refund("rfd_order", change).await.unwrap());
    }
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |got| got.len() >= 3)
            .await
    );
    assert!(
        receiver
            .received()
            .iter()
            .all(|r| r.json["type"] == "payment_request.paid"),
        "the refund waits for the payment's event"
    );
    receiver.answer(200);
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |_| !receiver
                .delivered("refund.succeeded")
                .is_empty())
            .await
    );
    let order: Vec<_> = receiver
        .received()
        .iter()
        .filter(|r| r.answered == 200)
        .map(|r| r.json["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(order, ["payment_request.paid", "refund.succeeded"]);
    let refund = &receiver.delivered("refund.succeeded")[0];
    assert_eq!(refund.json["data"]["refund"]["amount"], 150_000);
}

/// A server whose courier waits an hour between rounds: the test runs the
/// rounds itself.
async fn spawn_quiet(database_url: Option<&str>) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let url = match database_url {
        Some(url) => url.to_owned(),
        None => server::testing::sqlite_url(data_dir.path()),
    };
    let mut config = agency_config(&url, &data_dir.path().display().to_string());
    config.api.webhooks.poll = Duration::from_secs(3600);
    TestApp::spawn_with_config(data_dir, config).await
}

fn courier(app: &TestApp) -> Arc<server::webhooks::Courier> {
    let mut settings = crate::receiver::quick_webhooks();
    settings.timeout = Duration::from_millis(500);
    Arc::new(
        server::webhooks::Courier::new(
            app.payments.store.clone(),
            Arc::new(chrono::Utc::now),
            settings,
            true,
            app.address.clone(),
            Arc::new(tokio::sync::Notify::new()),
        )
        .unwrap(),
    )
}

#[tokio::test]
async fn a_courier_that_dies_mid_delivery_leaves_the_event_to_the_next() {
    let app = spawn_quiet(None).await;
    let receiver = Receiver::start().await;
    receiver.answer(HANG);
    let office = agency(&app, Some(&receiver.url)).await;
    let code = app.issue(&office, "KILLED").await;
    pay(&app, &code).await;
    let dying = courier(&app);
    let round = tokio::spawn({
        let dying = dying.clone();
        async move { dying.round().await }
    });
    assert!(
        receiver
            .wait_for(Duration::from_secs(5), |got| got.len() == 1)
            .await
    );
    round.abort();
    receiver.answer(200);
    let next = courier(&app);
    assert_eq!(
        next.round().await.unwrap(),
        0,
        "the dead courier's lease still holds"
    );
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    assert_eq!(next.round().await.unwrap(), 1, "the lease ran out");
    assert_eq!(receiver.delivered("payment_request.paid").len(), 1);
    assert_eq!(next.round().await.unwrap(), 0, "delivered once, done");
}

#[tokio::test]
async fn two_servers_on_one_postgres_deliver_each_event_once() {
    let url = server::testing::fresh_postgres_url().await;
    let first = spawn_quiet(Some(&url)).await;
    let second = spawn_quiet(Some(&url)).await;
    let receiver = Receiver::start().await;
    let office = agency(&first, Some(&receiver.url)).await;
    let mut codes = Vec::new();
    for n in 0..40 {
        let app = if n % 2 == 0 { &first } else { &second };
        let code = app.issue(&office, &format!("TWO-{n}")).await;
        pay(app, &code).await;
        codes.push(code);
    }
    let couriers = [
        courier(&first),
        courier(&first),
        courier(&second),
        courier(&second),
    ];
    let mut rounds = Vec::new();
    for c in &couriers {
        let c = c.clone();
        rounds.push(tokio::spawn(async move {
            for _ in 0..20 {
                let _ = c.round().await;
            }
        }));
    }
    for round in rounds {
        round.await.unwrap();
    }
    let delivered = receiver.delivered("payment_request.paid");
    let ids: std::collections::HashSet<_> = delivered.iter().map(|d| d.id.clone()).collect();
    assert_eq!(delivered.len(), 40, "each once");
    assert_eq!(ids.len(), 40);
}

async fn expiry_is_reported(postgres: bool) {
    let app = spawn(postgres).await;
    let receiver = Receiver::start().await;
    let office = agency(&app, Some(&receiver.url)).await;
    let mut body = new_request("SOON");
    body["expires_at"] =
        serde_json::json!((chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339());
    let (status, _, created) = app
        .api(
            Method::POST,
            "/api/v1/payment-requests",
            Some(&office.key),
            None,
            Some(&body),
        )
        .await;
    assert_eq!(status, 201);
    let code = created["code"].as_str().unwrap().to_owned();
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |_| !receiver
                .delivered("payment_request.expired")
                .is_empty())
            .await
    );
    let expired = &receiver.delivered("payment_request.expired")[0];
    assert_eq!(expired.json["data"]["code"], code);
    let (_, _, read) = app
        .api(
            Method::GET,
            &format!("/api/v1/payment-requests/{code}"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(read["status"], "expired");
    let (status, _, _) = app
        .api(
            Method::POST,
            &format!("/api/v1/payment-requests/{code}/cancel"),
            Some(&office.key),
            None,
            None,
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn expiry_is_reported_on_sqlite() {
    expiry_is_reported(false).await;
}

#[tokio::test]
async fn expiry_is_reported_on_postgres() {
    expiry_is_reported(true).await;
}

#[tokio::test]
async fn a_dead_letter_can_be_sent_again() {
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let mut config = agency_config(&url, &data_dir.path().display().to_string());
    config.api.webhooks.give_up_after = Duration::from_millis(600);
    let app = TestApp::spawn_with_config(data_dir, config).await;
    let receiver = Receiver::start().await;
    receiver.answer(410);
    let office = agency(&app, Some(&receiver.url)).await;
    let code = app.issue(&office, "DEAD").await;
    pay(&app, &code).await;
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |got| !got.is_empty())
            .await
    );
    let id = receiver.received()[0].id.clone();
    let store = app.payments.store.clone();
    let mut state = None;
    for _ in 0..100 {
        state = store.delivery_state(&id).await.unwrap();
        if state.as_deref() == Some("dead") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(state.as_deref(), Some("dead"));
    assert_eq!(store.failing_endpoints().await.unwrap()[0].dead, 1);
    receiver.answer(200);
    assert!(store.redeliver(&id, chrono::Utc::now()).await.unwrap());
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |_| receiver
                .delivered("payment_request.paid")
                .len()
                == 1)
            .await
    );
}
