//! End-to-end payment throughput and latency, next to the raw durable-insert
//! rate of the same database on the same disk, measured in the same run.
//!
//! For each backend (SQLite, then PostgreSQL when `TOLEM_TEST_POSTGRES` names
//! a server, as `bench/throughput.sh` arranges) this starts the real server in
//! this process, with the in-process sandbox acquirer, and then:
//!
//! 1. creates one payable payment request per payment (not timed);
//! 2. **payments/s, p50, p99**: 64 payer tasks (`--payers`) post `/api/pay`
//!    over HTTP (keep-alive connections and a minimal client, see
//!    `common`) with an approved test card, each
//!    payment for its own code with a new idempotency key, `--payments` of
//!    them (default 20000, or `BENCH_PAYMENTS`). A payment counts when the
//!    answer is 200 and `Paid`; its latency runs from sending the request to
//!    reading the whole answer. Rate = payments / wall time of the phase;
//! 3. **raw inserts/s**: as many tasks commit single-row `INSERT`s, one
//!    transaction each, into a bench table, for as long as the payments took
//!    (at least 2 s), through a pool of the store's size: SQLite, 8
//!    connections to a second file in the same directory with the store's
//!    settings (WAL, `synchronous=FULL`); PostgreSQL, 16 connections to the
//!    same database.
//!
//! 4. **p50, p99 at a steady rate**: payments arriving at `--rate` per second
//!    (default 200) for `--rate-seconds` (default 5), each sent on time
//!    whether or not earlier ones have answered: the latency a citizen sees
//!    when the site is busy but not overloaded.
//!
//! Each phase starts with a warm-up (`--warmup`, default 1000) not counted:
//! the first second of a new database (connections opening, plans being
//! made, empty tables) is not what a busy day looks like, and in a short run
//! it decides the p99. At 20000 payments the timed phase lasts seconds.
//!
//! Each phase also reports the machine's CPU time per operation (all cores,
//! from `/proc/stat`): the machine's speed varies between runs by a quarter
//! or more, and this says what a payment costs next to a raw insert.
//!
//! How to read it: a payment is written twice (`authorising` before the
//! acquirer is called, then its answer). Done one by one, each write is a
//! durable commit like a raw insert and ratio 0.5 is the ceiling; the store
//! commits concurrent payments' writes together (group commit), so the ratio
//! says how much of the commit cost batching saves once the web, service
//! and acquirer layers have taken theirs. The payers are a closed loop, so
//! p50 is about 64 / (payments/s): p99 < 25 ms needs well over 2,560
//! payments/s. The load generator, the server and the database share this
//! machine's cores, and anything else running on it (a compiler) shows in
//! the figures. The target is ratio >= 0.5 and p99 < 25 ms; this
//! prints the figures and never fails on them.
//!
//! Run it with `bench/throughput.sh [--payments N] [--payers N] [--warmup N]
//! [--only sqlite|postgres]`.

mod common;
// The throughput bench's alone (the server runs in its process).
#[path = "common/resident.rs"]
mod resident;

use chrono::{DateTime, Utc};
use common::http::Connections;
use common::{BoxError, Phase, Tally, Timed, closed_loop, code, cpu_busy};
use resident::PeakResident;
use server::Application;
use server::config::Config;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The server binary's allocator, so that the server measured here is the
/// one that runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Options {
    payments: usize,
    payers: usize,
    warmup: usize,
    only: Option<String>,
    /// Arrivals per second of the steady-rate phase (0 skips it).
    rate: usize,
    /// How long the steady-rate phase lasts.
    rate_seconds: usize,
}

impl Options {
    fn parse() -> Result<Options, BoxError> {
        let mut options = Options {
            payments: match std::env::var("BENCH_PAYMENTS") {
                Ok(value) => value.parse()?,
                Err(_) => 20000,
            },
            payers: 64,
            warmup: 1000,
            only: None,
            rate: 200,
            rate_seconds: 5,
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--payments" => options.payments = value()?.parse()?,
                "--payers" => options.payers = value()?.parse()?,
                "--warmup" => options.warmup = value()?.parse()?,
                "--only" => options.only = Some(value()?),
                "--rate" => options.rate = value()?.parse()?,
                "--rate-seconds" => options.rate_seconds = value()?.parse()?,
                "-h" | "--help" => {
                    println!(
                        "throughput [--payments N (20000, or BENCH_PAYMENTS)] [--payers N (64)] \
                         [--warmup N (1000)] [--only sqlite|postgres] [--rate N/s (200; 0 = off)] \
                         [--rate-seconds N (5)]"
                    );
                    std::process::exit(0);
                }
                other => return Err(format!("unknown argument {other:?}").into()),
            }
        }
        if options.payments == 0 || options.payers == 0 {
            return Err("--payments and --payers must be positive".into());
        }
        Ok(options)
    }

    fn wants(&self, backend: &str) -> bool {
        self.only.as_deref().is_none_or(|only| only == backend)
    }
}

/// What a timed phase kept: the latency of each success and the failures.
#[derive(Default)]
struct Outcomes {
    latencies: Vec<Duration>,
    failures: usize,
    first_failure: Option<String>,
}

impl Tally for Outcomes {
    type Outcome = Result<(), String>;

    fn record(&mut self, outcome: Self::Outcome, latency: Duration) {
        match outcome {
            Ok(()) => self.latencies.push(latency),
            Err(error) => {
                self.failures += 1;
                self.first_failure.get_or_insert(error);
            }
        }
    }

    fn merge(&mut self, other: Self) {
        self.latencies.extend(other.latencies);
        self.failures += other.failures;
        self.first_failure = self.first_failure.take().or(other.first_failure);
    }
}

type Run = Timed<Outcomes>;

impl Run {
    /// Machine CPU time per success, in microseconds.
    fn cpu_per_op_us(&self) -> Option<f64> {
        let cpu = self.cpu?;
        let done = self.tally.latencies.len();
        (done > 0).then(|| cpu.as_secs_f64() * 1e6 / done as f64)
    }

    fn rate(&self) -> f64 {
        self.tally.latencies.len() as f64 / self.wall.as_secs_f64()
    }

    /// Nearest-rank percentile, in milliseconds.
    fn percentile_ms(&self, p: f64) -> f64 {
        common::percentile_ms(&self.tally.latencies, p)
    }
}

/// One timed operation, given its sequence number.
type Op = Arc<dyn Fn(usize) -> BoxFuture + Send + Sync>;
type BoxFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

fn op<F, Fut>(f: F) -> Op
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(move |n| Box::pin(f(n)))
}

/// The operations of `phase` in a closed loop of `workers` (an `Op` is not a
/// closure itself, hence the one around it).
async fn drive(workers: usize, phase: Phase, op: Op) -> Run {
    closed_loop(workers, phase, move |n| op(n)).await
}

/// Starts operation `first + i` at `i / per_second` seconds, whether or not
/// earlier ones have answered (an open loop: latency is not hidden by
/// payers waiting their turn, as it is with a fixed number of payers).
async fn drive_at_rate(per_second: usize, first: usize, count: usize, op: Op) -> Run {
    let busy_before = cpu_busy();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..count {
        let due = started + Duration::from_secs_f64(i as f64 / per_second as f64);
        tokio::time::sleep_until(due.into()).await;
        let op = op.clone();
        tasks.spawn(async move {
            let at = Instant::now();
            (op(first + i).await, at.elapsed())
        });
    }
    let mut tally = Outcomes::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((outcome, latency)) => tally.record(outcome, latency),
            Err(error) => tally.record(Err(error.to_string()), Duration::ZERO),
        }
    }
    Timed {
        tally,
        wall: started.elapsed(),
        cpu: common::cpu_busy_since(busy_before),
    }
}

/// With the limits on card testing as in production (every payer has an
/// address and a card of its own, so none is reached), behind a proxy.
fn config(database_url: &str) -> Config {
    Config {
        demo_data: false,
        support_phones: vec!["(0312) 98-61-90".into()],
        behind_proxy: true,
        abuse: server::abuse::AbuseLimits::default(),
        ..Config::local(database_url, "target/site")
    }
}

/// Paying code number `n` over HTTP, counting only a payment paid.
fn payment(connections: Arc<Connections>) -> Op {
    op(move |n| {
        let connections = connections.clone();
        async move { common::pay(&connections, n).await.map(drop) }
    })
}

struct Figures {
    payments: Run,
    /// The most this process (server, sandbox acquirer and load generator)
    /// held resident while the payers paid, in MB.
    resident_mb: f64,
    inserts: Run,
    /// Payments arriving at a steady rate, when measured.
    steady: Option<Run>,
}

/// Starts the server on `database_url`, creates the requests, measures the
/// payments, then the raw inserts of `raw` for as long as the payments took
/// (at least two seconds).
async fn measure(database_url: &str, options: &Options, raw: Op) -> Result<Figures, BoxError> {
    let application = Application::build(config(database_url)).await?;
    let address = SocketAddr::from(([127, 0, 0, 1], application.port()));
    let store = application.payments.store.clone();
    let server = tokio::spawn(application.run());

    let steady_count = options.rate * options.rate_seconds;
    let total = options.warmup + options.payments + steady_count;
    let setup = Instant::now();
    common::seed(store, total).await?;
    eprintln!(
        "  {total} payment requests created in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    let pay = payment(Arc::new(Connections::new(address)));
    let warmup = Phase::Count {
        first: 0,
        count: options.warmup,
    };
    if let Some(error) = drive(options.payers, warmup, pay.clone())
        .await
        .tally
        .first_failure
    {
        return Err(format!("warm-up payment failed: {error}").into());
    }
    let timed = Phase::Count {
        first: options.warmup,
        count: options.payments,
    };
    let peak = PeakResident::start();
    let payments = drive(options.payers, timed, pay.clone()).await;
    let resident_mb = peak.stop().await;
    eprintln!(
        "  payments: {:.0}/s over {:.1} s",
        payments.rate(),
        payments.wall.as_secs_f64()
    );
    let steady = if steady_count > 0 {
        let run = drive_at_rate(
            options.rate,
            options.warmup + options.payments,
            steady_count,
            pay,
        )
        .await;
        eprintln!(
            "  steady {}/s: p50 {:.2} ms, p99 {:.2} ms",
            options.rate,
            run.percentile_ms(50.0),
            run.percentile_ms(99.0)
        );
        Some(run)
    } else {
        None
    };
    server.abort();

    let span = payments.wall.max(Duration::from_secs(2));
    drive(options.payers, warmup, raw.clone()).await;
    let timed = Phase::Until {
        first: options.warmup,
        until: Instant::now() + span,
    };
    let inserts = drive(options.payers, timed, raw).await;
    eprintln!(
        "  raw inserts: {:.0}/s over {:.1} s",
        inserts.rate(),
        inserts.wall.as_secs_f64()
    );
    Ok(Figures {
        payments,
        resident_mb,
        inserts,
        steady,
    })
}

/// A fresh directory under the workspace's `target/bench-data/`, on the same
/// disk as the build.
fn fresh_dir() -> Result<PathBuf, BoxError> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dir = root.join(format!("throughput-{}", &id[..8]));
    std::fs::create_dir_all(&dir)?;
    Ok(dir.canonicalize()?)
}

fn row(n: usize) -> (String, String, DateTime<Utc>) {
    (
        format!("{n:032x}"),
        // About the size of a payments row.
        format!(
            "payment {n} for {} by AIBEK ASANOV, Visa 411111******1111",
            code(n)
        ),
        Utc::now(),
    )
}

/// Single-row autocommit inserts into `bench_insert` of a new SQLite file in
/// `dir`, with the store's durability settings (WAL, a full sync per commit).
async fn sqlite_raw(dir: &Path) -> Result<Op, BoxError> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    let url = format!("sqlite://{}?mode=rwc", dir.join("raw.db").display());
    let options = url
        .parse::<SqliteConnectOptions>()?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(std::time::Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    raw_inserts(pool, "TEXT", "?, ?, ?").await
}

/// Single-row autocommit inserts into a new table `bench_insert` of `pool`'s
/// database, which stores a time as `time_type` and writes its placeholders
/// as `placeholders`.
async fn raw_inserts<DB>(
    pool: sqlx::Pool<DB>,
    time_type: &str,
    placeholders: &str,
) -> Result<Op, BoxError>
where
    DB: sqlx::Database,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DateTime<Utc>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let create = format!(
        "CREATE TABLE bench_insert (id TEXT PRIMARY KEY, payload TEXT NOT NULL, at {time_type} NOT NULL)"
    );
    sqlx::query(&create).execute(&pool).await?;
    let insert: Arc<str> =
        format!("INSERT INTO bench_insert (id, payload, at) VALUES ({placeholders})").into();
    Ok(op(move |n| {
        let (pool, insert) = (pool.clone(), insert.clone());
        async move {
            let (id, payload, at) = row(n);
            sqlx::query(&insert)
                .bind(id)
                .bind(payload)
                .bind(at)
                .execute(&pool)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }))
}

async fn sqlite(options: &Options) -> Result<Figures, BoxError> {
    let dir = fresh_dir()?;
    eprintln!("sqlite: files in {}", dir.display());
    let raw = sqlite_raw(&dir).await?;
    let figures = measure(&server::testing::sqlite_url(&dir), options, raw).await;
    if let Err(error) = std::fs::remove_dir_all(&dir) {
        eprintln!("  could not remove {}: {error}", dir.display());
    }
    figures
}

async fn postgres(options: &Options) -> Result<Figures, BoxError> {
    let url = server::testing::fresh_postgres_url().await;
    eprintln!(
        "postgres: database {}",
        url.rsplit('/').next().unwrap_or("")
    );
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(&url)
        .await?;
    let raw = raw_inserts(pool, "TIMESTAMPTZ", "$1, $2, $3").await?;
    measure(&url, options, raw).await
}

fn report(
    backend: &str,
    Figures {
        payments, inserts, ..
    }: &Figures,
) {
    println!(
        "{backend:<9} {:>10.0} {:>7.2} {:>7.2} {:>14.0} {:>6.2}",
        payments.rate(),
        payments.percentile_ms(50.0),
        payments.percentile_ms(99.0),
        inserts.rate(),
        payments.rate() / inserts.rate(),
    );
}

fn details(
    backend: &str,
    Figures {
        payments,
        resident_mb,
        inserts,
        steady,
    }: &Figures,
) {
    println!(
        "{backend}: resident memory at most {resident_mb:.1} MB while the payers paid \
         (this one process: server, sandbox acquirer, load generator; target 64 MB)"
    );
    println!(
        "{backend}: {} payments in {:.2} s, max {:.1} ms; {} raw inserts in {:.2} s, \
         p50 {:.2} ms, p99 {:.2} ms",
        payments.tally.latencies.len(),
        payments.wall.as_secs_f64(),
        payments.percentile_ms(100.0),
        inserts.tally.latencies.len(),
        inserts.wall.as_secs_f64(),
        inserts.percentile_ms(50.0),
        inserts.percentile_ms(99.0),
    );
    if let (Some(payment), Some(insert)) = (payments.cpu_per_op_us(), inserts.cpu_per_op_us()) {
        println!(
            "{backend}: machine CPU time (all cores: server, load generator, database, kernel) \
             {payment:.0} us per payment, {insert:.0} us per raw insert"
        );
    }
    if let Some(steady) = steady {
        println!(
            "{backend}: {} payments arriving at a steady {:.0}/s (open loop): p50 {:.2} ms, \
             p99 {:.2} ms, max {:.1} ms",
            steady.tally.latencies.len(),
            steady.rate(),
            steady.percentile_ms(50.0),
            steady.percentile_ms(99.0),
            steady.percentile_ms(100.0),
        );
    }
    for (name, run) in [("payments", payments), ("raw inserts", inserts)]
        .into_iter()
        .chain(steady.iter().map(|run| ("steady payments", run)))
    {
        if let Some(error) = &run.tally.first_failure {
            println!(
                "{backend}: {} {name} FAILED, first: {error}",
                run.tally.failures
            );
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = Options::parse()?;
    eprintln!(
        "{} payments per backend, {} concurrent payers, {} warm-up operations per phase",
        options.payments, options.payers, options.warmup
    );
    let mut results = Vec::new();
    if options.wants("sqlite") {
        results.push(("sqlite", sqlite(&options).await?));
    }
    if options.wants("postgres") {
        if std::env::var(server::testing::POSTGRES_ADMIN_URL_VAR).is_ok() {
            results.push(("postgres", postgres(&options).await?));
        } else {
            eprintln!(
                "postgres: skipped, {} is not set (bench/throughput.sh starts a server)",
                server::testing::POSTGRES_ADMIN_URL_VAR
            );
        }
    }
    println!();
    println!("backend   payments/s  p50 ms  p99 ms  raw inserts/s  ratio");
    for (backend, figures) in &results {
        report(backend, figures);
    }
    println!();
    for (backend, figures) in &results {
        details(backend, figures);
    }
    println!("target: ratio >= 0.5 and p99 < 25 ms");
    Ok(())
}
