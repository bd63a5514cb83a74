//! A busy day against a running server (`bench/load.sh` starts a release
//! build and drives this in its phases):
//!
//! - `seed --database-url URL --count N`: N payable payment requests
//!   (codes `132028nnnnnnnn`), written before the server starts;
//! - `mixed --address A --connections C --seconds S --codes N`: C keep-alive
//!   connections, each a citizen in a closed loop over lookups, pay pages,
//!   payments (`POST /api/pay`, an approved card, each for its own code),
//!   receipts, documents and the home page; then the same connections
//!   against a plain axum server in this process serving the bytes of the
//!   policy page, as the ceiling of this machine in the same run. Prints
//!   requests per second and p50/p99/max per page type, and the errors
//!   (any answer but 200, and any payment not paid);
//! - `hangups --address A --connections C --seconds S`: clients that send a
//!   request (whole, or cut anywhere) and reset the connection after 0 to 5
//!   ms, as phones losing signal do;
//! - `ssr --address A --connections C --seconds S --paths P1,P2,...`: each
//!   page rendered by the server for S seconds, then axum in this process
//!   serving that page's very bytes from memory for as long (the ceiling);
//!   prints both rates and their ratio (`bench/ssr.sh`);
//! - `soak --address A --rate R --seconds S --codes N --pid P`: the mixed
//!   load's requests arriving at R a second for S seconds, each minute's
//!   requests, errors, p99 and the server's (P) memory (`bench/soak.sh`);
//! - `check --address A --codes N`: every page type answers 200 within one
//!   second (a lookup, a pay page, a payment, its receipt, a document,
//!   readiness).

mod common;

use common::http::{Answer, Connections};
use common::{BoxError, Phase, Tally, closed_loop, code, percentile_ms};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// The page types of the mixed load, with their share of requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Page {
    Lookup,
    PayForm,
    Document,
    Receipt,
    Payment,
    Home,
}

const MIX: [(Page, usize); 6] = [
    (Page::Lookup, 30),
    (Page::PayForm, 20),
    (Page::Document, 20),
    (Page::Receipt, 15),
    (Page::Payment, 10),
    (Page::Home, 5),
];

fn page_for(n: usize) -> Page {
    let total: usize = MIX.iter().map(|(_, share)| share).sum();
    let mut at = (n.wrapping_mul(2_654_435_761)) % total;
    for (page, share) in MIX {
        if at < share {
            return page;
        }
        at -= share;
    }
    Page::Home
}

struct Args(Vec<String>);

impl Args {
    fn value(&self, name: &str) -> Result<String, BoxError> {
        let at = self
            .0
            .iter()
            .position(|a| a == name)
            .ok_or(format!("{name} is required"))?;
        Ok(self
            .0
            .get(at + 1)
            .ok_or(format!("{name} needs a value"))?
            .clone())
    }

    fn number(&self, name: &str, default: usize) -> Result<usize, BoxError> {
        match self.value(name) {
            Ok(value) => Ok(value.parse()?),
            Err(_) => Ok(default),
        }
    }

    fn address(&self) -> Result<SocketAddr, BoxError> {
        Ok(self.value("--address")?.parse()?)
    }
}

async fn seed(args: &Args) -> Result<(), BoxError> {
    let store = server::storage::connect(&args.value("--database-url")?).await?;
    let count = args.number("--count", 20_000)?;
    common::seed(store, count).await?;
    println!("seeded {count} payable codes");
    Ok(())
}

/// What the mixed load shares: the next unpaid code and the receipts made.
struct Shared {
    connections: Connections,
    next_code: AtomicUsize,
    codes: usize,
    receipts: Mutex<Vec<String>>,
}

impl Shared {
    /// The state of a mixed load on `codes` payable codes, with a few
    /// receipts to read from the start (paid before any timing).
    async fn start(address: SocketAddr, codes: usize) -> Result<Arc<Shared>, BoxError> {
        let shared = Arc::new(Shared {
            connections: Connections::new(address),
            next_code: AtomicUsize::new(0),
            codes,
            receipts: Mutex::new(Vec::new()),
        });
        for _ in 0..20 {
            pay(&shared).await?;
        }
        Ok(shared)
    }
}

async fn pay(shared: &Shared) -> Result<(), String> {
    let n = shared.next_code.fetch_add(1, Ordering::Relaxed);
    if n >= shared.codes {
        return Err("out of payable codes".into());
    }
    let id = common::pay(&shared.connections, n)
        .await
        .map_err(|error| format!("payment: {error:.120}"))?;
    if let Ok(mut receipts) = shared.receipts.lock() {
        receipts.push(id);
    }
    Ok(())
}

fn ok(page: &str, answer: Answer) -> Result<(), String> {
    match answer.status {
        200 => Ok(()),
        status => Err(format!("{page}: {status}")),
    }
}

async fn visit(shared: &Shared, page: Page, n: usize) -> Result<(), String> {
    let c = &shared.connections;
    match page {
        Page::Lookup => ok(
            "lookup",
            c.get(&format!("/?code={}", code(n % shared.codes))).await?,
        ),
        Page::PayForm => {
            let at = shared.codes - 1 - n % (shared.codes / 2);
            ok("pay page", c.get(&format!("/pay/{}", code(at))).await?)
        }
        Page::Document => ok("document", c.get("/documents/privacy-policy").await?),
        Page::Receipt => {
            let id = shared
                .receipts
                .lock()
                .ok()
                .and_then(|r| (!r.is_empty()).then(|| r[n % r.len()].clone()));
            match id {
                Some(id) => ok("receipt", c.get(&format!("/receipt/{id}")).await?),
                None => pay(shared).await,
            }
        }
        Page::Payment => pay(shared).await,
        Page::Home => ok("home", c.get("/").await?),
    }
}

/// Per page type: the latency of each success, the count of failures, and a
/// few failures to show.
#[derive(Default)]
struct Pages {
    latencies: BTreeMap<String, Vec<Duration>>,
    errors: BTreeMap<String, usize>,
    first_errors: Vec<String>,
}

impl Tally for Pages {
    type Outcome = (String, Result<(), String>);

    fn record(&mut self, (kind, result): Self::Outcome, latency: Duration) {
        match result {
            Ok(()) => self.latencies.entry(kind).or_default().push(latency),
            Err(error) => {
                *self.errors.entry(kind).or_default() += 1;
                if self.first_errors.len() < 3 {
                    self.first_errors.push(error);
                }
            }
        }
    }

    fn merge(&mut self, other: Self) {
        for (kind, latencies) in other.latencies {
            self.latencies.entry(kind).or_default().extend(latencies);
        }
        for (kind, errors) in other.errors {
            *self.errors.entry(kind).or_default() += errors;
        }
        self.first_errors.extend(other.first_errors);
    }
}

/// From now for `seconds`, the numbers counting requests from 0.
fn for_seconds(seconds: u64) -> Phase {
    Phase::Until {
        first: 0,
        until: Instant::now() + Duration::from_secs(seconds),
    }
}

fn print_tally(title: &str, tally: &Pages, wall: Duration) -> f64 {
    println!("{title}");
    println!(
        "  {:<10} {:>9} {:>9} {:>8} {:>8} {:>8} {:>7}",
        "page", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors"
    );
    let mut everything = Vec::new();
    let mut errors = 0;
    let kinds: std::collections::BTreeSet<&String> =
        tally.latencies.keys().chain(tally.errors.keys()).collect();
    for kind in kinds {
        let latencies = tally.latencies.get(kind).cloned().unwrap_or_default();
        let failed = tally.errors.get(kind).copied().unwrap_or(0);
        errors += failed;
        println!(
            "  {:<10} {:>9} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>7}",
            kind,
            latencies.len(),
            latencies.len() as f64 / wall.as_secs_f64(),
            percentile_ms(&latencies, 50.0),
            percentile_ms(&latencies, 99.0),
            percentile_ms(&latencies, 100.0),
            failed
        );
        everything.extend(latencies);
    }
    let rate = everything.len() as f64 / wall.as_secs_f64();
    println!(
        "  {:<10} {:>9} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>7}",
        "all",
        everything.len(),
        rate,
        percentile_ms(&everything, 50.0),
        percentile_ms(&everything, 99.0),
        percentile_ms(&everything, 100.0),
        errors
    );
    for error in tally.first_errors.iter().take(5) {
        println!("  e.g. {error}");
    }
    rate
}

/// The machine's ceiling in this run: the same connections against axum
/// serving `page`'s bytes from memory.
async fn ceiling(
    page: String,
    connections: usize,
    seconds: u64,
    label: &str,
) -> Result<f64, BoxError> {
    // The server's own backlog, so that both take bursts of connects alike.
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(([127, 0, 0, 1], 0).into())?;
    let listener = socket.listen(4096)?;
    let address = listener.local_addr()?;
    let page = Arc::new(page);
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let page = page.clone();
            async move { axum::response::Html(page.as_str().to_owned()) }
        }),
    );
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let client = Arc::new(Connections::new(address));
    let run = closed_loop(connections, for_seconds(seconds), move |_| {
        let client = client.clone();
        async move {
            let result = client.get("/").await.and_then(|a| ok("static", a));
            ("static".to_string(), result)
        }
    })
    .await;
    server.abort();
    Ok(print_tally(label, &run.tally, run.wall))
}

async fn mixed(args: &Args) -> Result<(), BoxError> {
    let address = args.address()?;
    let connections = args.number("--connections", 256)?;
    let seconds = args.number("--seconds", 60)? as u64;
    let shared = Shared::start(address, args.number("--codes", 20_000)?).await?;
    let load = shared.clone();
    let run = closed_loop(connections, for_seconds(seconds), move |n| {
        let shared = load.clone();
        async move {
            let page = page_for(n);
            let result = visit(&shared, page, n).await;
            (format!("{page:?}").to_lowercase(), result)
        }
    })
    .await;
    let rate = print_tally(
        &format!("mixed load: {connections} connections for {seconds} s"),
        &run.tally,
        run.wall,
    );
    if let Some(cpu) = run.cpu {
        println!(
            "  machine CPU busy {:.0} % of {} cores",
            100.0 * cpu.as_secs_f64() / run.wall.as_secs_f64() / num_cores(),
            num_cores()
        );
    }
    let page = shared
        .connections
        .get("/documents/privacy-policy")
        .await?
        .body;
    let ceiling = ceiling(
        page,
        connections,
        seconds.min(10),
        "ceiling: axum serving the policy page's bytes",
    )
    .await?;
    println!(
        "  ratio of the mixed load to the ceiling: {:.2}",
        rate / ceiling
    );
    Ok(())
}

/// Each page as the server renders it, beside its own bytes served
/// statically, with the same connections in the same run: `--rounds` of the
/// two one after the other, after a second of the page not counted, and the
/// median of the rounds' ratios (this machine's speed drifts by a quarter
/// within a minute; alternating keeps both sides under the same drift).
async fn ssr(args: &Args) -> Result<(), BoxError> {
    let address = args.address()?;
    let connections = args.number("--connections", 64)?;
    let seconds = args.number("--seconds", 5)? as u64;
    let rounds = args.number("--rounds", 3)?.max(1);
    let mut figures = Vec::new();
    for path in args.value("--paths")?.split(',') {
        // Connections of its own: the last page's sat idle through its
        // ceiling, past the server's idle timeout, and were closed.
        let client = Arc::new(Connections::new(address));
        let page = client.get(path).await?;
        if page.status != 200 {
            return Err(format!("{path} answered {}", page.status).into());
        }
        let load = |seconds| {
            let client = client.clone();
            let target = path.to_string();
            closed_loop(connections, for_seconds(seconds), move |_| {
                let client = client.clone();
                let path = target.clone();
                async move {
                    let result = client.get(&path).await.and_then(|a| ok("page", a));
                    ("page".to_string(), result)
                }
            })
        };
        load(1).await;
        let mut pairs = Vec::new();
        for round in 1..=rounds {
            let run = load(seconds).await;
            let rendered = print_tally(
                &format!(
                    "{path} (round {round}): rendered by the server, {} bytes",
                    page.body.len()
                ),
                &run.tally,
                run.wall,
            );
            let ceiling = ceiling(
                page.body.clone(),
                connections,
                seconds,
                &format!("{path} (round {round}): the same bytes from axum"),
            )
            .await?;
            pairs.push((rendered, ceiling));
        }
        pairs.sort_by(|a, b| (a.0 / a.1).total_cmp(&(b.0 / b.1)));
        figures.push((path.to_string(), pairs));
    }
    println!();
    println!(
        "{:<28} {:>12} {:>12} {:>7}   ratio of each round",
        "page", "rendered/s", "static/s", "median"
    );
    for (path, pairs) in figures {
        let (rendered, ceiling) = pairs[pairs.len() / 2];
        let each: Vec<String> = pairs.iter().map(|(r, c)| format!("{:.3}", r / c)).collect();
        println!(
            "{path:<28} {rendered:>12.0} {ceiling:>12.0} {:>7.3}   {}",
            rendered / ceiling,
            each.join(" ")
        );
    }
    Ok(())
}

fn num_cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64)
}

/// One phone losing signal: connects, sends `request` up to `cut_at`, waits
/// `after`, resets the connection.
async fn hang_up(address: SocketAddr, request: &[u8], cut_at: usize, after: Duration) {
    let Ok(stream) = tokio::net::TcpStream::connect(address).await else {
        return;
    };
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    let mut stream = stream;
    let _ = stream
        .write_all(&request[..cut_at.min(request.len())])
        .await;
    tokio::time::sleep(after).await;
}

async fn hangups(args: &Args) -> Result<(), BoxError> {
    let address = args.address()?;
    let connections = args.number("--connections", 64)?;
    let until = Instant::now() + Duration::from_secs(args.number("--seconds", 60)? as u64);
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..connections {
        let done = done.clone();
        tasks.spawn(async move {
            let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ worker as u64;
            let mut random = move |below: u64| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed % below.max(1)
            };
            while Instant::now() < until {
                let path = match random(4) {
                    0 => "/".to_string(),
                    1 => format!("/?code={}", code(random(1000) as usize)),
                    2 => "/documents/privacy-policy".into(),
                    _ => format!("/pay/{}", code(random(1000) as usize)),
                };
                let request = format!("GET {path} HTTP/1.1\r\nHost: tolem\r\n\r\n").into_bytes();
                let cut_at = match random(3) {
                    0 => random(request.len() as u64) as usize,
                    _ => request.len(),
                };
                let after = Duration::from_micros(random(5_000));
                hang_up(address, &request, cut_at, after).await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    println!(
        "hang-ups: {} connections reset mid-request",
        done.load(Ordering::Relaxed)
    );
    Ok(())
}

async fn check(args: &Args) -> Result<(), BoxError> {
    let address = args.address()?;
    let codes = args.number("--codes", 20_000)?;
    let shared = Shared {
        connections: Connections::new(address),
        // The last codes: the mixed load paid from the first.
        next_code: AtomicUsize::new(codes - 1),
        codes,
        receipts: Mutex::new(Vec::new()),
    };
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut timed = Vec::new();
    for (page, path) in [
        ("lookup", format!("/?code={}", code(codes - 2))),
        ("pay page", format!("/pay/{}", code(codes - 2))),
        ("document", "/documents/privacy-policy".into()),
        ("readiness", "/health".into()),
    ] {
        let at = Instant::now();
        match shared.connections.get(&path).await {
            Ok(answer) if answer.status == 200 => timed.push((page, at.elapsed())),
            Ok(answer) => failures.push(format!("{page}: {}", answer.status)),
            Err(error) => failures.push(format!("{page}: {error}")),
        }
    }
    let at = Instant::now();
    match pay(&shared).await {
        Ok(()) => timed.push(("payment", at.elapsed())),
        Err(error) => failures.push(error),
    }
    let receipt = shared.receipts.lock().ok().and_then(|r| r.first().cloned());
    if let Some(id) = receipt {
        let at = Instant::now();
        match shared.connections.get(&format!("/receipt/{id}")).await {
            Ok(answer) if answer.status == 200 => timed.push(("receipt", at.elapsed())),
            Ok(answer) => failures.push(format!("receipt: {}", answer.status)),
            Err(error) => failures.push(format!("receipt: {error}")),
        }
    }
    for (page, took) in &timed {
        println!("  {page:<10} 200 in {:.1} ms", took.as_secs_f64() * 1000.0);
    }
    let slow = timed.iter().any(|(_, took)| *took > Duration::from_secs(1));
    if failures.is_empty() && !slow && started.elapsed() < Duration::from_secs(5) {
        println!("check: every page answers");
        Ok(())
    } else {
        Err(format!("check failed: {failures:?} (slow: {slow})").into())
    }
}

/// The server's resident memory in MB, from `/proc`.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Requests of the mixed load arriving at a steady rate (not as fast as the
/// server answers), for a long time; every minute a line with the minute's
/// requests, errors and p99 and the server's memory. Ends with the errors in
/// all and the memory at the end against the memory after the first minute.
async fn soak(args: &Args) -> Result<(), BoxError> {
    let address = args.address()?;
    let rate = args.number("--rate", 200)?.max(1);
    let seconds = args.number("--seconds", 1800)? as u64;
    let pid = args.number("--pid", 0)? as u32;
    let shared = Shared::start(address, args.number("--codes", 40_000)?).await?;
    let minute: Arc<Mutex<Pages>> = Arc::default();
    let total_errors = Arc::new(AtomicUsize::new(0));
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let start = Instant::now();
    let mut next_report = start + Duration::from_secs(60);
    let (mut first_minute, mut last) = (None, None);
    println!(
        "soak: {rate} requests/s for {seconds} s (mix: {MIX:?})\n  {:>6} {:>9} {:>7} {:>8} {:>9}",
        "minute", "requests", "errors", "p99 ms", "RSS MB"
    );
    let mut n = 0usize;
    while start.elapsed() < Duration::from_secs(seconds) {
        ticks.tick().await;
        let (shared, tally, total_errors) = (shared.clone(), minute.clone(), total_errors.clone());
        tokio::spawn(async move {
            let page = page_for(n);
            let began = Instant::now();
            let result = visit(&shared, page, n).await;
            if result.is_err() {
                total_errors.fetch_add(1, Ordering::Relaxed);
            }
            if let Ok(mut minute) = tally.lock() {
                minute.record(
                    (format!("{page:?}").to_lowercase(), result),
                    began.elapsed(),
                );
            }
        });
        n += 1;
        if Instant::now() >= next_report {
            let done = std::mem::take(&mut *minute.lock().map_err(|_| "poisoned")?);
            let latencies: Vec<Duration> = done.latencies.values().flatten().copied().collect();
            let errors: usize = done.errors.values().sum();
            let rss = rss_mb(pid);
            first_minute = first_minute.or(rss);
            last = rss;
            println!(
                "  {:>6} {:>9} {:>7} {:>8.1} {:>9}",
                (next_report - start).as_secs() / 60,
                latencies.len() + errors,
                errors,
                percentile_ms(&latencies, 99.0),
                rss.map_or("-".into(), |mb| format!("{mb:.1}"))
            );
            for error in done.first_errors.iter().take(2) {
                println!("         e.g. {error}");
            }
            next_report += Duration::from_secs(60);
        }
    }
    // The last requests' answers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let errors = total_errors.load(Ordering::Relaxed);
    println!("  requests {n}, errors {errors}");
    if let (Some(first), Some(end)) = (first_minute, rss_mb(pid).or(last)) {
        println!(
            "  server RSS after the first minute {first:.1} MB, at the end {end:.1} MB ({:+.1} %; target within 5 %)",
            100.0 * (end - first) / first
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let args = Args(argv.clone());
    match argv.first().map(String::as_str) {
        Some("seed") => seed(&args).await,
        Some("mixed") => mixed(&args).await,
        Some("hangups") => hangups(&args).await,
        Some("check") => check(&args).await,
        Some("ssr") => ssr(&args).await,
        Some("soak") => soak(&args).await,
        _ => Err(
            "usage: load seed|mixed|hangups|check|ssr|soak [options]; see bench/load.sh, \
             bench/ssr.sh, bench/soak.sh"
                .into(),
        ),
    }
}
