//! The site against the sandbox acquirer over HTTP (signed JSON), with
//! injected faults: after reconciliation the acquirer's ledger equals ours,
//! nothing is charged twice and no payment is left unsettled.

use crate::helpers::*;
use acquirer::engine::{Engine, EngineConfig, FaultKind, FaultPlan, NotifyConfig};
use domain::PaymentState;
use futures_util::StreamExt;
use server::config::{GatewayConfig, ProcessorKind};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

pub const KEY: &str = "test-acquirer-secret-of-at-least-32-bytes";

/// An acquirer whose port is known before its engine exists, so that the
/// site can be configured with its URL and the engine with the site's.
pub struct PendingAcquirer {
    listener: tokio::net::TcpListener,
    pub url: String,
}

pub async fn bind_acquirer() -> PendingAcquirer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    PendingAcquirer { listener, url }
}

impl PendingAcquirer {
    pub fn gateway(&self) -> ProcessorKind {
        ProcessorKind::Gateway(GatewayConfig {
            url: self.url.clone(),
            secret: KEY.into(),
            connect_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_millis(400),
        })
    }

    /// Starts serving; notifications go to `notify` (a site's URL).
    pub fn start(self, faults: FaultPlan, notify: Option<&str>) -> Arc<Engine> {
        let engine = Engine::new(EngineConfig {
            acs_base_url: format!("{}/acs", self.url),
            faults,
            notify: notify.map(|site| NotifyConfig {
                url: format!("{site}/api/acquirer/notifications"),
                key: KEY.as_bytes().to_vec(),
            }),
            seed: Some(7),
        });
        let router = acquirer::http::router(engine.clone(), KEY.as_bytes().to_vec());
        tokio::spawn(async move { axum::serve(self.listener, router).await });
        engine
    }
}

/// Ten percent of approvals hit a fault: a timeout after the charge, a 500
/// after or before it, a dropped connection, duplicate or late notifications.
pub fn ten_percent_faults() -> FaultPlan {
    FaultPlan {
        rate: 0.1,
        kinds: vec![
            FaultKind::Timeout,
            FaultKind::ServerErrorAfter,
            FaultKind::Drop,
            FaultKind::ServerErrorBefore,
            FaultKind::DuplicateNotification,
            FaultKind::LateNotification,
        ],
        timeout_ms: 1_500,
        late_notification_ms: 500,
        ..FaultPlan::default()
    }
}

/// Waits until no payment is `unknown` or `authorising` in `store`.
pub async fn settled(store: &dyn server::storage::PaymentStore, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let mut open = 0;
        for state in [
            PaymentState::Created,
            PaymentState::Authorising,
            PaymentState::Unknown,
        ] {
            open += store.payments_in_state(state).await.unwrap().len();
        }
        if open == 0 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{open} payments still unsettled"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Our succeeded payments against the acquirer's charges: equal sets of
/// (order id, amount), and at most one success per payment code.
pub async fn assert_ledgers_agree(store: &dyn server::storage::PaymentStore, engine: &Engine) {
    let ours = store
        .payments_in_state(PaymentState::Succeeded)
        .await
        .unwrap();
    let ours_set: BTreeSet<(String, i64)> = ours
        .iter()
        .map(|p| (p.id.to_string(), p.amount.tyiyn()))
        .collect();
    let theirs: BTreeSet<(String, i64)> = engine
        .ledger()
        .into_iter()
        .map(|entry| (entry.order_id, entry.amount_minor))
        .collect();
    assert_eq!(
        engine.ledger().len(),
        theirs.len(),
        "one ledger line per order"
    );
    let only_theirs: Vec<_> = theirs.difference(&ours_set).collect();
    let only_ours: Vec<_> = ours_set.difference(&theirs).collect();
    assert!(
        only_theirs.is_empty() && only_ours.is_empty(),
        "charged but not succeeded: {only_theirs:?}; succeeded but not charged: {only_ours:?}"
    );
    assert_one_success_per_code(&ours);
}

/// No payment code was paid twice among `succeeded` payments.
pub fn assert_one_success_per_code(succeeded: &[server::storage::PaymentRecord]) {
    let mut per_code: BTreeMap<String, usize> = BTreeMap::new();
    for payment in succeeded {
        *per_code.entry(payment.code.to_string()).or_default() += 1;
    }
    assert!(per_code.values().all(|n| *n == 1), "a code paid twice");
}

async fn a_thousand_payments_with_faults_end_in_agreeing_ledgers(postgres: bool) {
    let acquirer = bind_acquirer().await;
    let data_dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        server::testing::fresh_postgres_url().await
    } else {
        server::testing::sqlite_url(data_dir.path())
    };
    let app = TestApp::spawn_on(data_dir, &url, acquirer.gateway()).await;
    let engine = acquirer.start(ten_percent_faults(), Some(&app.address));
    let codes = payable_codes(app.payments.store.as_ref(), 1, 1000).await;

    let answers: Vec<(u16, String)> = futures_util::stream::iter(codes.iter())
        .map(|code| {
            let body = pay_body(code, &new_key(), APPROVED_CARD);
            let app = &app;
            async move { call_pay(app, &body).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let outcomes: Vec<_> = answers.iter().map(|(s, b)| pay_outcome(*s, b)).collect();
    let paid = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(app::api::PayResult::Paid { .. })))
        .count();
    let waiting = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(app::api::PayResult::Continue { .. })))
        .count();
    let refused = answers.len() - paid - waiting;
    assert!(paid > 800, "most payments go straight through: {paid}");
    assert!(
        waiting > 20,
        "the faults left some outcomes unknown: {waiting}"
    );
    assert_eq!(refused, 0, "no payment was refused");
    assert!(
        engine.authorise_requests() == 1000,
        "authorise is never retried"
    );

    settled(app.payments.store.as_ref(), Duration::from_secs(30)).await;
    assert_ledgers_agree(app.payments.store.as_ref(), &engine).await;
    let succeeded = app
        .payments
        .store
        .payments_in_state(PaymentState::Succeeded)
        .await
        .unwrap()
        .len();
    let failed = app
        .payments
        .store
        .payments_in_state(PaymentState::Failed)
        .await
        .unwrap()
        .len();
    assert_eq!(succeeded + failed, 1000, "every payment is final");
    assert!(failed > 0, "500s before the charge end as failures");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_payments_with_faults_end_in_agreeing_ledgers_on_sqlite() {
    a_thousand_payments_with_faults_end_in_agreeing_ledgers(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_payments_with_faults_end_in_agreeing_ledgers_on_postgres() {
    a_thousand_payments_with_faults_end_in_agreeing_ledgers(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_postgres_never_charge_a_code_twice() {
    let acquirer = bind_acquirer().await;
    let url = server::testing::fresh_postgres_url().await;
    let first = TestApp::spawn_on(tempfile::tempdir().unwrap(), &url, acquirer.gateway()).await;
    // The second server finds the database migrated and seeded already.
    let second = TestApp::spawn_on(tempfile::tempdir().unwrap(), &url, acquirer.gateway()).await;
    let engine = acquirer.start(FaultPlan::default(), None);
    let codes = payable_codes(first.payments.store.as_ref(), 500, 30).await;

    for code in &codes {
        let shared_key = new_key();
        let submits = (0..10).map(|i| {
            let app = if i % 2 == 0 { &first } else { &second };
            // Half the submits are one attempt sent to both servers (a
            // retry that the load balancer sent elsewhere), half are rivals.
            let key = if i < 6 { shared_key.clone() } else { new_key() };
            let body = pay_body(code, &key, APPROVED_CARD);
            async move { call_pay(app, &body).await }
        });
        let answers = futures_util::future::join_all(submits).await;
        let paid: BTreeSet<&String> = answers
            .iter()
            .filter(|answer| is_paid(answer))
            .map(|(_, body)| body)
            .collect();
        assert_eq!(paid.len(), 1, "one receipt for the code: {answers:?}");
    }
    assert_eq!(engine.charges(), codes.len());
    assert_ledgers_agree(first.payments.store.as_ref(), &engine).await;
}

#[tokio::test]
async fn notifications_must_carry_the_acquirers_signature() {
    let acquirer = bind_acquirer().await;
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let app = TestApp::spawn_on(data_dir, &url, acquirer.gateway()).await;
    let body = r#"{"order_id":"x","status":"approved","reference":"R","decline_code":null}"#;
    let unsigned = app
        .client
        .post(app.url("/api/acquirer/notifications"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let now = acquirer::protocol::now_unix();
    let wrong_key = acquirer::protocol::sign(
        b"not-the-key",
        now,
        "POST",
        "/api/acquirer/notifications",
        body.as_bytes(),
    );
    let forged = app
        .client
        .post(app.url("/api/acquirer/notifications"))
        .header(acquirer::protocol::TIMESTAMP_HEADER, now.to_string())
        .header(acquirer::protocol::SIGNATURE_HEADER, wrong_key)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let signature = acquirer::protocol::sign(
        KEY.as_bytes(),
        now,
        "POST",
        "/api/acquirer/notifications",
        body.as_bytes(),
    );
    let genuine = app
        .client
        .post(app.url("/api/acquirer/notifications"))
        .header(acquirer::protocol::TIMESTAMP_HEADER, now.to_string())
        .header(acquirer::protocol::SIGNATURE_HEADER, signature)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        genuine.status(),
        204,
        "accepted (an unknown order changes nothing)"
    );
}

#[tokio::test]
async fn an_unreachable_acquirer_charges_nothing_and_says_so() {
    // A port nobody listens on: the request is never sent.
    let acquirer = bind_acquirer().await;
    let processor = acquirer.gateway();
    drop(acquirer);
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::sqlite_url(data_dir.path());
    let app = TestApp::spawn_on(data_dir, &url, processor).await;
    let response = app
        .post_card_form("11202600000001", &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(response.status(), 502);
    assert!(response.text().await.unwrap().contains("Деньги не списаны"));
    let failed = app
        .payments
        .store
        .payments_in_state(PaymentState::Failed)
        .await
        .unwrap();
    assert_eq!(failed.len(), 1);
}
