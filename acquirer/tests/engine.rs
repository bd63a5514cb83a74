//! The sandbox engine without a transport: outcomes, idempotency, the
//! challenge state, refunds, faults and what the ledger keeps.

mod common;

use acquirer::engine::{
    Answer, CardBehaviour, ChallengeAction, ChallengeOutcome, Engine, EngineConfig, EngineError,
    Fault, FaultKind, FaultPlan, TEST_CARDS, card_behaviour,
};
use acquirer::protocol::{DeclineCode, OrderStatus, ThreeDsMode};
use common::{RETURN_URL, request};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ACS: &str = "http://acs.test/acs";

fn engine() -> Arc<Engine> {
    Engine::new(EngineConfig::new(ACS))
}

async fn authorise(engine: &Engine, order_id: &str, number: &str) -> Answer {
    engine
        .authorise(request(order_id, number))
        .await
        .expect("authorised")
}

#[tokio::test]
async fn approved_cards_are_charged() {
    let engine = engine();
    for (i, number) in ["4111111111111111", "5555555555554444", "4012888888881881"]
        .iter()
        .enumerate()
    {
        let answer = authorise(&engine, &format!("order-{i}"), number).await;
        assert_eq!(answer.fault, None);
        let order = answer.response;
        assert_eq!(order.status, OrderStatus::Approved);
        assert_eq!(order.amount_minor, 220_000);
        assert_eq!(order.three_ds, None);
        assert_eq!(order.decline_code, None);
        assert!(
            order
                .reference
                .as_deref()
                .is_some_and(|r| r.starts_with("SBX"))
        );
        assert_eq!(engine.order(&order.order_id), Some(order));
    }
    assert_eq!(engine.charges(), 3);
    let ledger = engine.ledger();
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger[0].card_first6, "411111");
    assert_eq!(ledger[0].card_last4, "1111");
    assert_eq!(ledger[0].card_brand, "visa");
    assert_eq!(ledger[1].card_brand, "mastercard");
}

#[tokio::test]
async fn declined_cards_are_not_charged() {
    let engine = engine();
    let cases = [
        ("4000000000009995", DeclineCode::InsufficientFunds),
        ("4000000000000002", DeclineCode::DoNotHonour),
        ("4000000000000069", DeclineCode::ExpiredCard),
        ("4000000000000127", DeclineCode::CvvMismatch),
    ];
    for (number, code) in cases {
        let answer = authorise(&engine, number, number).await;
        assert_eq!(answer.fault, None);
        assert_eq!(answer.response.status, OrderStatus::Declined, "{number}");
        assert_eq!(answer.response.decline_code, Some(code), "{number}");
        assert!(answer.response.reference.is_some());
        assert_eq!(card_behaviour(number), CardBehaviour::Decline(code));
    }
    assert_eq!(engine.charges(), 0);
    assert!(engine.ledger().is_empty());
    assert_eq!(engine.all_orders().len(), 4);
}

#[tokio::test]
async fn a_past_expiry_declines_any_card() {
    let engine = engine();
    let mut expired = request("old-card", "4111111111111111");
    expired.card.exp_year = 2020;
    let order = engine.authorise(expired).await.expect("decided").response;
    assert_eq!(order.status, OrderStatus::Declined);
    assert_eq!(order.decline_code, Some(DeclineCode::ExpiredCard));
    assert_eq!(engine.charges(), 0);
}

#[tokio::test]
async fn the_refusing_card_leaves_nothing() {
    let engine = engine();
    let error = engine
        .authorise(request("refused", "4000000000000119"))
        .await
        .expect_err("refused");
    assert!(matches!(error, EngineError::Unavailable(_)));
    assert!(!error.to_string().contains("4000000000000119"));
    assert_eq!(engine.order("refused"), None);
    assert_eq!(engine.charges(), 0);
    assert_eq!(engine.authorise_requests(), 1);
}

#[tokio::test]
async fn frictionless_three_ds_is_approved() {
    let engine = engine();
    let order = authorise(&engine, "fr", "4000000000003055").await.response;
    assert_eq!(order.status, OrderStatus::Approved);
    assert_eq!(order.three_ds, Some(ThreeDsMode::Frictionless));
    assert_eq!(order.challenge, None);
    assert_eq!(engine.ledger()[0].three_ds, Some(ThreeDsMode::Frictionless));
}

#[tokio::test]
async fn faults_after_the_charge_charge_once_and_repeat_cleanly() {
    let engine = engine();
    let cases = [
        ("4000000000000259", Fault::TimeoutAfterCharge),
        ("4000000000000507", Fault::ServerErrorAfterCharge),
        ("4000000000000515", Fault::DropAfterCharge),
    ];
    for (i, (number, fault)) in cases.into_iter().enumerate() {
        let first = authorise(&engine, number, number).await;
        assert_eq!(first.fault, Some(fault), "{number}");
        assert_eq!(first.response.status, OrderStatus::Approved);
        assert_eq!(engine.charges(), i + 1);
        // The merchant does not know whether it was charged and asks again:
        // the stored answer, without the fault, and no second charge.
        let again = authorise(&engine, number, number).await;
        assert_eq!(again.fault, None);
        assert_eq!(again.response, first.response);
        assert_eq!(engine.charges(), i + 1);
    }
}

#[tokio::test]
async fn a_server_error_before_the_charge_keeps_no_order() {
    let engine = engine();
    for _ in 0..2 {
        let answer = authorise(&engine, "before", "4000000000000523").await;
        assert_eq!(answer.fault, Some(Fault::ServerErrorBeforeCharge));
        assert_eq!(answer.response.reference, None);
        assert_eq!(engine.order("before"), None);
    }
    assert!(engine.all_orders().is_empty());
    assert_eq!(engine.charges(), 0);
    assert_eq!(engine.authorise_requests(), 2);
}

#[tokio::test]
async fn authorise_is_idempotent_on_the_order_id() {
    let engine = engine();
    let first = authorise(&engine, "same", "4111111111111111")
        .await
        .response;
    let second = authorise(&engine, "same", "4111111111111111")
        .await
        .response;
    assert_eq!(first, second);
    assert_eq!(engine.charges(), 1);
    assert_eq!(engine.ledger().len(), 1);
    assert_eq!(engine.authorise_requests(), 2);

    let mut other_amount = request("same", "4111111111111111");
    other_amount.amount_minor += 1;
    assert_eq!(
        engine.authorise(other_amount).await,
        Err(EngineError::Conflict)
    );
    assert_eq!(
        engine.authorise(request("same", "5555555555554444")).await,
        Err(EngineError::Conflict)
    );
    // Another CVV or holder is the same card: still the first answer.
    let mut other_cvv = request("same", "4111111111111111");
    other_cvv.card.cvv = "000".to_owned();
    assert_eq!(
        engine.authorise(other_cvv).await.map(|a| a.response),
        Ok(first)
    );
    assert_eq!(engine.charges(), 1);
    assert_eq!(engine.authorise_requests(), 5);
}

#[tokio::test]
async fn concurrent_repeats_charge_once() {
    let engine = engine();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let engine = Arc::clone(&engine);
            tokio::spawn(async move { authorise(&engine, "race", "4111111111111111").await })
        })
        .collect();
    let mut references = Vec::new();
    for task in tasks {
        references.push(task.await.expect("task").response.reference);
    }
    references.dedup();
    assert_eq!(references.len(), 1);
    assert_eq!(engine.charges(), 1);
}

#[tokio::test]
async fn invalid_requests_are_refused_without_echoing_the_card() {
    let engine = engine();
    let mut cases = Vec::new();
    cases.push(request("bad-luhn", "4111111111111112"));
    let mut r = request("zero", "4111111111111111");
    r.amount_minor = 0;
    cases.push(r);
    let mut r = request("negative", "4111111111111111");
    r.amount_minor = -5;
    cases.push(r);
    let mut r = request("usd", "4111111111111111");
    r.currency = "USD".to_owned();
    cases.push(r);
    cases.push(request("bad id!", "4111111111111111"));
    cases.push(request("..", "4111111111111111"));
    cases.push(request("letters", "4111x11111111111"));
    let mut r = request("month", "4111111111111111");
    r.card.exp_month = 13;
    cases.push(r);
    let mut r = request("cvv", "4111111111111111");
    r.card.cvv = "12".to_owned();
    cases.push(r);
    let mut r = request("return", "4111111111111111");
    r.return_url = "javascript:alert(1)".to_owned();
    cases.push(r);
    let count = cases.len();
    for case in cases {
        let number = case.card.number.clone();
        let order_id = case.order_id.clone();
        match engine.authorise(case).await {
            Err(EngineError::Invalid(message)) => {
                assert!(!message.contains(&number), "{message}");
                assert!(!message.contains("739"), "{message}");
            }
            other => panic!("{order_id}: expected Invalid, got {other:?}"),
        }
    }
    assert!(engine.all_orders().is_empty());
    assert_eq!(engine.authorise_requests(), count);
}

#[tokio::test]
async fn a_passed_challenge_charges_only_when_completed() {
    let engine = engine();
    let order = authorise(&engine, "3ds", "4000000000003220").await.response;
    assert_eq!(order.status, OrderStatus::ChallengeRequired);
    assert_eq!(order.three_ds, Some(ThreeDsMode::Challenge));
    assert_eq!(order.reference, None);
    let url = order.challenge.expect("challenge").url;
    let token = url
        .strip_prefix(&format!("{ACS}/"))
        .expect("under the ACS base");
    assert_eq!(engine.charges(), 0);

    // Not answered yet.
    assert_eq!(
        engine.complete_challenge("3ds", token).await,
        Err(EngineError::NotReady)
    );
    let view = engine.challenge(token).expect("known token");
    assert_eq!(view.order_id, "3ds");
    assert_eq!(view.masked_card, "400000******3220");
    assert_eq!(view.code.len(), 6);
    assert_eq!(view.return_url, RETURN_URL);
    assert_eq!(view.outcome, None);

    let answered = engine
        .answer_challenge(
            token,
            ChallengeAction::Confirm {
                code: view.code.clone(),
            },
        )
        .expect("known token");
    assert_eq!(answered.outcome, Some(ChallengeOutcome::Passed));
    // Passing the challenge does not charge.
    assert_eq!(engine.charges(), 0);
    assert_eq!(
        engine.order("3ds").map(|o| o.status),
        Some(OrderStatus::ChallengeRequired)
    );

    assert!(matches!(
        engine.complete_challenge("3ds", "not-the-token").await,
        Err(EngineError::Invalid(_))
    ));
    assert_eq!(
        engine.complete_challenge("nope", token).await,
        Err(EngineError::NotFound)
    );
    let done = engine.complete_challenge("3ds", token).await.expect("done");
    assert_eq!(done.status, OrderStatus::Approved);
    assert_eq!(done.challenge, None);
    assert!(done.reference.is_some());
    assert_eq!(engine.charges(), 1);
    let again = engine
        .complete_challenge("3ds", token)
        .await
        .expect("again");
    assert_eq!(again, done);
    assert_eq!(engine.charges(), 1);
    // A repeated authorisation answers with the order as it stands.
    assert_eq!(
        authorise(&engine, "3ds", "4000000000003220").await.response,
        done
    );
    assert_eq!(engine.charges(), 1);
}

#[tokio::test]
async fn a_wrong_code_or_cancel_fails_the_challenge() {
    let engine = engine();
    for (order_id, action) in [
        (
            "wrong",
            ChallengeAction::Confirm {
                code: "not-it".to_owned(),
            },
        ),
        ("cancel", ChallengeAction::Cancel),
    ] {
        let order = authorise(&engine, order_id, "4000000000003220")
            .await
            .response;
        let url = order.challenge.expect("challenge").url;
        let token = url.rsplit('/').next().expect("token");
        let view = engine.answer_challenge(token, action).expect("known");
        assert_eq!(view.outcome, Some(ChallengeOutcome::Failed));
        // One attempt: the right code afterwards changes nothing.
        let retry = engine
            .answer_challenge(token, ChallengeAction::Confirm { code: view.code })
            .expect("known");
        assert_eq!(retry.outcome, Some(ChallengeOutcome::Failed));
        let done = engine
            .complete_challenge(order_id, token)
            .await
            .expect("done");
        assert_eq!(done.status, OrderStatus::Declined);
        assert_eq!(done.decline_code, Some(DeclineCode::ThreeDsFailed));
    }
    assert_eq!(engine.charges(), 0);
    assert!(
        engine
            .answer_challenge("unknown", ChallengeAction::Cancel)
            .is_none()
    );
}

#[tokio::test]
async fn an_abandoned_challenge_never_charges() {
    let engine = engine();
    authorise(&engine, "abandoned", "4000000000003220").await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        engine.order("abandoned").map(|o| o.status),
        Some(OrderStatus::ChallengeRequired)
    );
    assert!(engine.ledger().is_empty());
    assert_eq!(engine.charges(), 0);
    assert!(engine.refund("abandoned", 1).is_err());
}

#[tokio::test]
async fn refunds() {
    let engine = engine();
    authorise(&engine, "paid", "4111111111111111").await;
    authorise(&engine, "declined", "4000000000000002").await;
    let refunded = engine.refund("paid", 220_000).expect("refunded");
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(engine.refund("paid", 220_000), Ok(refunded.clone()));
    assert_eq!(engine.refund("paid", 100), Err(EngineError::Conflict));
    assert_eq!(engine.refund("declined", 100), Err(EngineError::Conflict));
    assert_eq!(engine.refund("nope", 100), Err(EngineError::NotFound));
    assert!(matches!(
        engine.refund("paid", 220_001),
        Err(EngineError::Invalid(_))
    ));
    // A refunded order was still a charge.
    let ledger = engine.ledger();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].status, OrderStatus::Refunded);
    assert_eq!(engine.order("paid"), Some(refunded));
}

async fn fault_sequence(seed: u64) -> Vec<Option<Fault>> {
    let engine = Engine::new(EngineConfig {
        seed: Some(seed),
        faults: FaultPlan {
            rate: 0.5,
            ..FaultPlan::default()
        },
        ..EngineConfig::new(ACS)
    });
    let mut faults = Vec::new();
    for i in 0..40 {
        let answer = authorise(&engine, &format!("o{i}"), "4111111111111111").await;
        if answer.fault == Some(Fault::ServerErrorBeforeCharge) {
            assert_eq!(engine.order(&format!("o{i}")), None);
        } else {
            assert!(engine.order(&format!("o{i}")).is_some());
        }
        faults.push(answer.fault);
    }
    let failed_before = faults
        .iter()
        .filter(|f| **f == Some(Fault::ServerErrorBeforeCharge))
        .count();
    assert_eq!(engine.charges(), 40 - failed_before);
    faults
}

#[tokio::test]
async fn random_faults_are_reproducible_with_a_seed() {
    let first = fault_sequence(42).await;
    assert_eq!(first, fault_sequence(42).await);
    assert_ne!(first, fault_sequence(43).await);
    let faulted = first.iter().filter(|f| f.is_some()).count();
    assert!((8..=32).contains(&faulted), "{faulted} of 40");
    for fault in [
        Fault::TimeoutAfterCharge,
        Fault::ServerErrorAfterCharge,
        Fault::DropAfterCharge,
        Fault::ServerErrorBeforeCharge,
    ] {
        assert!(first.contains(&Some(fault)), "{fault:?} never drawn");
    }
}

#[tokio::test]
async fn random_faults_spare_declines_and_three_ds() {
    let engine = Engine::new(EngineConfig {
        faults: FaultPlan {
            rate: 1.0,
            kinds: vec![FaultKind::Drop],
            ..FaultPlan::default()
        },
        ..EngineConfig::new(ACS)
    });
    for number in ["4000000000000002", "4000000000003055", "4000000000003220"] {
        assert_eq!(
            authorise(&engine, number, number).await.fault,
            None,
            "{number}"
        );
    }
    assert_eq!(
        authorise(&engine, "plain", "4111111111111111").await.fault,
        Some(Fault::DropAfterCharge)
    );
    engine.set_faults(FaultPlan::default());
    assert_eq!(
        authorise(&engine, "plain2", "4111111111111111").await.fault,
        None
    );
}

#[tokio::test]
async fn latency_delays_the_answer() {
    let engine = engine();
    engine.set_faults(FaultPlan {
        latency_ms: 200,
        ..FaultPlan::default()
    });
    let started = Instant::now();
    authorise(&engine, "slow", "4111111111111111").await;
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn the_ledger_never_holds_a_card_number_or_cvv() {
    let engine = engine();
    for (i, (number, _)) in TEST_CARDS.iter().enumerate() {
        let _ = engine
            .authorise(request(&format!("card-{i}"), number))
            .await;
    }
    // Complete the challenge too, so every kind of order is in the ledger.
    let challenged = engine
        .all_orders()
        .into_iter()
        .find(|o| o.status == OrderStatus::ChallengeRequired)
        .expect("a challenge order");
    let url = engine
        .order(&challenged.order_id)
        .and_then(|o| o.challenge)
        .expect("challenge")
        .url;
    let token = url.rsplit('/').next().expect("token");
    let code = engine.challenge(token).expect("view").code;
    engine.answer_challenge(token, ChallengeAction::Confirm { code });
    engine
        .complete_challenge(&challenged.order_id, token)
        .await
        .expect("completed");

    let json = serde_json::to_string(&(engine.ledger(), engine.all_orders())).expect("json");
    assert!(!engine.ledger().is_empty());
    for (number, _) in TEST_CARDS {
        assert!(!json.contains(number), "{number} in the ledger");
    }
    assert!(!json.contains("cvv"));
    assert!(!json.contains("739"));
    assert!(!json.contains("ASANOVA"));
    let debug = format!("{engine:?}");
    assert!(!debug.contains("4111111111111111"));
}
