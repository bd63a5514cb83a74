//! The transport faults: charged once whatever the transport does, drawn
//! reproducibly at random, and the added latency.

use super::{ACS, authorise, engine};
use acquirer::engine::{Engine, EngineConfig, Fault, FaultKind, FaultPlan};
use acquirer::protocol::OrderStatus;
use std::time::{Duration, Instant};

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
