//! The signed notifications of final outcomes, and their faults.

use super::challenge::challenge_order;
use super::common::request;
use super::{KEY, acquirer, client, receiver, wait_for};
use acquirer::engine::{FaultKind, FaultPlan, NotifyConfig};
use acquirer::protocol::{self, DeclineCode, Notification, OrderStatus};
use std::time::{Duration, Instant};

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
