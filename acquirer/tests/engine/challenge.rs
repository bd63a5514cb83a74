//! The 3-D Secure challenge state: the cardholder's answer, the merchant's
//! completion, and what charges.

use super::common::RETURN_URL;
use super::{ACS, authorise, engine};
use acquirer::engine::{ChallengeAction, ChallengeOutcome, EngineError};
use acquirer::protocol::{DeclineCode, OrderStatus, ThreeDsMode};
use std::time::Duration;

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
        .await
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
        let view = engine.answer_challenge(token, action).await.expect("known");
        assert_eq!(view.outcome, Some(ChallengeOutcome::Failed));
        // One attempt: the right code afterwards changes nothing.
        let retry = engine
            .answer_challenge(token, ChallengeAction::Confirm { code: view.code })
            .await
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
            .await
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
    assert!(engine.refund("abandoned", "r1", 1).is_err());
}
