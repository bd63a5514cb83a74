use acquirer::engine::Engine;
use server::Application;
use server::config::{Config, ProcessorKind};
use server::payments::Payments;
use server::testing::card_watch;
use std::sync::Arc;
use std::time::Duration;

pub const APPROVED_CARD: &str = "4111 1111 1111 1111";
pub const DECLINED_CARD: &str = "4000 0000 0000 0002";
pub const PROCESSOR_ERROR_CARD: &str = "4000 0000 0000 0119";
pub const FRICTIONLESS_CARD: &str = "4000 0000 0000 3055";
pub const CHALLENGE_CARD: &str = "4000 0000 0000 3220";
pub const TIMEOUT_CARD: &str = "4000 0000 0000 0259";
pub const CVV: &str = "987";
/// Every security code the tests type.
pub const TEST_CVVS: [&str; 3] = [CVV, "739", "123"];

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    /// The in-process sandbox acquirer (absent with the HTTP gateway).
    pub sandbox: Option<Arc<Engine>>,
    pub payments: Arc<Payments>,
    pub data_dir: tempfile::TempDir,
}

/// The configuration of a test server: port 0, demo data, given database
/// and processor; reconciliation every 200 ms, staleness and the acquirer's
/// window 2 s, so recovery tests need not wait long.
pub fn test_config(database_url: &str, processor: ProcessorKind, site_root: &str) -> Config {
    Config {
        processor,
        reconcile_every: Duration::from_millis(200),
        stale_after: Duration::from_secs(2),
        // Past the gateway tests' 400 ms acquirer timeout, short enough
        // that a payment the acquirer never received fails in seconds.
        acquirer_window: Duration::from_secs(2),
        documents_refresh: Duration::from_millis(200),
        ..Config::local(database_url, site_root)
    }
}

impl TestApp {
    /// A server on a fresh SQLite file with the in-process sandbox.
    pub async fn spawn() -> TestApp {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let url = server::testing::sqlite_url(data_dir.path());
        Self::spawn_on(data_dir, &url, ProcessorKind::Sandbox).await
    }

    /// A server on a fresh PostgreSQL database with the in-process sandbox.
    pub async fn spawn_postgres() -> TestApp {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let url = server::testing::fresh_postgres_url().await;
        Self::spawn_on(data_dir, &url, ProcessorKind::Sandbox).await
    }

    pub async fn spawn_on(
        data_dir: tempfile::TempDir,
        database_url: &str,
        processor: ProcessorKind,
    ) -> TestApp {
        let config = test_config(
            database_url,
            processor,
            &data_dir.path().display().to_string(),
        );
        Self::spawn_with_config(data_dir, config).await
    }

    pub async fn spawn_with_config(data_dir: tempfile::TempDir, config: Config) -> TestApp {
        Self::spawn_with_clock(data_dir, config, Arc::new(chrono::Utc::now)).await
    }

    /// A server whose clock the test moves.
    pub async fn spawn_with_clock(
        data_dir: tempfile::TempDir,
        config: Config,
        clock: app::services::Clock,
    ) -> TestApp {
        scan_logs();
        let database_url = config.database_url.clone();
        let application = Application::build_with_clock(config, clock)
            .await
            .expect("server starts");
        let port = application.port();
        let sandbox = application.sandbox.clone();
        let payments = application.payments.clone();
        tokio::spawn(application.run());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            database_url,
            client,
            sandbox,
            payments,
            data_dir,
        }
    }

    pub fn engine(&self) -> &Arc<Engine> {
        self.sandbox.as_ref().expect("in-process sandbox acquirer")
    }

    /// Authorisations that reached the in-process acquirer, repeats included.
    pub fn calls(&self) -> usize {
        self.engine().authorise_requests()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn get_html(&self, path: &str) -> (reqwest::StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        (status, response.text().await.unwrap())
    }

    /// The idempotency key of a freshly rendered pay form.
    pub async fn form_key(&self, code: &str) -> String {
        let (_, html) = self.get_html(&format!("/pay/{code}")).await;
        form_key_in(&html).expect("the pay form carries an idempotency key")
    }

    /// The plain form post of a browser without JavaScript, from a freshly
    /// rendered form (so with a new idempotency key).
    pub async fn post_card_form(&self, code: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let key = self.form_key(code).await;
        self.post_card_form_with_key(code, &key, fields).await
    }

    /// The same post with a given key: a reload, a double click, a back button.
    pub async fn post_card_form_with_key(
        &self,
        code: &str,
        key: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut fields = fields.to_vec();
        fields.push(("idempotency_key", key));
        // The seeded editions, as the rendered form names them.
        fields.push(("privacy_policy_edition", "1"));
        fields.push(("user_agreement_edition", "1"));
        self.client
            .post(self.url(&format!("/pay/{code}")))
            .header("accept", "text/html")
            .form(&fields)
            .send()
            .await
            .expect("request")
    }

    /// Every value of every column of every table of ours, as text (sqlx's
    /// record of migrations holds timings, whose digits mean nothing), on
    /// either database.
    pub async fn database_values(&self) -> Vec<String> {
        use sqlx::{Connection, Row};
        let (tables, columns) = if self.database_url.starts_with("postgres") {
            (
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_name != '_sqlx_migrations'",
                "SELECT column_name::text FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name = $1",
            )
        } else {
            (
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name != '_sqlx_migrations'",
                "SELECT name FROM pragma_table_info($1)",
            )
        };
        // The same reading on either connection type.
        macro_rules! read_all {
            ($connection:ty) => {{
                let mut db = <$connection>::connect(&self.database_url).await.unwrap();
                let tables: Vec<String> =
                    sqlx::query_scalar(tables).fetch_all(&mut db).await.unwrap();
                let mut values = Vec::new();
                for table in tables {
                    let columns: Vec<String> = sqlx::query_scalar(columns)
                        .bind(&table)
                        .fetch_all(&mut db)
                        .await
                        .unwrap();
                    for column in columns {
                        let rows = sqlx::query(&format!(
                            "SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\""
                        ))
                        .fetch_all(&mut db)
                        .await
                        .unwrap();
                        values.extend(
                            rows.iter().filter_map(|row| {
                                row.try_get::<Option<String>, _>(0).ok().flatten()
                            }),
                        );
                    }
                }
                values
            }};
        }
        if self.database_url.starts_with("postgres") {
            read_all!(sqlx::PgConnection)
        } else {
            read_all!(sqlx::SqliteConnection)
        }
    }

    /// Fails when the database holds a card number any test server was
    /// sent, or a value that is one of the tests' CVVs.
    pub async fn assert_no_card_data_stored(&self) {
        let values = self.database_values().await;
        assert!(values.len() > 50, "the check sees the stored values");
        for value in &values {
            if let Some(digits) = card_watch::holds_seen_number(value) {
                panic!("a card number starting {} is stored", &digits[..6]);
            }
            // Three digits turn up by chance in ids and timestamps, so the
            // CVV is looked for value by value.
            assert!(
                !TEST_CVVS.contains(&value.trim()),
                "a CVV is stored as a value"
            );
        }
    }

    /// Every byte the database has on disk, including the write-ahead log.
    pub fn database_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(self.data_dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains("tolem.db") {
                bytes.extend(std::fs::read(path).unwrap());
            }
        }
        bytes
    }
}

/// Every test's server logs at debug level into a writer that looks for
/// card numbers (and writes nothing).
fn scan_logs() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter("info,server=debug,app=debug,acquirer=debug")
            .with_writer(card_watch::LogScan)
            .try_init();
    });
}

/// A test passes only if no server of the run sent back or logged a card
/// number it was sent (the watch of `server::testing::card_watch`).
impl Drop for TestApp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let leaks = card_watch::leaks();
            assert!(leaks.is_empty(), "card numbers went out: {leaks:#?}");
        }
    }
}

/// Whether a page or an answer gives a CVV back: as an input's value or as
/// a JSON field (a bare search would find three digits in any hex id).
pub fn gives_cvv_back(body: &str, cvv: &str) -> bool {
    body.contains(&format!("value=\"{cvv}\"")) || body.contains(&format!("\"cvv\":\"{cvv}\""))
}

pub fn card_fields<'a>(number: &'a str, cvv: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("cardholder", "aibek asanov"),
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "2030"),
        ("cvv", cvv),
    ]
}

/// A response's header as text (empty when absent).
pub fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The idempotency key in a rendered pay form.
pub fn form_key_in(html: &str) -> Option<String> {
    let at = html.find(r#"name="idempotency_key""#)?;
    let rest = &html[at..];
    let value = rest.find(r#"value=""#)? + 7;
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_string())
}

/// A key as a pay form carries it.
pub fn new_key() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Payable codes made for a test: `132027nnnnnnnn` from `first`.
pub async fn payable_codes(
    store: &dyn server::storage::PaymentStore,
    first: u32,
    count: u32,
) -> Vec<String> {
    let mut codes = Vec::new();
    for n in first..first + count {
        let code = format!("132027{n:08}");
        let request = server::storage::PaymentRequest {
            code: domain::PaymentCode::parse(&code).unwrap(),
            service: domain::ServiceKind::MekenCard,
            applicant_name: "Асанов Бакыт".into(),
            amount: domain::Money::from_tyiyn(150_000).unwrap(),
            status: domain::RequestStatus::AwaitingPayment,
            expires_at: chrono::Utc::now() + chrono::Duration::days(1),
        };
        store
            .insert_request(&request, chrono::Utc::now())
            .await
            .unwrap();
        codes.push(code);
    }
    codes
}

/// The JSON body of the `pay` server function.
pub fn pay_body(code: &str, key: &str, number: &str) -> serde_json::Value {
    serde_json::json!({
        "form": {
            "code": code,
            "cardholder": "AIBEK ASANOV",
            "number": number,
            "exp_month": "12",
            "exp_year": "30",
            "cvv": CVV,
            "idempotency_key": key,
            "privacy_policy_edition": "1",
            "user_agreement_edition": "1",
        }
    })
}

/// Calls the `pay` server function at `base`: status and body, or the
/// transport error (a server that is down).
pub async fn call_pay_at(
    client: &reqwest::Client,
    base: &str,
    body: &serde_json::Value,
) -> Result<(u16, String), reqwest::Error> {
    let response = client
        .post(format!("{base}/api/pay"))
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

pub async fn call_pay(app: &TestApp, body: &serde_json::Value) -> (u16, String) {
    call_pay_at(&app.client, &app.address, body)
        .await
        .expect("request")
}

/// What the `pay` server function answered, read as the island reads it:
/// a `PayResult` when the status is 200, a `PayError` otherwise. Panics on
/// a body that is neither (the wire types are the contract).
pub fn pay_outcome(status: u16, body: &str) -> Result<app::api::PayResult, app::api::PayError> {
    if status == 200 {
        Ok(serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}")))
    } else {
        Err(serde_json::from_str(body).unwrap_or_else(|e| panic!("{status} {e}: {body}")))
    }
}

pub fn is_paid(answer: &(u16, String)) -> bool {
    matches!(
        pay_outcome(answer.0, &answer.1),
        Ok(app::api::PayResult::Paid { .. })
    )
}
