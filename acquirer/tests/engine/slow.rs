//! The slow and late acquirer over the engine's API: charges recorded after
//! the answer was lost, notifications ahead of the challenge return,
//! refunds that fail before they go through, and the per-order counters.

use super::common::request;
use super::{ACS, authorise, engine};
use acquirer::engine::{
    ChallengeAction, ChallengeOutcome, Engine, EngineConfig, EngineError, Fault, FaultKind,
    FaultPlan,
};
use acquirer::protocol::OrderStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Long enough that the checks right after the authorisation all run
/// before it, short enough for a test.
const LATE_MS: u64 = 1_000;

fn late_engine(plan: FaultPlan) -> Arc<Engine> {
    Engine::new(EngineConfig {
        seed: Some(11),
        faults: FaultPlan {
            late_charge_ms: LATE_MS,
            ..plan
        },
        ..EngineConfig::new(ACS)
    })
}

/// Everything the merchant could ask about an order says it does not exist.
async fn assert_nowhere(engine: &Engine, order_id: &str, number: &str) {
    assert_eq!(engine.order(order_id), None, "{order_id}");
    assert_eq!(engine.status(order_id), None, "{order_id}");
    assert_eq!(engine.refunded_minor(order_id), None, "{order_id}");
    assert!(engine.ledger().iter().all(|o| o.order_id != order_id));
    assert!(engine.all_orders().iter().all(|o| o.order_id != order_id));
    assert_eq!(
        engine.refund(order_id, "r1", 100),
        Err(EngineError::NotFound),
        "{order_id}"
    );
    // A repeat while in flight neither charges again nor shows the order.
    assert_eq!(
        engine.authorise(request(order_id, number)).await,
        Err(EngineError::InProgress),
        "{order_id}"
    );
}

#[tokio::test]
async fn a_late_charge_is_nowhere_until_it_is_recorded() {
    let engine = late_engine(FaultPlan::default());
    let cases = [
        ("late-timeout", "4000000000000267", Fault::LateChargeTimeout),
        ("late-500", "4000000000000531", Fault::LateChargeServerError),
    ];
    let sent = Instant::now();
    let mut answers = Vec::new();
    for (order_id, number, fault) in cases {
        let answer = authorise(&engine, order_id, number).await;
        assert_eq!(answer.fault, Some(fault), "{number}");
        assert!(fault.charged() && fault.recorded_late());
        assert_eq!(answer.response.status, OrderStatus::Approved);
        answers.push(answer.response);
    }
    for (order_id, number, _) in cases {
        assert_nowhere(&engine, order_id, number).await;
    }
    assert_eq!(engine.charges(), 0);
    assert!(
        sent.elapsed() < Duration::from_millis(LATE_MS),
        "the checks above ran too late to mean anything"
    );

    tokio::time::sleep(Duration::from_millis(LATE_MS + 50).saturating_sub(sent.elapsed())).await;
    for ((order_id, number, _), answered) in cases.into_iter().zip(answers) {
        let order = engine.status(order_id).expect("recorded by now");
        assert_eq!(order, answered, "the charge the lost answer named");
        assert_eq!(engine.refunded_minor(order_id), Some(0));
        // Now a repeat gets the order, without a fault and without a charge.
        let again = authorise(&engine, order_id, number).await;
        assert_eq!(again.fault, None);
        assert_eq!(again.response, answered);
        // Two status queries (one answered "no such order"); `order` counts none.
        assert_eq!(engine.status_requests(order_id), 2);
    }
    assert_eq!(engine.charges(), 2);
    assert_eq!(engine.ledger().len(), 2);
    assert_eq!(engine.all_orders().len(), 2);
    assert_eq!(engine.status_requests("never-asked"), 0);
}

#[tokio::test]
async fn random_draws_include_the_late_faults() {
    let engine = late_engine(FaultPlan {
        rate: 1.0,
        kinds: vec![FaultKind::LateCharge, FaultKind::InFlightNotFound],
        ..FaultPlan::default()
    });
    let mut faults = Vec::new();
    for i in 0..20 {
        let answer = authorise(&engine, &format!("r{i}"), "4111111111111111").await;
        faults.push(answer.fault);
    }
    assert!(
        faults.contains(&Some(Fault::LateChargeTimeout)),
        "{faults:?}"
    );
    assert!(
        faults.contains(&Some(Fault::LateChargeServerError)),
        "{faults:?}"
    );
    assert!(faults.iter().all(|f| f.is_some_and(Fault::recorded_late)));
    let drawn = engine.drawn_faults();
    let count = |kind| drawn.get(&kind).copied().unwrap_or(0);
    let timeouts = faults
        .iter()
        .filter(|f| **f == Some(Fault::LateChargeTimeout))
        .count();
    assert_eq!(count(FaultKind::LateCharge), timeouts);
    assert_eq!(count(FaultKind::InFlightNotFound), 20 - timeouts);
    assert_eq!(engine.charges(), 0);
    tokio::time::sleep(Duration::from_millis(LATE_MS + 50)).await;
    assert_eq!(engine.charges(), 20);

    // An early-notification draw means nothing to a plain approval.
    engine.set_faults(FaultPlan {
        rate: 1.0,
        kinds: vec![FaultKind::EarlyNotification],
        ..FaultPlan::default()
    });
    let answer = authorise(&engine, "plain", "4111111111111111").await;
    assert_eq!(answer.fault, None);
    assert_eq!(engine.order("plain"), Some(answer.response));
    // Not counted as drawn either: it did nothing.
    assert_eq!(engine.drawn_faults().len(), 2);
}

#[tokio::test]
async fn refunds_fail_as_often_as_the_plan_says_then_go_through() {
    let engine = late_engine(FaultPlan {
        refund_failures: 2,
        ..FaultPlan::default()
    });
    authorise(&engine, "paid", "4111111111111111").await;
    authorise(&engine, "other", "4111111111111111").await;
    for _ in 0..2 {
        assert!(matches!(
            engine.refund("paid", "r1", 220_000),
            Err(EngineError::Unavailable(_))
        ));
        assert_eq!(engine.refunded_minor("paid"), Some(0));
        assert_eq!(
            engine.order("paid").map(|o| o.status),
            Some(OrderStatus::Approved)
        );
    }
    let refunded = engine.refund("paid", "r1", 220_000).expect("third time");
    assert_eq!(
        engine.order("paid").map(|o| o.status),
        Some(OrderStatus::Refunded)
    );
    assert_eq!(engine.refund("paid", "r1", 220_000), Ok(refunded));
    assert_eq!(engine.refund("paid", "r1", 1), Err(EngineError::Conflict));
    assert_eq!(engine.refunded_minor("paid"), Some(220_000));
    let entry = engine.ledger().into_iter().find(|o| o.order_id == "paid");
    assert_eq!(entry.and_then(|o| o.refunded_minor), Some(220_000));
    assert_eq!(engine.refund_requests("paid"), 5);
    // Each order fails its own first calls.
    assert!(matches!(
        engine.refund("other", "r1", 100),
        Err(EngineError::Unavailable(_))
    ));
    assert_eq!(engine.refund_requests("other"), 1);
    // Calls about no order are counted too.
    assert_eq!(engine.refund("nope", "r1", 100), Err(EngineError::NotFound));
    assert_eq!(engine.refund_requests("nope"), 1);
}

/// Authorises `number` (a challenge card) and passes or fails its challenge.
async fn answer(engine: &Engine, order_id: &str, number: &str, pass: bool) -> String {
    let order = authorise(engine, order_id, number).await.response;
    assert_eq!(order.status, OrderStatus::ChallengeRequired);
    let url = order.challenge.expect("challenge").url;
    let token = url.rsplit('/').next().expect("token").to_owned();
    let code = engine.challenge(&token).expect("view").code;
    let action = if pass {
        ChallengeAction::Confirm { code }
    } else {
        ChallengeAction::Cancel
    };
    let view = engine.answer_challenge(&token, action).await.expect("view");
    let expected = if pass {
        ChallengeOutcome::Passed
    } else {
        ChallengeOutcome::Failed
    };
    assert_eq!(view.outcome, Some(expected));
    token
}

#[tokio::test]
async fn an_early_notification_charges_when_the_challenge_is_passed() {
    let engine = engine();
    let token = answer(&engine, "early", "4000000000003238", true).await;
    // Charged before the merchant completes.
    let order = engine.order("early").expect("order");
    assert_eq!(order.status, OrderStatus::Approved);
    assert!(order.reference.is_some());
    assert_eq!(engine.charges(), 1);
    // The merchant's completion answers the order as it stands.
    let done = engine
        .complete_challenge("early", &token)
        .await
        .expect("done");
    assert_eq!(done, order);
    assert_eq!(engine.charges(), 1);

    // A failed challenge is not charged early, nor later.
    let token = answer(&engine, "early-failed", "4000000000003238", false).await;
    assert_eq!(
        engine.order("early-failed").map(|o| o.status),
        Some(OrderStatus::ChallengeRequired)
    );
    let done = engine
        .complete_challenge("early-failed", &token)
        .await
        .expect("done");
    assert_eq!(done.status, OrderStatus::Declined);
    assert_eq!(engine.charges(), 1);
}

#[tokio::test]
async fn random_draws_bring_early_notifications_to_challenges_only() {
    let engine = late_engine(FaultPlan {
        rate: 1.0,
        kinds: vec![FaultKind::EarlyNotification],
        ..FaultPlan::default()
    });
    answer(&engine, "drawn", "4000000000003220", true).await;
    assert_eq!(
        engine.order("drawn").map(|o| o.status),
        Some(OrderStatus::Approved)
    );
    // Any other draw leaves a challenge alone.
    engine.set_faults(FaultPlan {
        rate: 1.0,
        kinds: vec![FaultKind::LateCharge],
        ..FaultPlan::default()
    });
    answer(&engine, "not-drawn", "4000000000003220", true).await;
    assert_eq!(
        engine.order("not-drawn").map(|o| o.status),
        Some(OrderStatus::ChallengeRequired)
    );
    assert_eq!(engine.charges(), 1);
    let drawn = engine.drawn_faults();
    assert_eq!(drawn.get(&FaultKind::EarlyNotification), Some(&1));
    assert_eq!(drawn.get(&FaultKind::LateCharge), None, "{drawn:?}");
}
