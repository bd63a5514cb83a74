//! Answers that never came: the payment waits as `unknown` and ends on the
//! receipt or a clear failure once the acquirer is asked.

use crate::helpers::*;
use domain::PaymentState;

/// Card 0523: the sandbox answers 500 before it charges anything.
const ERROR_BEFORE_CHARGE_CARD: &str = "4000 0000 0000 0523";

#[tokio::test]
async fn a_timed_out_charge_waits_on_a_refreshing_page_then_shows_the_receipt() {
    let app = TestApp::spawn().await;
    let response = app
        .post_card_form("16202600000004", &card_fields(TIMEOUT_CARD, CVV))
        .await;
    assert_eq!(response.status(), 303);
    let status_page = location(&response);
    assert!(status_page.starts_with("/payment/"));

    let (status, html) = app.get_html(&status_page).await;
    assert_eq!(status, 200);
    assert!(html.contains("Подтверждаем ваш платёж"), "{html}");
    assert!(
        html.contains(r#"http-equiv="refresh""#),
        "refreshes without JavaScript"
    );
    assert!(html.contains("не платите повторно"));

    // The code stays held meanwhile: a second attempt is not possible.
    let second = app
        .post_card_form_with_key(
            "16202600000004",
            &new_key(),
            &card_fields(APPROVED_CARD, CVV),
        )
        .await;
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("уже выполняется"));

    let mut receipt = None;
    for _ in 0..60 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let response = app.get(&status_page).await;
        if response.status() == 303 {
            receipt = Some(location(&response));
            break;
        }
    }
    let receipt = receipt.expect("the status page ends on the receipt");
    assert!(receipt.starts_with("/receipt/"));
    assert_eq!(app.engine().charges(), 1);
}

#[tokio::test]
async fn the_worker_settles_an_unknown_payment_that_nobody_watches() {
    let app = TestApp::spawn_postgres().await;
    let response = app
        .post_card_form(
            "16202600000005",
            &card_fields(ERROR_BEFORE_CHARGE_CARD, CVV),
        )
        .await;
    let id = domain::PaymentId::parse(location(&response).trim_start_matches("/payment/"))
        .expect("the payment's page");
    assert_eq!(
        app.payments
            .store
            .payment(&id)
            .await
            .unwrap()
            .unwrap()
            .state,
        PaymentState::Unknown
    );
    let mut state = PaymentState::Unknown;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        state = app
            .payments
            .store
            .payment(&id)
            .await
            .unwrap()
            .unwrap()
            .state;
        if state.is_final() {
            break;
        }
    }
    assert_eq!(
        state,
        PaymentState::Failed,
        "the acquirer had no such order"
    );
    assert_eq!(app.engine().charges(), 0);
    let (_, html) = app.get_html(&format!("/payment/{id}")).await;
    assert!(html.contains("Деньги не списаны"));
    let events = app.payments.store.events(&id).await.unwrap();
    let path: Vec<_> = events.iter().map(|e| e.to.as_str()).collect();
    assert_eq!(path, ["created", "authorising", "unknown", "failed"]);
}
