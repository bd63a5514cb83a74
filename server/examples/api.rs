//! The agency API under load beside a ceiling measured in the same run,
//! and the lag of its webhooks (`bench/api.sh` runs it in release).
//!
//! For each backend (SQLite, then PostgreSQL when `TOLEM_TEST_POSTGRES` names
//! a server, as `bench/api.sh` arranges) this starts the real server in this
//! process (rate limits out of the way, webhooks as configured by default)
//! with one agency, whose webhook endpoint is a receiver in this process on
//! 127.0.0.1:0 that checks each signature, then times, each phase after
//! `--warmup` operations (default 500) not counted:
//!
//! 1. **creates/s, p50, p99**: `--clients` (32) post to
//!    `/api/v1/payment-requests` with the agency's key for `--seconds` (8),
//!    each request under an `Idempotency-Key` of its own; one counts when
//!    answered 201. Meanwhile `--payments` (300) requests issued beforehand
//!    are paid through `/api/pay` (as `throughput.rs` pays) at a steady rate
//!    over the first four fifths of the phase;
//! 2. **webhook lag**: from a payment's `/api/pay` call returning `Paid` to
//!    its `payment_request.paid` webhook arriving; delivered must equal
//!    paid. The courier is woken for the events this server writes for
//!    cancels, not for payments: the lag is mostly its poll (`--poll-ms`,
//!    500 by default);
//! 3. **replays/s**: the same clients post one body under one key: the
//!    key checked and the stored answer read, no write;
//! 4. **ceiling**: the same clients get `/health/live` (no database).
//!
//! The ratio creates/s ÷ ceiling/s survives the machine's noise where an
//! absolute rate does not; replays/s sets the write apart from the rest of
//! a create. A create commits durably in a transaction of its own (not in
//! the payments' group commits), so creates/s is bounded by the disk's
//! synchronous writes per second, which `bench/api.sh` probes beforehand.
//! Clients, server and database share the machine's cores.

#[allow(
    dead_code,
    reason = "this uses the client, the loop and percentiles only"
)]
mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use common::http::Connections;
use common::{BoxError, Phase, Tally, Timed, closed_loop, percentile_ms};
use server::Application;
use server::agencies::admin::{self, NewAgency};
use server::agencies::keys::KeyMode;
use server::config::Config;
use server::webhooks::signing::verify;
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The server binary's allocator, as in `throughput.rs`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Options {
    clients: usize,
    seconds: f64,
    payments: usize,
    warmup: usize,
    poll_ms: Option<u64>,
    only: Option<String>,
}

fn options() -> Result<Options, BoxError> {
    let mut o = Options {
        clients: 32,
        seconds: 8.0,
        payments: 300,
        warmup: 500,
        poll_ms: None,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--clients" => o.clients = value()?.parse()?,
            "--seconds" => o.seconds = value()?.parse()?,
            "--payments" => o.payments = value()?.parse()?,
            "--warmup" => o.warmup = value()?.parse()?,
            "--poll-ms" => o.poll_ms = Some(value()?.parse()?),
            "--only" => o.only = Some(value()?),
            other => return Err(format!("unknown argument {other:?} (see bench/api.sh)").into()),
        }
    }
    if o.clients == 0 || o.seconds <= 0.0 {
        return Err("--clients and --seconds must be positive".into());
    }
    Ok(o)
}

/// Latencies of the successes, and the failures, of a timed phase.
#[derive(Default)]
struct Outcomes {
    latencies: Vec<Duration>,
    failures: Vec<String>,
}

impl Tally for Outcomes {
    type Outcome = Result<(), String>;

    fn record(&mut self, outcome: Self::Outcome, latency: Duration) {
        match outcome {
            Ok(()) => self.latencies.push(latency),
            Err(error) => self.failures.push(error),
        }
    }

    fn merge(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        self.failures.extend(other.failures);
    }
}

type Run = Timed<Outcomes>;

fn rate(run: &Run) -> f64 {
    run.tally.latencies.len() as f64 / run.wall.as_secs_f64()
}

fn ms(run: &Run, p: f64) -> f64 {
    percentile_ms(&run.tally.latencies, p)
}

/// An operation for `closed_loop` from `f`, which is given its own clone of
/// `shared` and the operation's number.
fn op<T, F, Fut>(shared: T, f: F) -> impl Fn(usize) -> Fut + Clone + Send + Sync + 'static
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T, usize) -> Fut + Clone + Send + Sync + 'static,
{
    move |n| f(shared.clone(), n)
}

/// `o.warmup` operations not counted, then as many as fit in `o.seconds`
/// with `during` running beside them.
async fn warm_then_time<F, Fut, D>(o: &Options, first: usize, op: F, during: D) -> (Run, D::Output)
where
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
    D: Future,
{
    let count = o.warmup;
    let _: Run = closed_loop(o.clients, Phase::Count { first, count }, op.clone()).await;
    let until = Instant::now() + Duration::from_secs_f64(o.seconds);
    let timed = Phase::Until {
        first: first + count,
        until,
    };
    tokio::join!(closed_loop(o.clients, timed, op), during)
}

/// The client's header lines for the agency's key and `idempotency`. The
/// shared minimal client (`common::http`) takes no other headers; the
/// value of its `X-Forwarded-For` line is written as given, so these ride
/// after it on lines of their own.
fn api_headers(key: &str, idempotency: &str) -> String {
    format!("127.0.0.1\r\nAuthorization: Bearer {key}\r\nIdempotency-Key: {idempotency}")
}

/// Request number `n`'s body.
fn request_body(n: usize) -> String {
    let expires =
        (Utc::now() + chrono::Duration::days(7)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    serde_json::json!({
        "service": "passport", "applicant_name": "АСАНОВ АЙБЕК", "amount": 150000,
        "expires_at": expires, "reference": format!("BENCH-{n}"),
    })
    .to_string()
}

/// Posts `body` under `idempotency`; the answer's body when it is 201.
async fn post(c: &Connections, key: &str, body: &str, idempotency: &str) -> Result<String, String> {
    let headers = api_headers(key, idempotency);
    let answer = c
        .post_json("/api/v1/payment-requests", body, &headers)
        .await?;
    match answer.status {
        201 => Ok(answer.body),
        status => Err(format!("{status}: {}", answer.body)),
    }
}

/// Issues request number `n` with a new idempotency key; its payment code.
async fn create(c: &Connections, key: &str, n: usize) -> Result<String, String> {
    let idempotency = uuid::Uuid::new_v4().simple().to_string();
    let body = post(c, key, &request_body(n), &idempotency).await?;
    let json: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    json["code"].as_str().map(str::to_owned).ok_or(body)
}

/// Pays `code` with an approved card of its own (number `n`), as the pay
/// form's island does; Ok when the answer is `Paid`.
async fn pay(c: &Connections, code: &str, n: usize) -> Result<(), String> {
    let body = format!("43434343{:07}", n % 10_000_000);
    let number = (0..10)
        .map(|check| format!("{body}{check}"))
        .find(|number| domain::luhn_valid(number))
        .unwrap_or(body);
    let form = serde_json::json!({ "form": {
        "code": code, "cardholder": "AIBEK ASANOV", "number": number,
        "exp_month": "12", "exp_year": "30", "cvv": "987",
        "idempotency_key": server::payments::new_idempotency_key().to_string(),
        "privacy_policy_edition": "1", "user_agreement_edition": "1",
    }});
    let answer = c
        .post_json("/api/pay", &form.to_string(), "127.0.0.1")
        .await?;
    match (answer.status, answer.body.contains("\"Paid\"")) {
        (200, true) => Ok(()),
        (status, _) => Err(format!("{status}: {}", answer.body)),
    }
}

/// What the agency's endpoint saw.
#[derive(Default)]
struct Arrivals {
    /// First arrival of each paid code's `payment_request.paid`.
    paid: HashMap<String, Instant>,
    deliveries: usize,
    bad_signatures: usize,
}

#[derive(Clone)]
struct Receiver {
    secret: Arc<str>,
    arrivals: Arc<Mutex<Arrivals>>,
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: String) -> StatusCode {
    let at = Instant::now();
    let header = |name| headers.get(name).map_or("", |v| v.to_str().unwrap_or(""));
    let (id, stamp, signature) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let genuine = verify(&r.secret, id, stamp, signature, &body, Utc::now(), 300);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let mut arrivals = r.arrivals.lock().unwrap_or_else(|e| e.into_inner());
    arrivals.deliveries += 1;
    arrivals.bad_signatures += usize::from(!genuine);
    if let ("payment_request.paid", Some(code)) = (
        json["type"].as_str().unwrap_or(""),
        json["data"]["code"].as_str(),
    ) {
        arrivals.paid.entry(code.to_owned()).or_insert(at);
    }
    StatusCode::NO_CONTENT
}

/// Each payment: its code, when its `/api/pay` call returned `Paid` (or why
/// not), and that call's latency.
type Payments = Vec<(String, Result<Instant, String>, Duration)>;

/// Pays `codes` at a steady rate over `span`, each on time whether or not
/// earlier ones have answered.
async fn pay_steadily(c: Arc<Connections>, codes: Vec<String>, span: Duration) -> Payments {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let count = codes.len().max(1) as u32;
    for (i, code) in codes.into_iter().enumerate() {
        tokio::time::sleep_until((started + span * i as u32 / count).into()).await;
        let c = c.clone();
        tasks.spawn(async move {
            let at = Instant::now();
            let outcome = pay(&c, &code, i).await.map(|()| Instant::now());
            (code, outcome, at.elapsed())
        });
    }
    let mut done = Vec::new();
    while let Some(Ok(payment)) = tasks.join_next().await {
        done.push(payment);
    }
    done
}

struct Figures {
    creates: Run,
    replays: Run,
    ceiling: Run,
    payments: Payments,
    /// Lag of each paid request's webhook, of those that arrived.
    lags: Vec<Duration>,
    deliveries: usize,
    bad_signatures: usize,
}

/// Waits (at most 15 s) for the webhook of every payment paid; the lag of
/// each that arrived.
async fn lags(arrivals: &Mutex<Arrivals>, payments: &Payments) -> Vec<Duration> {
    let paid: Vec<_> = payments
        .iter()
        .filter_map(|(code, at, _)| Some((code, *at.as_ref().ok()?)))
        .collect();
    let since = Instant::now();
    loop {
        let lags: Vec<_> = {
            let arrivals = arrivals.lock().unwrap_or_else(|e| e.into_inner());
            paid.iter()
                .filter_map(|(code, at)| {
                    Some(arrivals.paid.get(*code)?.saturating_duration_since(*at))
                })
                .collect()
        };
        if lags.len() == paid.len() || since.elapsed() > Duration::from_secs(15) {
            return lags;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn measure(database_url: &str, o: &Options) -> Result<Figures, BoxError> {
    let mut config = Config {
        demo_data: false,
        ..Config::local(database_url, "target/site")
    };
    config.api.posts_per_second = 10_000_000;
    config.api.gets_per_second = 10_000_000;
    if let Some(poll) = o.poll_ms {
        config.api.webhooks.poll = Duration::from_millis(poll);
    }
    let application = Application::build(config).await?;
    let address = SocketAddr::from(([127, 0, 0, 1], application.port()));
    let store = application.payments.store.clone();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook = format!("http://{}/hook", listener.local_addr()?);
    let now = Utc::now();
    let agency = NewAgency {
        name: "Bench passport office",
        services: "passport",
        webhook_url: Some(&hook),
    };
    let (agency, secret) = admin::create_agency(store.as_ref(), &agency, true, now).await?;
    let (_, key) = admin::create_key(store.as_ref(), &agency.id, None, KeyMode::Test, now).await?;
    let receiver = Receiver {
        secret: secret.ok_or("the agency has no signing secret")?.into(),
        arrivals: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(receiver.clone());
    let receiving = tokio::spawn(async move { axum::serve(listener, app).await });
    let server = tokio::spawn(application.run());

    let c = Arc::new(Connections::new(address));
    let shared = (c.clone(), Arc::<str>::from(key));
    // The requests to pay, issued beforehand and not counted.
    let mut to_pay = Vec::with_capacity(o.payments);
    for n in 0..o.payments {
        to_pay.push(create(&c, &shared.1, n).await?);
    }

    let creating = op(shared.clone(), |(c, key), n| async move {
        create(&c, &key, n).await.map(drop)
    });
    let paying = pay_steadily(c.clone(), to_pay, Duration::from_secs_f64(o.seconds * 0.8));
    let (creates, payments) = warm_then_time(o, o.payments, creating, paying).await;
    eprintln!("  creates: {:.0}/s", rate(&creates));
    let lags = lags(&receiver.arrivals, &payments).await;

    let body = Arc::<str>::from(request_body(0));
    let replaying = op((shared.clone(), body), |((c, key), body), _| async move {
        post(&c, &key, &body, "bench-replay").await.map(drop)
    });
    let (replays, ()) = warm_then_time(o, 0, replaying, async {}).await;
    eprintln!("  replays: {:.0}/s", rate(&replays));

    let live = op(c.clone(), |c, _| async move {
        match c.get("/health/live").await? {
            answer if answer.status == 200 => Ok(()),
            answer => Err(format!("{}: {}", answer.status, answer.body)),
        }
    });
    let (ceiling, ()) = warm_then_time(o, 0, live, async {}).await;
    eprintln!("  /health/live: {:.0}/s", rate(&ceiling));
    server.abort();
    receiving.abort();
    let arrivals = receiver.arrivals.lock().unwrap_or_else(|e| e.into_inner());
    Ok(Figures {
        creates,
        replays,
        ceiling,
        payments,
        lags,
        deliveries: arrivals.deliveries,
        bad_signatures: arrivals.bad_signatures,
    })
}

fn print(results: &[(&str, Figures)]) {
    println!("\nbackend   creates/s  p50 ms  p99 ms  replays/s  /health/live/s  ratio");
    for (backend, f) in results {
        let (creates, ceiling) = (rate(&f.creates), rate(&f.ceiling));
        let (p50, p99, replays) = (ms(&f.creates, 50.0), ms(&f.creates, 99.0), rate(&f.replays));
        let ratio = creates / ceiling;
        println!(
            "{backend:<9} {creates:>9.0} {p50:>7.2} {p99:>7.2} {replays:>10.0} {ceiling:>15.0} {ratio:>6.3}"
        );
    }
    println!("\nwebhooks   paid  delivered  lag p50 ms  lag p99 ms  max ms");
    for (backend, f) in results {
        let paid = f.payments.iter().filter(|(_, at, _)| at.is_ok()).count();
        let lag = |p| percentile_ms(&f.lags, p);
        let (p50, p99, max, delivered) = (lag(50.0), lag(99.0), lag(100.0), f.lags.len());
        println!("{backend:<9} {paid:>5} {delivered:>10} {p50:>11.1} {p99:>11.1} {max:>7.1}");
    }
    println!();
    for (backend, f) in results {
        let paying: Vec<_> = f.payments.iter().map(|(_, _, latency)| *latency).collect();
        println!(
            "{backend}: {} creates, {} replays (p99 {:.2} ms), {} /health/live (p99 {:.2} ms); \
             /api/pay meanwhile p50 {:.2} ms, p99 {:.2} ms; {} webhooks received, {} badly signed",
            f.creates.tally.latencies.len(),
            f.replays.tally.latencies.len(),
            ms(&f.replays, 99.0),
            f.ceiling.tally.latencies.len(),
            ms(&f.ceiling, 99.0),
            percentile_ms(&paying, 50.0),
            percentile_ms(&paying, 99.0),
            f.deliveries,
            f.bad_signatures,
        );
        let failed = |name: &str, errors: Vec<&String>| {
            if let Some(first) = errors.first() {
                println!("{backend}: {} {name} FAILED, first: {first}", errors.len());
            }
        };
        failed("creates", f.creates.tally.failures.iter().collect());
        failed("replays", f.replays.tally.failures.iter().collect());
        failed("/health/live", f.ceiling.tally.failures.iter().collect());
        failed(
            "payments",
            f.payments
                .iter()
                .filter_map(|p| p.1.as_ref().err())
                .collect(),
        );
    }
    println!("ratio = creates/s / /health/live/s; webhook lag from /api/pay answering Paid");
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let o = options()?;
    eprintln!(
        "{} clients, {} s per phase, {} payments during the creates, {} warm-up operations per phase",
        o.clients, o.seconds, o.payments, o.warmup
    );
    let wants = |backend: &str| o.only.as_deref().is_none_or(|only| only == backend);
    let mut results = Vec::new();
    if wants("sqlite") {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
        std::fs::create_dir_all(&root)?;
        let dir = tempfile::Builder::new().prefix("api-").tempdir_in(root)?;
        eprintln!("sqlite: files in {}", dir.path().display());
        results.push((
            "sqlite",
            measure(&server::testing::sqlite_url(dir.path()), &o).await?,
        ));
    }
    if wants("postgres") {
        if std::env::var(server::testing::POSTGRES_ADMIN_URL_VAR).is_ok() {
            let url = server::testing::fresh_postgres_url().await;
            eprintln!(
                "postgres: database {}",
                url.rsplit('/').next().unwrap_or("")
            );
            results.push(("postgres", measure(&url, &o).await?));
        } else {
            eprintln!(
                "postgres: skipped, {} is not set (bench/api.sh starts a server)",
                server::testing::POSTGRES_ADMIN_URL_VAR
            );
        }
    }
    print(&results);
    Ok(())
}
