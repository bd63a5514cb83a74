//! An agency's side for the tests: a webhook receiver on 127.0.0.1:0 that
//! records what arrives and answers as the test tells it (up, down, or
//! hanging), and a server with an agency, its key and its endpoint.

use crate::helpers::{TestApp, test_config};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use server::agencies::admin::{self, NewAgency};
use server::agencies::keys::KeyMode;
use server::config::{Config, ProcessorKind, WebhookSettings};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the receiver answers: a status, or 0 to never answer.
pub const HANG: u16 = 0;

/// One delivery as received.
#[derive(Clone, Debug)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub json: serde_json::Value,
    pub answered: u16,
}

#[derive(Clone, Default)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
    answer: Arc<AtomicU16>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let answer = r.answer.load(Ordering::SeqCst);
    let body = String::from_utf8_lossy(&body).into_owned();
    r.got.lock().unwrap().push(Received {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signature: header("webhook-signature"),
        json: serde_json::from_str(&body).unwrap_or_default(),
        body,
        answered: answer,
    });
    if answer == HANG {
        std::future::pending::<()>().await;
    }
    StatusCode::from_u16(answer).unwrap_or(StatusCode::OK)
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver {
            url: format!("http://{}/hook", listener.local_addr().unwrap()),
            answer: Arc::new(AtomicU16::new(200)),
            ..Receiver::default()
        };
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    pub fn answer(&self, status: u16) {
        self.answer.store(status, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// The deliveries answered 2xx, of events of `kind`.
    pub fn delivered(&self, kind: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered) && r.json["type"] == kind)
            .collect()
    }

    /// Waits until `done` holds of what arrived, at most `within`.
    pub async fn wait_for(&self, within: Duration, done: impl Fn(&[Received]) -> bool) -> bool {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if done(&self.received()) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        done(&self.received())
    }
}

/// Webhooks fast enough for tests: looked for every 50 ms, retried after
/// 200 ms doubling to 1 s, a 1 s timeout.
pub fn quick_webhooks() -> WebhookSettings {
    WebhookSettings {
        poll: Duration::from_millis(50),
        timeout: Duration::from_secs(1),
        first_retry: Duration::from_millis(200),
        longest_wait: Duration::from_secs(1),
        give_up_after: Duration::from_secs(60),
        concurrency: 16,
    }
}

pub fn agency_config(database_url: &str, site_root: &str) -> Config {
    let mut config = test_config(database_url, ProcessorKind::Sandbox, site_root);
    config.api.webhooks = quick_webhooks();
    // The races send fifty at once; the limits' own test sets its own.
    config.api.posts_per_second = 1_000;
    config
}

/// A test server (SQLite, or PostgreSQL when `postgres`) with quick webhooks.
pub async fn spawn(postgres: bool) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let url = if postgres {
        server::testing::fresh_postgres_url().await
    } else {
        server::testing::sqlite_url(data_dir.path())
    };
    let config = agency_config(&url, &data_dir.path().display().to_string());
    TestApp::spawn_with_config(data_dir, config).await
}

/// An agency of `app` billing every service, its key, and its signing
/// secret when it has an endpoint.
pub struct Agency {
    pub id: String,
    pub key: String,
    pub secret: Option<String>,
}

pub async fn agency(app: &TestApp, webhook_url: Option<&str>) -> Agency {
    let store = app.payments.store.as_ref();
    let now = chrono::Utc::now();
    let new = NewAgency {
        name: "Паспортный стол",
        services: "passport,driving_licence,meken_card",
        webhook_url,
    };
    let (record, secret) = admin::create_agency(store, &new, true, now).await.unwrap();
    let (_, key) = admin::create_key(store, &record.id, Some("tests"), KeyMode::Test, now)
        .await
        .unwrap();
    Agency {
        id: record.id,
        key,
        secret,
    }
}

/// A new request's body, expiring in a day.
pub fn new_request(reference: &str) -> serde_json::Value {
    let expires = chrono::Utc::now() + chrono::Duration::days(1);
    serde_json::json!({
        "service": "passport",
        "applicant_name": "Асанов Бакыт Алмазович",
        "amount": 150_000,
        "expires_at": expires.to_rfc3339(),
        "reference": reference,
        "description": "Паспорт гражданина КР",
    })
}

impl TestApp {
    /// A call of the agency API with `key`: status, headers and JSON body.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        key: Option<&str>,
        idempotency_key: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> (u16, reqwest::header::HeaderMap, serde_json::Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(idempotency_key) = idempotency_key {
            request = request.header("Idempotency-Key", idempotency_key);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or_default(),
        )
    }

    /// Issues a request for `agency`; answers its code.
    pub async fn issue(&self, agency: &Agency, reference: &str) -> String {
        let (status, _, body) = self
            .api(
                reqwest::Method::POST,
                "/api/v1/payment-requests",
                Some(&agency.key),
                None,
                Some(&new_request(reference)),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body["code"].as_str().unwrap().to_owned()
    }
}
