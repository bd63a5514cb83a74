//! The back office's payment list and CSV export over a million payments
//! (`bench/back-office.sh` runs it in release).
//!
//! For each backend (SQLite, then PostgreSQL when `TOLEM_TEST_POSTGRES`
//! names a server) this seeds `--payments` (1,000,000) paid requests and
//! their payments, spread evenly over the past year, in SQL, then starts the
//! real server in this process, signs a finance clerk in (password and
//! one-time code) and times, one request at a time, `--repeat` (60) loads
//! of the list page under each filter (p50, p99), beside `/health/live`
//! through the same client (the ceiling), and the overview of the last 30
//! days and of the whole year (20 loads each). Then it exports the whole year
//! as CSV, reading the stream without keeping it, while a task samples the
//! process's resident memory every 20 ms: the peak above the level before
//! the export, against the size of the file, says whether memory stayed
//! flat.

use server::Application;
use server::config::Config;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The server binary's allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const YEAR_SECS: i64 = 365 * 24 * 3600;

const SQLITE_SEED: [&str; 2] = [
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO payment_requests (code, service_kind, applicant_name, amount_tyiyn, currency,
                                   status, expires_at, created_at, agency_id)
     SELECT printf('19%014d', i),
            CASE i % 3 WHEN 0 THEN 'passport' WHEN 1 THEN 'driving_licence' ELSE 'meken_card' END,
            'Асанов Бакыт', 50000 + (i % 200) * 500, 'KGS', 'paid',
            strftime('%Y-%m-%dT%H:%M:%S+00:00', ?2 - i * ?3, 'unixepoch'),
            strftime('%Y-%m-%dT%H:%M:%S+00:00', ?2 - i * ?3, 'unixepoch'),
            CASE i % 4 WHEN 0 THEN NULL ELSE 'agc_bench' || (i % 3) END
     FROM n",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
     INSERT INTO payments (id, code, amount_tyiyn, currency, card_brand, card_first6, card_last4,
                           cardholder_name, status, processor_reference, created_at,
                           completed_at, updated_at, idempotency_key, service_kind, agency_id)
     SELECT lower(hex(randomblob(16))), printf('19%014d', i), 50000 + (i % 200) * 500, 'KGS',
            CASE i % 5 WHEN 0 THEN 'visa' WHEN 1 THEN 'mastercard' WHEN 2 THEN 'elcart'
                       WHEN 3 THEN 'unionpay' ELSE 'mir' END,
            '411111', printf('%04d', i % 10000), 'AIBEK ASANOV',
            CASE WHEN i % 10 < 8 THEN 'succeeded' WHEN i % 10 = 8 THEN 'declined' ELSE 'failed' END,
            'ref' || i,
            strftime('%Y-%m-%dT%H:%M:%S+00:00', ?2 - i * ?3, 'unixepoch'),
            strftime('%Y-%m-%dT%H:%M:%S+00:00', ?2 - i * ?3 + 5, 'unixepoch'),
            strftime('%Y-%m-%dT%H:%M:%S+00:00', ?2 - i * ?3 + 5, 'unixepoch'),
            lower(hex(randomblob(16))),
            CASE i % 3 WHEN 0 THEN 'passport' WHEN 1 THEN 'driving_licence' ELSE 'meken_card' END,
            CASE i % 4 WHEN 0 THEN NULL ELSE 'agc_bench' || (i % 3) END
     FROM n",
];

const POSTGRES_SEED: [&str; 2] = [
    "INSERT INTO payment_requests (code, service_kind, applicant_name, amount_tyiyn, currency,
                                   status, expires_at, created_at, agency_id)
     SELECT '19' || lpad(i::text, 14, '0'),
            CASE i % 3 WHEN 0 THEN 'passport' WHEN 1 THEN 'driving_licence' ELSE 'meken_card' END,
            'Асанов Бакыт', 50000 + (i % 200) * 500, 'KGS', 'paid',
            to_timestamp($2 - i * $3), to_timestamp($2 - i * $3),
            CASE i % 4 WHEN 0 THEN NULL ELSE 'agc_bench' || (i % 3) END
     FROM generate_series(1, $1) AS i",
    "INSERT INTO payments (id, code, amount_tyiyn, currency, card_brand, card_first6, card_last4,
                           cardholder_name, status, processor_reference, created_at,
                           completed_at, updated_at, idempotency_key, service_kind, agency_id)
     SELECT md5(random()::text || i), '19' || lpad(i::text, 14, '0'), 50000 + (i % 200) * 500, 'KGS',
            CASE i % 5 WHEN 0 THEN 'visa' WHEN 1 THEN 'mastercard' WHEN 2 THEN 'elcart'
                       WHEN 3 THEN 'unionpay' ELSE 'mir' END,
            '411111', lpad((i % 10000)::text, 4, '0'), 'AIBEK ASANOV',
            CASE WHEN i % 10 < 8 THEN 'succeeded' WHEN i % 10 = 8 THEN 'declined' ELSE 'failed' END,
            'ref' || i, to_timestamp($2 - i * $3), to_timestamp($2 - i * $3 + 5),
            to_timestamp($2 - i * $3 + 5), md5(random()::text || i || 'key'),
            CASE i % 3 WHEN 0 THEN 'passport' WHEN 1 THEN 'driving_licence' ELSE 'meken_card' END,
            CASE i % 4 WHEN 0 THEN NULL ELSE 'agc_bench' || (i % 3) END
     FROM generate_series(1, $1) AS i",
];

struct Options {
    payments: i64,
    repeat: usize,
    only: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        payments: 1_000_000,
        repeat: 60,
        only: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).cloned().unwrap_or_default();
        match pair[0].as_str() {
            "--payments" => options.payments = value.parse().expect("--payments N"),
            "--repeat" => options.repeat = value.parse().expect("--repeat N"),
            "--only" => options.only = Some(value),
            other => panic!("unknown option {other}"),
        }
    }
    options
}

async fn seed(url: &str, count: i64) -> Result<(), BoxError> {
    // The store applies the migrations, as the server will.
    drop(server::storage::connect(url).await?);
    let now = chrono::Utc::now().timestamp();
    let step = YEAR_SECS / count.max(1);
    let agencies = "INSERT INTO agencies (id, name, services, created_at)
         VALUES ('agc_bench0', 'Паспортный стол', 'passport,driving_licence,meken_card', '2026-01-01T00:00:00+00:00'),
                ('agc_bench1', 'УОБДД', 'passport,driving_licence,meken_card', '2026-01-01T00:00:00+00:00'),
                ('agc_bench2', 'ЦОН', 'passport,driving_licence,meken_card', '2026-01-01T00:00:00+00:00')";
    if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        let mut tx = pool.begin().await?;
        sqlx::query(agencies).execute(&mut *tx).await?;
        for sql in SQLITE_SEED {
            sqlx::query(sql)
                .bind(count)
                .bind(now)
                .bind(step)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        sqlx::query("ANALYZE").execute(&pool).await?;
    } else {
        let pool = sqlx::PgPool::connect(url).await?;
        let mut tx = pool.begin().await?;
        sqlx::query(&agencies.replace("'2026-01-01T00:00:00+00:00'", "now()"))
            .execute(&mut *tx)
            .await?;
        for sql in POSTGRES_SEED {
            sqlx::query(sql)
                .bind(count)
                .bind(now as f64)
                .bind(step as f64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    }
    Ok(())
}

/// A finance clerk's signed-in client.
async fn signed_in(
    base: &str,
    store: Arc<dyn server::storage::PaymentStore>,
) -> Result<reqwest::Client, BoxError> {
    let desk = server::staff::StaffDesk::new(
        store,
        Arc::new(chrono::Utc::now),
        server::config::StaffSettings::default(),
    );
    let password = "bench password, long enough";
    let made = desk
        .add(
            &Default::default(),
            "bench@infocom.kg",
            domain::staff::Role::Finance,
            Some(password.into()),
        )
        .await?;
    let uri = made.enrolment_uri.ok_or("no enrolment")?;
    let secret = uri
        .split("secret=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .ok_or("secret")?;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let token = |page: &str| -> String {
        page.split(r#"name="csrf" value=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    let page = client
        .get(format!("{base}/admin/login"))
        .send()
        .await?
        .text()
        .await?;
    let answer = client
        .post(format!("{base}/admin/login"))
        .form(&[
            ("csrf", token(&page).as_str()),
            ("email", "bench@infocom.kg"),
            ("password", password),
        ])
        .send()
        .await?;
    assert_eq!(answer.status(), 303, "password step");
    let now = u64::try_from(chrono::Utc::now().timestamp())?;
    let code = server::staff::totp::code_at(secret, now).ok_or("code")?;
    let answer = client
        .post(format!("{base}/admin/login/code"))
        .form(&[("csrf", token(&page).as_str()), ("code", code.as_str())])
        .send()
        .await?;
    assert_eq!(answer.status(), 303, "code step");
    Ok(client)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at].as_secs_f64() * 1000.0
}

async fn time_page(
    client: &reqwest::Client,
    url: &str,
    repeat: usize,
) -> Result<(f64, f64), BoxError> {
    let mut times = Vec::with_capacity(repeat);
    for n in 0..repeat + 5 {
        let started = Instant::now();
        let answer = client.get(url).send().await?;
        assert_eq!(answer.status(), 200, "{url}");
        answer.bytes().await?;
        if n >= 5 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.99)))
}

fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

async fn measure(name: &str, url: &str, options: &Options) -> Result<(), BoxError> {
    let seeding = Instant::now();
    seed(url, options.payments).await?;
    println!(
        "\n== {name}: {} payments seeded in {:.0} s",
        options.payments,
        seeding.elapsed().as_secs_f64()
    );
    let site = tempfile::tempdir()?;
    let config = Config {
        demo_data: false,
        ..Config::local(url, &site.path().display().to_string())
    };
    let app = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.payments.store.clone();
    tokio::spawn(app.run());
    let client = signed_in(&base, store).await?;
    let last = "0042";
    let filters: [(&str, String); 12] = [
        ("opening page (last 30 days)", String::new()),
        ("status declined", "status=declined".into()),
        ("service passport", "service=passport".into()),
        ("agency", "agency=agc_bench1".into()),
        (
            "payment code (all time)",
            "from=&until=&code=1900000000123456".into(),
        ),
        (
            "receipt number (all time)",
            "from=&until=&receipt=TLM-00500000".into(),
        ),
        (
            "card's last four (all time)",
            format!("from=&until=&last4={last}"),
        ),
        ("brand mir", "brand=mir".into()),
        ("amount 1000-1200 som", "min=1000&max=1200".into()),
        (
            "status+service+brand+amount",
            "status=succeeded&service=meken_card&brand=visa&min=500&max=900".into(),
        ),
        (
            "next page (keyset)",
            "after=2026-06-01T00:00:00.000000Z_1".into(),
        ),
        ("no filter, all time", "from=&until=".into()),
    ];
    let (c50, c99) = time_page(&client, &format!("{base}/health/live"), options.repeat).await?;
    println!(
        "{:<32} p50 {c50:>7.2} ms   p99 {c99:>7.2} ms   (ceiling)",
        "/health/live"
    );
    for (label, query) in &filters {
        let (p50, p99) = time_page(
            &client,
            &format!("{base}/admin/payments?{query}"),
            options.repeat,
        )
        .await?;
        println!("{label:<32} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms");
    }
    // The overview: every payment of the period grouped in the database.
    let today = (chrono::Utc::now() + chrono::Duration::hours(6)).date_naive();
    let year_ago = today - chrono::Days::new(365);
    for (label, query) in [
        ("overview, last 30 days", String::new()),
        (
            "overview, the whole year",
            format!("from={year_ago}&until={today}"),
        ),
    ] {
        let (p50, p99) = time_page(
            &client,
            &format!("{base}/admin/overview?{query}"),
            options.repeat.min(20),
        )
        .await?;
        println!("{label:<32} p50 {p50:>7.2} ms   p99 {p99:>7.2} ms");
    }
    // The export of the whole year, memory sampled meanwhile.
    let before = resident_bytes();
    let peak = Arc::new(AtomicU64::new(before));
    let sampling = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(resident_bytes(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let started = Instant::now();
    let mut answer = client
        .get(format!("{base}/admin/payments/export?from=&until="))
        .send()
        .await?;
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = answer.chunk().await? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    sampling.abort();
    let peak = peak.load(Ordering::Relaxed);
    println!(
        "CSV export: {} rows, {:.1} MB in {:.1} s; resident memory {:.1} MB before, peak {:.1} MB (+{:.1} MB)",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        before as f64 / 1e6,
        peak as f64 / 1e6,
        peak.saturating_sub(before) as f64 / 1e6,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let options = options();
    if options.only.as_deref() != Some("postgres") {
        std::fs::create_dir_all("target/bench-data")?;
        let path = "target/bench-data/back-office.db";
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
        measure("SQLite", &format!("sqlite://{path}?mode=rwc"), &options).await?;
    }
    if options.only.as_deref() != Some("sqlite") {
        match std::env::var("TOLEM_TEST_POSTGRES") {
            Ok(_) => {
                let url = server::testing::fresh_postgres_url().await;
                measure("PostgreSQL", &url, &options).await?;
            }
            Err(_) => println!("\nPostgreSQL: no server (TOLEM_TEST_POSTGRES unset), skipped"),
        }
    }
    Ok(())
}
