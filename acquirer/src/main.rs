//! `sandbox-acquirer`: the sandbox acquirer as a stand-alone HTTP server, for
//! development, end-to-end tests and demonstrations.
//!
//! Configured by environment variables:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `ACQUIRER_ADDR` | address to listen on; port 0 picks a free port | `127.0.0.1:4000` |
//! | `ACQUIRER_SECRET` | HMAC key shared with the merchant (also signs notifications) | `sandbox-secret`, with a warning |
//! | `ACQUIRER_PUBLIC_URL` | base URL browsers reach this server at; challenge pages are `{it}/acs/{token}` | `http://{bound address}` |
//! | `ACQUIRER_NOTIFY_URL` | where to POST signed notifications of final outcomes | none |
//! | `ACQUIRER_FAULT_RATE` | probability (0 to 1) of a random fault on an approved card | `0` |
//! | `ACQUIRER_FAULTS` | comma list of random fault kinds: `timeout`, `server_error_after`, `drop`, `server_error_before`, `duplicate_notification`, `late_notification`, `late_charge`, `in_flight_not_found`, `early_notification` | the first four |
//! | `ACQUIRER_LATENCY_MS` | added to every authorisation | `0` |
//! | `ACQUIRER_TIMEOUT_MS` | how long a `timeout` fault holds the answer | `30000` |
//! | `ACQUIRER_LATE_NOTIFICATION_MS` | how late a `late_notification` arrives | `2000` |
//! | `ACQUIRER_LATE_CHARGE_MS` | how long after the request a `late_charge` or `in_flight_not_found` charge is recorded | `1500` |
//! | `ACQUIRER_REFUND_FAILURES` | how many refund calls on each order answer 503 before refunds go through | `0` |
//! | `ACQUIRER_SEED` | seed for reproducible random faults | random |
//! | `ACQUIRER_LOG` | log filter (tracing `EnvFilter` syntax) | `info` |
//!
//! On start it prints `sandbox acquirer listening on http://ADDR` on standard
//! output (logs go to standard error), so a test can start it on port 0 and
//! read the real address.

use acquirer::engine::{Engine, EngineConfig, FaultKind, FaultPlan, NotifyConfig};
use std::io::Write as _;
use std::process::ExitCode;
use std::str::FromStr;
use tracing_subscriber::EnvFilter;

const HELP: &str = "\
sandbox-acquirer: a sandbox card acquirer speaking tolem's signed JSON protocol.

USAGE: sandbox-acquirer [--help]

Environment:
  ACQUIRER_ADDR                  listen address (default 127.0.0.1:4000; port 0 = any free port)
  ACQUIRER_SECRET                HMAC key shared with the merchant (default sandbox-secret, with a warning)
  ACQUIRER_PUBLIC_URL            base URL browsers reach this server at (default http://<bound address>)
  ACQUIRER_NOTIFY_URL            where to POST signed notifications of final outcomes (default: none)
  ACQUIRER_FAULT_RATE            probability 0..1 of a random fault on an approved card (default 0)
  ACQUIRER_FAULTS                comma list: timeout, server_error_after, drop, server_error_before,
                                 duplicate_notification, late_notification, late_charge,
                                 in_flight_not_found, early_notification (default: the first four)
  ACQUIRER_LATENCY_MS            latency added to every authorisation (default 0)
  ACQUIRER_TIMEOUT_MS            how long a timeout fault holds the answer (default 30000)
  ACQUIRER_LATE_NOTIFICATION_MS  how late a late notification arrives (default 2000)
  ACQUIRER_LATE_CHARGE_MS        how long after the request a late charge is recorded (default 1500)
  ACQUIRER_REFUND_FAILURES       refund calls per order that answer 503 before refunds work (default 0)
  ACQUIRER_SEED                  seed for reproducible random faults (default random)
  ACQUIRER_LOG                   log filter, tracing EnvFilter syntax (default info)

Routes: POST /v1/orders, GET /v1/orders/{id}, POST /v1/orders/{id}/challenge,
POST /v1/orders/{id}/refunds, GET /v1/orders/{id}/refunds/{refund_id} (all signed); GET /sandbox/ledger[?all=true],
GET|PUT /sandbox/faults, GET /sandbox/stats; challenge pages at /acs/{token}.
";

const DEFAULT_SECRET: &str = "sandbox-secret";

struct Settings {
    addr: String,
    secret: Vec<u8>,
    public_url: Option<String>,
    notify_url: Option<String>,
    faults: FaultPlan,
    seed: Option<u64>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: FromStr>(name: &str) -> Result<Option<T>, String> {
    match var(name) {
        None => Ok(None),
        Some(value) => value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{name} has an invalid value")),
    }
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        let mut faults = FaultPlan::default();
        if let Some(rate) = parsed::<f64>("ACQUIRER_FAULT_RATE")? {
            faults.rate = rate;
        }
        if let Some(kinds) = var("ACQUIRER_FAULTS") {
            faults.kinds = kinds
                .split(',')
                .filter(|k| !k.trim().is_empty())
                .map(FaultKind::from_str)
                .collect::<Result<_, _>>()
                .map_err(|e| format!("ACQUIRER_FAULTS: {e}"))?;
        }
        if let Some(ms) = parsed("ACQUIRER_LATENCY_MS")? {
            faults.latency_ms = ms;
        }
        if let Some(ms) = parsed("ACQUIRER_TIMEOUT_MS")? {
            faults.timeout_ms = ms;
        }
        if let Some(ms) = parsed("ACQUIRER_LATE_NOTIFICATION_MS")? {
            faults.late_notification_ms = ms;
        }
        if let Some(ms) = parsed("ACQUIRER_LATE_CHARGE_MS")? {
            faults.late_charge_ms = ms;
        }
        if let Some(count) = parsed("ACQUIRER_REFUND_FAILURES")? {
            faults.refund_failures = count;
        }
        faults
            .validate()
            .map_err(|e| format!("ACQUIRER_FAULT_RATE: {e}"))?;
        let secret = match var("ACQUIRER_SECRET") {
            Some(secret) => secret.into_bytes(),
            None => {
                tracing::warn!(
                    "ACQUIRER_SECRET is not set: signing with the well-known sandbox key"
                );
                DEFAULT_SECRET.as_bytes().to_vec()
            }
        };
        Ok(Self {
            addr: var("ACQUIRER_ADDR").unwrap_or_else(|| "127.0.0.1:4000".to_owned()),
            secret,
            public_url: var("ACQUIRER_PUBLIC_URL"),
            notify_url: var("ACQUIRER_NOTIFY_URL"),
            faults,
            seed: parsed("ACQUIRER_SEED")?,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{HELP}");
        return ExitCode::SUCCESS;
    }
    if let Some(arg) = args.first() {
        eprintln!("sandbox-acquirer: unexpected argument {arg:?}; see --help");
        return ExitCode::from(2);
    }
    let filter = EnvFilter::try_from_env("ACQUIRER_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("sandbox-acquirer: {message}");
            return ExitCode::from(2);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&settings.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!(
                "sandbox-acquirer: cannot listen on {}: {error}",
                settings.addr
            );
            return ExitCode::FAILURE;
        }
    };
    let local = match listener.local_addr() {
        Ok(local) => local,
        Err(error) => {
            eprintln!("sandbox-acquirer: cannot read the bound address: {error}");
            return ExitCode::FAILURE;
        }
    };
    let public_url = settings
        .public_url
        .unwrap_or_else(|| format!("http://{local}"));
    let engine = Engine::new(EngineConfig {
        acs_base_url: format!("{}/acs", public_url.trim_end_matches('/')),
        faults: settings.faults,
        notify: settings.notify_url.map(|url| NotifyConfig {
            url,
            key: settings.secret.clone(),
        }),
        seed: settings.seed,
    });
    tracing::info!(?engine, faults = ?engine.faults(), "sandbox acquirer configured");
    let app = acquirer::http::router(engine, settings.secret);

    println!("sandbox acquirer listening on http://{local}");
    // Whoever started us reads the address from a pipe: do not leave it buffered.
    let _ = std::io::stdout().flush();

    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sandbox-acquirer: server failed: {error}");
            ExitCode::FAILURE
        }
    }
}
