//! A citizen who double-clicks, reloads or goes back is charged once.

use crate::helpers::*;
use futures_util::future::join_all;

async fn fifty_identical_submits_reach_the_acquirer_once(app: TestApp) {
    let rounds = 20;
    let codes = payable_codes(app.payments.store.as_ref(), 1, rounds).await;
    for (round, code) in codes.iter().enumerate() {
        let body = pay_body(code, &new_key(), APPROVED_CARD);
        let submits = (0..50).map(|_| {
            let body = body.clone();
            let app = &app;
            async move { call_pay(app, &body).await }
        });
        let answers = join_all(submits).await;
        let first = &answers[0];
        assert_eq!(first.0, 200, "{}", first.1);
        assert!(is_paid(first), "{}", first.1);
        for answer in &answers {
            assert_eq!(
                answer, first,
                "every submit gets the first outcome: {answers:?}"
            );
        }
        assert_eq!(app.calls(), round + 1, "one authorisation per round");
        assert_eq!(app.engine().charges(), round + 1, "one charge per round");
    }
}

#[tokio::test]
async fn fifty_identical_submits_reach_the_acquirer_once_on_sqlite() {
    fifty_identical_submits_reach_the_acquirer_once(TestApp::spawn().await).await;
}

#[tokio::test]
async fn fifty_identical_submits_reach_the_acquirer_once_on_postgres() {
    fifty_identical_submits_reach_the_acquirer_once(TestApp::spawn_postgres().await).await;
}

async fn racing_keys_pay_a_code_once(app: TestApp) {
    let codes = payable_codes(app.payments.store.as_ref(), 100, 10).await;
    for code in &codes {
        let submits = (0..20).map(|_| {
            let body = pay_body(code, &new_key(), APPROVED_CARD);
            let app = &app;
            async move { call_pay(app, &body).await }
        });
        let answers = join_all(submits).await;
        let paid = answers.iter().filter(|answer| is_paid(answer)).count();
        assert_eq!(
            paid, 1,
            "exactly one of twenty different keys pays: {answers:?}"
        );
        for (status, body) in &answers {
            match pay_outcome(*status, body) {
                Ok(app::api::PayResult::Paid { .. }) => {}
                Err(app::api::PayError::NotPayable { reason_key }) => assert!(
                    reason_key == "pay_in_progress" || reason_key == "lookup_paid",
                    "{status} {body}"
                ),
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(app.engine().charges(), codes.len());
}

#[tokio::test]
async fn racing_keys_pay_a_code_once_on_sqlite() {
    racing_keys_pay_a_code_once(TestApp::spawn().await).await;
}

#[tokio::test]
async fn racing_keys_pay_a_code_once_on_postgres() {
    racing_keys_pay_a_code_once(TestApp::spawn_postgres().await).await;
}

#[tokio::test]
async fn a_reloaded_no_js_post_lands_on_the_same_receipt_without_a_second_charge() {
    let app = TestApp::spawn().await;
    let key = app.form_key("11202600000006").await;
    let fields = card_fields(APPROVED_CARD, CVV);
    let first = app
        .post_card_form_with_key("11202600000006", &key, &fields)
        .await;
    assert_eq!(first.status(), 303);
    let again = app
        .post_card_form_with_key("11202600000006", &key, &fields)
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(location(&first), location(&again));
    assert_eq!(app.calls(), 1);

    // The back button re-renders the pay page: the code is paid now.
    let (_, html) = app.get_html("/pay/11202600000006").await;
    assert!(html.contains("уже оплачен"));
    assert!(!html.contains("idempotency_key"));
}

#[tokio::test]
async fn the_same_key_with_other_card_details_is_refused() {
    let app = TestApp::spawn().await;
    let key = app.form_key("11202600000007").await;
    let declined = app
        .post_card_form_with_key("11202600000007", &key, &card_fields(DECLINED_CARD, CVV))
        .await;
    assert_eq!(declined.status(), 402);
    let page = declined.text().await.unwrap();
    let next_key = form_key_in(&page).expect("the form again");
    assert_ne!(next_key, key, "a declined attempt gives the form a new key");

    let other_card = app
        .post_card_form_with_key("11202600000007", &key, &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(other_card.status(), 409);
    let html = other_card.text().await.unwrap();
    assert!(
        html.contains("уже была отправлена с другими данными"),
        "{html}"
    );
    assert_eq!(
        app.calls(),
        1,
        "the refused submit never reached the acquirer"
    );

    let retry = app
        .post_card_form_with_key(
            "11202600000007",
            &next_key,
            &card_fields(APPROVED_CARD, CVV),
        )
        .await;
    assert_eq!(retry.status(), 303);
    assert_eq!(app.calls(), 2);
}

#[tokio::test]
async fn a_form_without_a_key_is_sent_back_with_one() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/pay/11202600000008"))
        .form(&card_fields(APPROVED_CARD, CVV))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(form_key_in(&html).is_some_and(|k| k.len() == 32));
    assert!(html.contains(r#"value="aibek asanov""#), "typed name kept");
    assert!(
        html.contains("(Visa •••• 1111)"),
        "the number named, not sent back"
    );
    assert_eq!(app.calls(), 0);
}
