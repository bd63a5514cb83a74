//! The acquirer slow or late, as real ones are: charges recorded after the
//! client gave up, "no such order" while an order is still in flight,
//! notifications that overtake the browser's return from a challenge, a
//! charge on a payment we had closed and refunds that fail before they
//! succeed. Afterwards, per order: what the acquirer kept (charges minus
//! refunds) is what our ledger says the citizen owes, and nothing is left
//! open.

use crate::gateway::{assert_one_success_per_code, bind_acquirer, settled};
use crate::helpers::*;
use acquirer::engine::{Engine, FaultKind, FaultPlan};
use domain::{PaymentId, PaymentState, RefundState};
use futures_util::StreamExt;
use server::storage::PaymentStore;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// A card whose challenge, once passed, is approved and notified before
/// the issuer's page sends the browser back.
const EARLY_NOTIFICATION_CARD: &str = "4000 0000 0000 3238";

/// Ten percent of plain approvals hit a fault drawn from every kind, old
/// and new; every refund is refused twice before it goes through.
fn every_fault() -> FaultPlan {
    FaultPlan {
        rate: 0.1,
        kinds: vec![
            FaultKind::Timeout,
            FaultKind::ServerErrorAfter,
            FaultKind::Drop,
            FaultKind::ServerErrorBefore,
            FaultKind::DuplicateNotification,
            FaultKind::LateNotification,
            FaultKind::LateCharge,
            FaultKind::InFlightNotFound,
        ],
        timeout_ms: 1_500,
        late_notification_ms: 500,
        // Inside the tests' 2 s window: "no such order" until then must
        // not close the payment.
        late_charge_ms: 1_200,
        refund_failures: 2,
        ..FaultPlan::default()
    }
}

/// The value of `attribute` on the first tag that has it after `marker`.
fn attribute_after(html: &str, marker: &str, attribute: &str) -> Option<String> {
    let rest = &html[html.find(marker)?..];
    let start = rest.find(&format!("{attribute}=\""))? + attribute.len() + 2;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].replace("&amp;", "&"))
}

/// The payment a status page's address names.
fn payment_of(url: &str) -> PaymentId {
    PaymentId::parse(url.rsplit('/').next().unwrap_or_default()).expect("a payment's page")
}

/// Pays `code` with a challenge card; answers the payment's id.
async fn start_challenge(app: &TestApp, code: &str) -> PaymentId {
    let body = pay_body(code, &new_key(), EARLY_NOTIFICATION_CARD);
    let (status, answer) = call_pay(app, &body).await;
    match pay_outcome(status, &answer) {
        Ok(app::api::PayResult::Continue { url }) => payment_of(&url),
        other => panic!("a challenge card waits for its challenge: {other:?}"),
    }
}

/// Passes the payment's challenge at the acquirer's page; returns the
/// return form's target and `cres`, which the browser would post next.
async fn pass_challenge(app: &TestApp, id: &PaymentId) -> (String, String) {
    let record = app.payments.store.payment(id).await.unwrap().unwrap();
    let challenge = record.challenge_url.expect("a challenge page");
    let page = app.client.post(&challenge).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let code = html
        .split("one-time code is <b>")
        .nth(1)
        .and_then(|rest| rest.get(..6))
        .expect("the sandbox shows the one-time code")
        .to_string();
    let answered = app
        .client
        .post(&challenge)
        .form(&[("code", code.as_str()), ("action", "confirm")])
        .send()
        .await
        .unwrap();
    let back = answered.text().await.unwrap();
    let target = attribute_after(&back, "<form", "action").expect("the return form");
    let cres = attribute_after(&back, r#"name="cres""#, "value").expect("cres");
    (target, cres)
}

async fn wait_for_state(store: &dyn PaymentStore, id: &PaymentId, state: PaymentState) {
    for _ in 0..100 {
        if store.payment(id).await.unwrap().unwrap().state == state {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("payment {id} never reached {state}");
}

/// Waits until every refund has ended.
async fn refunds_final(store: &dyn PaymentStore, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let open: Vec<_> = store
            .all_refunds()
            .await
            .unwrap()
            .into_iter()
            .filter(|refund| !refund.state.is_final())
            .collect();
        if open.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "refunds still open: {open:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Per order, the acquirer's charges minus its refunds against what our
/// ledger says the citizen owes; at most one success per code.
async fn assert_money_agrees(store: &dyn PaymentStore, engine: &Engine) {
    let mut kept: BTreeMap<String, i64> = BTreeMap::new();
    for entry in engine.ledger() {
        let refunded = entry.refunded_minor.unwrap_or(0);
        assert!(
            kept.insert(entry.order_id.clone(), entry.amount_minor - refunded)
                .is_none(),
            "one ledger line per order"
        );
    }
    kept.retain(|_, kept| *kept != 0);
    let succeeded = store
        .payments_in_state(PaymentState::Succeeded)
        .await
        .unwrap();
    let owed: BTreeMap<String, i64> = succeeded
        .iter()
        .map(|p| (p.id.to_string(), p.amount.tyiyn()))
        .collect();
    assert_eq!(kept, owed, "the acquirer kept exactly what citizens owe");
    assert_one_success_per_code(&succeeded);
}

async fn a_slow_and_late_acquirer_never_costs_a_citizen_money(postgres: bool) {
    let acquirer = bind_acquirer().await;
    let data_dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        server::testing::fresh_postgres_url().await
    } else {
        server::testing::sqlite_url(data_dir.path())
    };
    let mut config = test_config(
        &url,
        acquirer.gateway(),
        &data_dir.path().display().to_string(),
    );
    config.abandon_after = Duration::from_secs(1);
    config.public_url = None;
    let app = TestApp::spawn_with_config(data_dir, config).await;
    let engine = acquirer.start(every_fault(), Some(&app.address));
    let codes = payable_codes(app.payments.store.as_ref(), 1, 1000).await;
    let (plain, challenged) = codes.split_at(940);
    let (passed, abandoned) = challenged.split_at(30);

    let started = Instant::now();
    let answers: Vec<(u16, String)> = futures_util::stream::iter(plain.iter())
        .map(|code| {
            let body = pay_body(code, &new_key(), APPROVED_CARD);
            let app = &app;
            async move { call_pay(app, &body).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let outcomes: Vec<_> = answers.iter().map(|(s, b)| pay_outcome(*s, b)).collect();
    let refused = outcomes.iter().filter(|o| o.is_err()).count();
    assert_eq!(refused, 0, "no payment was refused: {answers:?}");

    // Challenges passed at once: the notification arrives first, then the
    // browser; the payment succeeds once.
    for code in passed {
        let id = start_challenge(&app, code).await;
        let (target, cres) = pass_challenge(&app, &id).await;
        let state = app
            .payments
            .store
            .payment(&id)
            .await
            .unwrap()
            .unwrap()
            .state;
        assert_eq!(
            state,
            PaymentState::Succeeded,
            "the notification came first"
        );
        let back = app
            .client
            .post(&target)
            .form(&[("cres", cres.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(back.status(), 303);
        // The status page, which sends a paid payment on to its receipt.
        let status_page = app.get(&location(&back)).await;
        assert!(
            status_page.status() == 303 && location(&status_page).starts_with("/receipt/"),
            "{} ends on the receipt",
            location(&back)
        );
    }
    // Challenges abandoned until we expired them, then passed: the
    // acquirer charges a payment we closed, and the money goes back.
    let mut late = Vec::new();
    for code in abandoned {
        late.push(start_challenge(&app, code).await);
    }
    for id in &late {
        wait_for_state(app.payments.store.as_ref(), id, PaymentState::Expired).await;
        pass_challenge(&app, id).await;
    }

    settled(app.payments.store.as_ref(), Duration::from_secs(60)).await;
    refunds_final(app.payments.store.as_ref(), Duration::from_secs(60)).await;
    let drained = started.elapsed();

    assert_money_agrees(app.payments.store.as_ref(), &engine).await;
    let refunds = app.payments.store.all_refunds().await.unwrap();
    assert_eq!(refunds.len(), late.len(), "one refund per late charge");
    for refund in &refunds {
        assert_eq!(refund.state, RefundState::Refunded);
        assert_eq!(refund.attempts, 3, "refused twice, then refunded");
        assert!(late.contains(&refund.payment_id));
        let events = app
            .payments
            .store
            .refund_events(&refund.payment_id)
            .await
            .unwrap();
        let path: Vec<_> = events.iter().map(|e| e.to.as_str()).collect();
        assert_eq!(
            path,
            [
                "required",
                "submitted",
                "required",
                "submitted",
                "required",
                "submitted",
                "refunded"
            ]
        );
    }
    for state in [PaymentState::ThreeDsRequired, PaymentState::Unknown] {
        assert!(
            app.payments
                .store
                .payments_in_state(state)
                .await
                .unwrap()
                .is_empty(),
            "nothing left {state}"
        );
    }
    let drawn = engine.drawn_faults();
    for kind in [
        FaultKind::LateCharge,
        FaultKind::InFlightNotFound,
        FaultKind::ServerErrorBefore,
    ] {
        assert!(drawn.get(&kind).copied().unwrap_or(0) > 0, "{kind:?} drawn");
    }
    println!(
        "fault run ({}): {drawn:?}, early notifications {}, late charges refunded {}, drained in {:.1} s",
        if postgres { "postgres" } else { "sqlite" },
        passed.len(),
        refunds.len(),
        drained.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_and_late_acquirer_never_costs_a_citizen_money_on_sqlite() {
    a_slow_and_late_acquirer_never_costs_a_citizen_money(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slow_and_late_acquirer_never_costs_a_citizen_money_on_postgres() {
    a_slow_and_late_acquirer_never_costs_a_citizen_money(true).await;
}

/// A payment the acquirer never received stays open through the window
/// (the answer "no such order" may come while it is in flight) and only
/// then fails; a late charge inside the window ends on the receipt.
#[tokio::test]
async fn no_such_order_is_final_only_after_the_window() {
    let acquirer = bind_acquirer().await;
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let mut config = test_config(
        &url,
        acquirer.gateway(),
        &data_dir.path().display().to_string(),
    );
    config.acquirer_window = Duration::from_secs(4);
    let app = TestApp::spawn_with_config(data_dir, config).await;
    // No notifications: only status queries can tell.
    let engine = acquirer.start(
        FaultPlan {
            late_charge_ms: 2_500,
            ..FaultPlan::default()
        },
        None,
    );
    let codes = payable_codes(app.payments.store.as_ref(), 1, 2).await;
    let mut ids = Vec::new();
    for (code, card) in codes
        .iter()
        .zip([LATE_CHARGE_ERROR_CARD, NEVER_CHARGED_CARD])
    {
        let (status, body) = call_pay(&app, &pay_body(code, &new_key(), card)).await;
        match pay_outcome(status, &body) {
            Ok(app::api::PayResult::Continue { url }) => ids.push(payment_of(&url)),
            other => panic!("an unknown outcome waits: {other:?}"),
        }
    }
    // Well past "no such order" answers, still inside the window.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for id in &ids {
        let state = app.payments.store.payment(id).await.unwrap().unwrap().state;
        assert_eq!(state, PaymentState::Unknown, "not closed inside the window");
        assert!(
            engine.status_requests(id.as_str()) > 0,
            "the acquirer was asked"
        );
    }
    wait_for_state(
        app.payments.store.as_ref(),
        &ids[0],
        PaymentState::Succeeded,
    )
    .await;
    wait_for_state(app.payments.store.as_ref(), &ids[1], PaymentState::Failed).await;
    assert_eq!(engine.charges(), 1);
    assert_money_agrees(app.payments.store.as_ref(), &engine).await;
}

const LATE_CHARGE_ERROR_CARD: &str = "4000 0000 0000 0531";
const NEVER_CHARGED_CARD: &str = "4000 0000 0000 0523";

/// Two servers on one PostgreSQL whose clocks are 30 s apart reconcile one
/// backlog of unknown outcomes: each order's status is asked once, each
/// payment settles once, and the times they write agree with each other.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_with_clocks_apart_ask_once_and_settle_once() {
    let acquirer = bind_acquirer().await;
    let url = server::testing::fresh_postgres_url().await;
    let skewed = |seconds: i64| -> app::services::Clock {
        std::sync::Arc::new(move || chrono::Utc::now() + chrono::Duration::seconds(seconds))
    };
    let spawn = |seconds: i64| {
        let url = url.clone();
        let gateway = acquirer.gateway();
        async move {
            let data_dir = tempfile::tempdir().unwrap();
            let config = test_config(&url, gateway, &data_dir.path().display().to_string());
            TestApp::spawn_with_clock(data_dir, config, skewed(seconds)).await
        }
    };
    let behind = spawn(-15).await;
    let ahead = spawn(15).await;
    // Every answer is lost after the charge; no notifications: only status
    // queries settle them.
    let engine = acquirer.start(
        FaultPlan {
            rate: 1.0,
            kinds: vec![FaultKind::ServerErrorAfter],
            ..FaultPlan::default()
        },
        None,
    );
    let codes = payable_codes(behind.payments.store.as_ref(), 700, 100).await;
    let answers: Vec<(u16, String)> = futures_util::stream::iter(codes.iter().enumerate())
        .map(|(n, code)| {
            let app = if n % 2 == 0 { &behind } else { &ahead };
            let body = pay_body(code, &new_key(), APPROVED_CARD);
            async move { call_pay(app, &body).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        answers
            .iter()
            .all(|(s, b)| matches!(pay_outcome(*s, b), Ok(app::api::PayResult::Continue { .. })))
    );
    settled(behind.payments.store.as_ref(), Duration::from_secs(30)).await;

    let store = behind.payments.store.as_ref();
    let database_now = store.database_now().await.unwrap();
    let paid = store
        .payments_in_state(PaymentState::Succeeded)
        .await
        .unwrap();
    assert_eq!(paid.len(), codes.len());
    for payment in &paid {
        assert_eq!(
            engine.status_requests(payment.id.as_str()),
            1,
            "asked once about {}",
            payment.id
        );
        let settles = store
            .events(&payment.id)
            .await
            .unwrap()
            .iter()
            .filter(|event| event.to == PaymentState::Succeeded)
            .count();
        assert_eq!(settles, 1, "settled once");
        let off = (database_now - payment.created_at).num_seconds().abs();
        assert!(
            off < 10,
            "written in the database's time, not a skewed clock: {off} s"
        );
    }
}
