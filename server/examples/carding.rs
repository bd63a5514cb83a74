//! A card-testing bot against the server's limits (`bench/carding.sh` runs
//! it in release): a bot with 1,000 distinct stolen test cards (the sandbox
//! declines `4000 0099 …` as lost or stolen) pays through `/api/pay` as the
//! pay island does, first from one address, then spread over 50 addresses
//! behind the proxy setting (`X-Forwarded-For`), while 20 legitimate payers
//! each pay once with a card of their own from an address of their own, one
//! after every 50 of the bot's cards. Each run gets a fresh server and
//! database with the production limits (`AbuseLimits::default`); the same
//! one-address bot against a server without the limits is the ceiling of
//! the run. Prints, per run, the bot's attempts that reached the acquirer
//! (in all, and from its busiest address) and the legitimate payers who
//! paid, beside the targets (≤ 10 per address, ≤ 100 in all, every payer).

use server::Application;
use server::abuse::AbuseLimits;
use server::config::Config;
use server::storage::{PaymentRequest, PaymentStore};
use std::collections::BTreeMap;
use std::time::Instant;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const BOT_CARDS: u32 = 1000;
const LEGIT_PAYERS: u32 = 20;
/// The codes the bot pays for (it harvested them); the payers have their own.
const BOT_CODES: u32 = 300;

/// A Luhn-valid card number with `prefix` and serial `n`.
fn card(prefix: &str, n: u32) -> String {
    let body = format!("{prefix}{n:07}");
    (0..10)
        .map(|check| format!("{body}{check}"))
        .find(|number| domain::luhn_valid(number))
        .unwrap_or(body)
}

fn code(n: u32) -> String {
    format!("132029{n:08}")
}

async fn seed(store: &dyn PaymentStore, count: u32) -> Result<(), BoxError> {
    let now = chrono::Utc::now();
    for n in 0..count {
        let request = PaymentRequest {
            code: domain::PaymentCode::parse(&code(n)).map_err(|e| format!("{e:?}"))?,
            service: domain::ServiceKind::Passport,
            applicant_name: "АСАНОВ АЙБЕК".into(),
            amount: domain::Money::from_tyiyn(220_000).map_err(|e| format!("{e:?}"))?,
            status: domain::RequestStatus::AwaitingPayment,
            expires_at: now + chrono::Duration::days(1),
        };
        store.insert_request(&request, now).await?;
    }
    Ok(())
}

/// What `/api/pay` said: 200 is an answer of the acquirer's (paid or
/// declined), 429 a refusal before it.
async fn pay(
    client: &reqwest::Client,
    base: &str,
    address: &str,
    code: &str,
    number: &str,
) -> Result<(u16, String), BoxError> {
    let body = serde_json::json!({ "form": {
        "code": code, "cardholder": "AIBEK ASANOV", "number": number,
        "exp_month": "12", "exp_year": "30", "cvv": "123",
        "idempotency_key": uuid::Uuid::new_v4().simple().to_string(),
        "privacy_policy_edition": "1", "user_agreement_edition": "1",
    }});
    let response = client
        .post(format!("{base}/api/pay"))
        .header("x-forwarded-for", address)
        .json(&body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

struct Run {
    reached: BTreeMap<String, u32>,
    refused: u32,
    legit_paid: u32,
    seconds: f64,
}

async fn run(limits: AbuseLimits, addresses: u32) -> Result<Run, BoxError> {
    let dir = tempfile::tempdir()?;
    let url = server::testing::sqlite_url(dir.path());
    let mut config = Config::local(&url, &dir.path().display().to_string());
    config.abuse = limits;
    config.behind_proxy = true;
    let application = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", application.port());
    seed(
        application.payments.store.as_ref(),
        BOT_CODES + LEGIT_PAYERS,
    )
    .await?;
    tokio::spawn(application.run());
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut run = Run {
        reached: BTreeMap::new(),
        refused: 0,
        legit_paid: 0,
        seconds: 0.0,
    };
    for n in 0..BOT_CARDS {
        let address = format!("203.0.113.{}", n % addresses);
        let number = card("40000099", n);
        let (status, body) = pay(&client, &base, &address, &code(n % BOT_CODES), &number).await?;
        match status {
            200 => *run.reached.entry(address).or_default() += 1,
            429 => run.refused += 1,
            other => return Err(format!("the bot was answered {other}: {body}").into()),
        }
        if n % (BOT_CARDS / LEGIT_PAYERS) == 0 {
            let payer = n / (BOT_CARDS / LEGIT_PAYERS);
            let address = format!("198.51.100.{payer}");
            let number = card("42424242", payer);
            let payer_code = code(BOT_CODES + payer);
            let (status, body) = pay(&client, &base, &address, &payer_code, &number).await?;
            if status == 200 && body.contains("Paid") {
                run.legit_paid += 1;
            } else {
                println!("  a legitimate payer was answered {status}: {body}");
            }
        }
    }
    run.seconds = started.elapsed().as_secs_f64();
    Ok(run)
}

fn report(name: &str, run: &Run) {
    let total: u32 = run.reached.values().sum();
    let busiest = run.reached.values().max().copied().unwrap_or(0);
    println!(
        "{name:<28} reached the acquirer {total:>4} (busiest address {busiest:>4}), \
         refused {:>4}; legitimate payers paid {}/{LEGIT_PAYERS}; {:.1} s",
        run.refused, run.legit_paid, run.seconds
    );
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    println!(
        "{BOT_CARDS} stolen cards over {BOT_CODES} codes, {LEGIT_PAYERS} legitimate payers; \
         target: <= 10 per address, <= 100 in all, every payer paid"
    );
    let ceiling = run(AbuseLimits::off(), 1).await?;
    report("ceiling: no limits, 1 addr", &ceiling);
    let one = run(AbuseLimits::default(), 1).await?;
    report("limits, 1 address", &one);
    let fifty = run(AbuseLimits::default(), 50).await?;
    report("limits, 50 addresses", &fifty);
    Ok(())
}
