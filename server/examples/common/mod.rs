//! What both load generators share, so that `load.rs` and `throughput.rs`
//! pay alike and time alike: the payable codes and their seeding; a payment
//! posted to `/api/pay` as the pay form's island posts it, counted only when
//! its answer deserializes to `Paid`; the closed loop that times operations
//! on concurrent workers, with the machine's busy CPU time meanwhile;
//! nearest-rank percentiles; and (`http`) the minimal client both send
//! through. What only one of them needs stays in that example. A folder
//! without `main.rs`, so that cargo does not take it for an example.

pub mod http;

use domain::{Money, PaymentCode, RequestStatus, ServiceKind};
use http::Connections;
use server::storage::{PaymentRequest, PaymentStore};
use std::error::Error;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub type BoxError = Box<dyn Error + Send + Sync>;

/// Payment `n`'s card: one of its own, which the sandbox approves without
/// a challenge (any valid number outside its test cards).
fn card(n: usize) -> String {
    let body = format!("42424242{:07}", n % 10_000_000);
    (0..10)
        .map(|check| format!("{body}{check}"))
        .find(|number| domain::luhn_valid(number))
        .unwrap_or(body)
}

/// Payment `n`'s client, as a proxy names it: an address of its own in the
/// benchmarking range (198.18.0.0/15; nothing is sent there, it is only a
/// header), so the limits on card testing count each payer apart, as they
/// would count citizens.
fn client(n: usize) -> String {
    format!("198.{}.{}.{}", 18 + (n >> 16) % 2, (n >> 8) & 255, n & 255)
}

/// Payment code number `n`: a Meken card's (prefix 13), as `bench/load.sh`
/// asks for them in its `wrk` bursts.
pub fn code(n: usize) -> String {
    format!("132028{n:08}")
}

/// One payable payment request for each code `0..count`, on 16 workers since
/// one at a time waits a durable commit per request.
pub async fn seed(store: Arc<dyn PaymentStore>, count: usize) -> Result<(), BoxError> {
    let now = chrono::Utc::now();
    let amount = Money::from_tyiyn(150_000).map_err(|e| format!("amount: {e:?}"))?;
    let create = move |n| {
        let store = store.clone();
        async move {
            let request = PaymentRequest {
                code: PaymentCode::parse(&code(n)).map_err(|e| e.to_string())?,
                service: ServiceKind::MekenCard,
                applicant_name: "АСАНОВ АЙБЕК".into(),
                amount,
                status: RequestStatus::AwaitingPayment,
                expires_at: now + chrono::Duration::days(1),
            };
            store
                .insert_request(&request, now)
                .await
                .map_err(|e| e.to_string())
        }
    };
    let run: Timed<FirstError> = closed_loop(16, Phase::Count { first: 0, count }, create).await;
    match run.tally.0 {
        None => Ok(()),
        Some(error) => Err(format!("creating payment requests: {error}").into()),
    }
}

/// Pays code number `n` with an approved card of its own, from an address of
/// its own and with a new idempotency key, as the pay form's island does. The receipt's id, or why the payment was not
/// paid.
pub async fn pay(connections: &Connections, n: usize) -> Result<String, String> {
    let body = serde_json::json!({
        "form": {
            "code": code(n),
            "cardholder": "AIBEK ASANOV",
            "number": card(n),
            "exp_month": "12",
            "exp_year": "30",
            "cvv": "987",
            // As the rendered pay form carries it.
            "idempotency_key": server::payments::new_idempotency_key().to_string(),
            "privacy_policy_edition": "1",
            "user_agreement_edition": "1",
        }
    })
    .to_string();
    let answer = connections.post_json("/api/pay", &body, &client(n)).await?;
    // Only `Paid` carries a receipt: a decline or a challenge answers 200 too.
    let receipt = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["Paid"]["receipt_id"].as_str().map(str::to_owned));
    match (answer.status, receipt) {
        (200, Some(id)) => Ok(id),
        (status, _) => Err(format!("{status}: {}", answer.body)),
    }
}

/// Which numbers a closed loop runs: `first..first + count`, or from `first`
/// as many as fit before `until`.
#[derive(Clone, Copy)]
pub enum Phase {
    Count { first: usize, count: usize },
    Until { first: usize, until: Instant },
}

/// What each worker of a closed loop keeps of its operations, merged when
/// they are done. Kept per worker so that recording takes no lock.
pub trait Tally: Default + Send + 'static {
    type Outcome: Send;
    fn record(&mut self, outcome: Self::Outcome, latency: Duration);
    fn merge(&mut self, other: Self);
}

/// A timed phase: what was kept, its wall time, and the busy time of all the
/// machine's cores meanwhile (server, load generator, database and kernel
/// together) when Linux tells it.
pub struct Timed<T> {
    pub tally: T,
    pub wall: Duration,
    pub cpu: Option<Duration>,
}

/// Runs `op` on the numbers of `phase` on `workers` concurrent tasks, each
/// taking the next number when it is free (a closed loop, as citizens who
/// wait for a page before asking for the next), timing each from its start to
/// its whole answer.
pub async fn closed_loop<T, F, Fut>(workers: usize, phase: Phase, op: F) -> Timed<T>
where
    T: Tally,
    F: Fn(usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = T::Outcome> + Send,
{
    let (first, count, until) = match phase {
        Phase::Count { first, count } => (first, count, None),
        Phase::Until { first, until } => (first, usize::MAX, Some(until)),
    };
    let next = Arc::new(AtomicUsize::new(0));
    let busy_before = cpu_busy();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers.min(count) {
        let (next, op) = (next.clone(), op.clone());
        tasks.spawn(async move {
            let mut tally = T::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= count || until.is_some_and(|until| Instant::now() >= until) {
                    return tally;
                }
                let at = Instant::now();
                let outcome = op(first + n).await;
                tally.record(outcome, at.elapsed());
            }
        });
    }
    let mut tally = T::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(worker) => tally.merge(worker),
            // A figure without a worker's share would mislead.
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
    Timed {
        tally,
        wall: started.elapsed(),
        cpu: cpu_busy_since(busy_before),
    }
}

/// The first failure, if any.
#[derive(Default)]
struct FirstError(Option<String>);

impl Tally for FirstError {
    type Outcome = Result<(), String>;

    fn record(&mut self, outcome: Self::Outcome, _: Duration) {
        if let Err(error) = outcome {
            self.0.get_or_insert(error);
        }
    }

    fn merge(&mut self, other: Self) {
        self.0 = self.0.take().or(other.0);
    }
}

/// Busy time of all cores since boot, from `/proc/stat` (Linux).
pub fn cpu_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().unwrap_or(0))
        .collect();
    // user nice system idle iowait irq softirq steal ...: all but idle and
    // iowait are work. The kernel counts in USER_HZ (100 per second).
    let busy: u64 = fields
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(i, 3 | 4))
        .take(8)
        .map(|(_, ticks)| ticks)
        .sum();
    Some(Duration::from_millis(busy * 10))
}

/// Busy time of all cores since `before` was read by [`cpu_busy`].
pub fn cpu_busy_since(before: Option<Duration>) -> Option<Duration> {
    before
        .zip(cpu_busy())
        .map(|(before, after)| after.saturating_sub(before))
}

/// Nearest-rank percentile of `latencies`, in milliseconds (`NaN` if none).
pub fn percentile_ms(latencies: &[Duration], p: f64) -> f64 {
    if latencies.is_empty() {
        return f64::NAN;
    }
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}
