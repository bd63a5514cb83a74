//! Refunds a person asks for in the back office, on SQLite and PostgreSQL:
//! finance returns part of a payment through the form (and is told plainly
//! what was wrong with a bad one), support is shown no form and refused;
//! the citizen's receipt shows the refund and the agency gets its signed
//! event; refunds asked at once never return more than was paid; and the
//! sandbox's refund cards (declined, answer lost) end definite.

use crate::helpers::{TestApp, call_pay, is_paid, new_key, pay_body};
use crate::receiver::{Receiver, agency, spawn};
use crate::staff::account;
use domain::staff::Role;
use domain::{Money, PaymentId, PaymentState, RefundState};
use server::payments::AskRefundError;
use server::storage::{AuditEntry, RefundRecord};
use std::time::Duration;

const REFUSED_CARD: &str = "4000 0000 0000 0606";
const SLOW_REFUND_CARD: &str = "4000 0000 0000 0614";

/// Pays `code` with `card`; the payment's id.
async fn paid(app: &TestApp, code: &str, card: &str) -> PaymentId {
    assert!(is_paid(
        &call_pay(app, &pay_body(code, &new_key(), card)).await
    ));
    let code = domain::PaymentCode::parse(code).unwrap();
    app.payments
        .store
        .payments_in_state(PaymentState::Succeeded)
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.code == code)
        .unwrap()
        .id
}

/// The payment's refunds once every one is final (at most 20 s).
async fn settled_refunds(app: &TestApp, id: &PaymentId) -> Vec<RefundRecord> {
    for _ in 0..200 {
        let refunds = app.payments.store.refunds_of(id).await.unwrap();
        if !refunds.is_empty() && refunds.iter().all(|r| r.state.is_final()) {
            return refunds;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the refunds did not end");
}

fn asked_by(email: &str) -> AuditEntry {
    AuditEntry {
        at: chrono::Utc::now(),
        actor_email: Some(email.into()),
        action: "refund_asked".into(),
        ..AuditEntry::default()
    }
}

async fn finance_refunds_part_and_everyone_sees_it(postgres: bool) {
    let app = spawn(postgres).await;
    let receiver = Receiver::start().await;
    let office = agency(&app, Some(&receiver.url)).await;
    let code = app.issue(&office, "REFUND-1").await;
    let id = paid(&app, &code, "4111 1111 1111 1111").await;
    let page = format!("/admin/payments/{id}");
    let action = format!("/admin/payments/{id}/refunds");

    let support = account(&app, "support@infocom.kg", Role::Support).await;
    support.sign_in().await;
    let (status, body, _) = support.get(&page).await;
    assert_eq!(status, 200);
    assert!(!body.contains(&action), "no refund form for support");
    let fields = [("amount", "500"), ("note", "Оплатил дважды")];
    let (status, _, _) = support.post(&page, &action, &fields).await;
    assert_eq!(status, 403, "support may not refund");

    let finance = account(&app, "finance@infocom.kg", Role::Finance).await;
    finance.sign_in().await;
    let (status, body, _) = finance.get(&page).await;
    assert_eq!(status, 200);
    assert!(
        body.contains(&format!(r#"action="{action}""#)),
        "{body:.2000}"
    );
    // Bad forms come back as typed, with what was wrong.
    let (status, body, _) = finance
        .post(&page, &action, &[("amount", "2000"), ("note", "Дважды")])
        .await;
    assert_eq!(status, 422, "more than was paid");
    assert!(body.contains(r#"value="2000""#) && body.contains("Дважды"));
    assert!(body.contains(r#"aria-invalid="true""#));
    let (status, body, _) = finance
        .post(&page, &action, &[("amount", "abc"), ("note", "")])
        .await;
    assert_eq!(status, 422);
    assert_eq!(body.matches(r#"aria-invalid="true""#).count(), 2, "both");
    let (status, body, _) = finance
        .post(
            &page,
            &action,
            &[("amount", "4111111111111111"), ("note", "Дважды")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        !body.contains("4111111111111111"),
        "a card number is not kept"
    );
    assert!(app.payments.store.refunds_of(&id).await.unwrap().is_empty());

    let (status, _, location) = finance
        .post(
            &page,
            &action,
            &[("amount", "500,50"), ("note", "Оплатил дважды")],
        )
        .await;
    assert_eq!((status, location.as_deref()), (303, Some(&*page)));
    let refunds = settled_refunds(&app, &id).await;
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].state, RefundState::Refunded);
    assert_eq!(refunds[0].amount.tyiyn(), 50_050);
    assert_eq!(refunds[0].asked_by.as_deref(), Some("finance@infocom.kg"));
    assert_eq!(app.engine().refunded_minor(id.as_str()), Some(50_050));
    let left = app.payments.refundable(&id).await.unwrap();
    assert_eq!(left.tyiyn(), 150_000 - 50_050);

    // The citizen's receipt shows it; the payment's page too.
    let (status, receipt) = app.get_html(&app::paths::receipt(&id)).await;
    assert_eq!(status, 200);
    assert!(receipt.contains("Возвращено на вашу карту"), "{receipt}");
    let (_, body, _) = finance.get(&page).await;
    assert!(body.contains("finance@infocom.kg: Оплатил дважды"));
    // Audited.
    let entries = app
        .payments
        .store
        .audit_entries(&server::storage::AuditFilter {
            action: Some("refund_asked".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.action == "refund_asked"
        && e.actor_email.as_deref() == Some("finance@infocom.kg")
        && e.after.as_deref().is_some_and(|a| a.contains("50050"))));
    // The agency is told, signed like every event.
    assert!(
        receiver
            .wait_for(Duration::from_secs(10), |_| !receiver
                .delivered("refund.succeeded")
                .is_empty())
            .await
    );
    let event = &receiver.delivered("refund.succeeded")[0];
    assert_eq!(event.json["data"]["refund"]["amount"], 50_050);
    assert!(!event.signature.is_empty());
    app.assert_no_card_data_stored().await;
}

#[tokio::test]
async fn finance_refunds_part_and_everyone_sees_it_on_sqlite() {
    finance_refunds_part_and_everyone_sees_it(false).await;
}

#[tokio::test]
async fn finance_refunds_part_and_everyone_sees_it_on_postgres() {
    finance_refunds_part_and_everyone_sees_it(true).await;
}

async fn refunds_at_once_never_return_more_than_was_paid(postgres: bool) {
    let app = spawn(postgres).await;
    let code = crate::helpers::payable_codes(app.payments.store.as_ref(), 7300, 1).await;
    let id = paid(&app, &code[0], "4111 1111 1111 1111").await;
    // Sixteen people ask for a quarter each, all at once: four fit.
    let quarter = Money::from_tyiyn(150_000 / 4).unwrap();
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(16));
    let asks: Vec<_> = (0..16)
        .map(|n| {
            let payments = app.payments.clone();
            let barrier = barrier.clone();
            let id = id.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let who = asked_by(&format!("finance{n}@infocom.kg"));
                payments.ask_refund(&id, quarter, "twice", who).await
            })
        })
        .collect();
    let mut recorded = 0;
    for ask in asks {
        match ask.await.unwrap() {
            Ok(_) => recorded += 1,
            Err(AskRefundError::TooMuch { refundable }) => {
                assert!(refundable < quarter, "{refundable:?}");
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(recorded, 4);
    let refunds = settled_refunds(&app, &id).await;
    let total: i64 = refunds.iter().map(|r| r.amount.tyiyn()).sum();
    assert_eq!(total, 150_000);
    assert!(refunds.iter().all(|r| r.state == RefundState::Refunded));
    assert_eq!(app.engine().refunded_minor(id.as_str()), Some(150_000));
    assert_eq!(app.payments.refundable(&id).await.unwrap(), Money::ZERO);
    let more = app
        .payments
        .ask_refund(&id, Money::from_tyiyn(1).unwrap(), "x", asked_by("a@b.kg"));
    assert!(matches!(more.await, Err(AskRefundError::TooMuch { .. })));
}

#[tokio::test]
async fn refunds_at_once_never_return_more_than_was_paid_on_sqlite() {
    refunds_at_once_never_return_more_than_was_paid(false).await;
}

#[tokio::test]
async fn refunds_at_once_never_return_more_than_was_paid_on_postgres() {
    refunds_at_once_never_return_more_than_was_paid(true).await;
}

async fn declined_and_lost_refunds_end_definite(postgres: bool) {
    let app = spawn(postgres).await;
    let codes = crate::helpers::payable_codes(app.payments.store.as_ref(), 7400, 2).await;
    let refused = paid(&app, &codes[0], REFUSED_CARD).await;
    let slow = paid(&app, &codes[1], SLOW_REFUND_CARD).await;
    let all = Money::from_tyiyn(150_000).unwrap();
    for id in [&refused, &slow] {
        app.payments
            .ask_refund(id, all, "twice", asked_by("finance@infocom.kg"))
            .await
            .unwrap();
    }
    // Declined for good: failed, and the amount is refundable again.
    let refunds = settled_refunds(&app, &refused).await;
    assert_eq!(refunds[0].state, RefundState::Failed);
    assert_eq!(app.payments.refundable(&refused).await.unwrap(), all);
    assert_eq!(app.engine().refunded_minor(refused.as_str()), Some(0));
    // Made, answer lost: unknown, then the acquirer's status settles it.
    let refunds = settled_refunds(&app, &slow).await;
    assert_eq!(refunds[0].state, RefundState::Refunded);
    let events = app.payments.store.refund_events(&slow).await.unwrap();
    assert!(
        events.iter().any(|e| e.to == RefundState::Unknown),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.reason.starts_with("reconciled")),
        "{events:?}"
    );
    assert_eq!(app.engine().refunded_minor(slow.as_str()), Some(150_000));
    let (_, receipt) = app.get_html(&app::paths::receipt(&refused)).await;
    assert!(receipt.contains("Не возвращено"), "the citizen is told");
}

#[tokio::test]
async fn declined_and_lost_refunds_end_definite_on_sqlite() {
    declined_and_lost_refunds_end_definite(false).await;
}

#[tokio::test]
async fn declined_and_lost_refunds_end_definite_on_postgres() {
    declined_and_lost_refunds_end_definite(true).await;
}
