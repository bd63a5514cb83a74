//! Configuration from the environment, checked before anything starts.
//! The database and the look of the site have defaults that work on a
//! fresh machine; what decides whether money is really taken has none: the
//! server refuses to start without an explicit `TOLEM_PROCESSOR`, takes the
//! in-process sandbox only in test mode, and checks the acquirer link and
//! the timings (`checks`). Parsing helpers are in `read`.

mod abuse;
mod api;
mod checks;
mod read;
mod staff;
#[cfg(test)]
mod tests;

pub use api::{ApiSettings, WebhookSettings};
pub use checks::MIN_SECRET_BYTES;
pub use staff::StaffSettings;

use read::Vars;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone, Debug)]
pub enum ProcessorKind {
    /// The sandbox acquirer inside this process, with documented test cards.
    Sandbox,
    /// An acquirer over HTTP (a real one, or the `sandbox-acquirer` binary).
    Gateway(GatewayConfig),
}

#[derive(Clone, Debug)]
pub struct GatewayConfig {
    pub url: String,
    /// The HMAC key shared with the acquirer; its `Debug` is redacted and
    /// it has no `Display`, so no log line can carry it.
    pub secret: SecretString,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub site_addr: SocketAddr,
    pub database_url: String,
    pub processor: ProcessorKind,
    /// No real money is taken (the sandbox, or a staging acquirer): every
    /// page says so in a banner.
    pub test_mode: bool,
    /// Seed demonstration payment requests into an empty database.
    pub demo_data: bool,
    /// Card prefix of the national Elcart system (an assumption; see the README).
    pub elcart_prefix: String,
    pub support_email: String,
    pub support_phones: Vec<String>,
    /// Where cargo-leptos put the compiled site (`pkg/`, public assets).
    pub site_root: String,
    /// The site's address as browsers reach it, for the URL the issuer's
    /// challenge returns to. `None`: same origin as the challenge page with
    /// the in-process sandbox; [`Config::from_env`] requires it with the
    /// gateway (a test's own `Config` gets `http://<bound address>`).
    pub public_url: Option<String>,
    /// How often the reconciliation worker runs.
    pub reconcile_every: Duration,
    /// When an `authorising` payment counts as interrupted.
    pub stale_after: Duration,
    /// When a payment left at a challenge or before it expires.
    pub abandon_after: Duration,
    /// The acquirer's maximum processing window: an order the acquirer says
    /// it does not know is taken as never charged only when this long has
    /// passed since it was sent. Longer than the acquirer request timeout.
    pub acquirer_window: Duration,
    /// A proxy in front sets `X-Forwarded-For`; its last entry is the client.
    pub behind_proxy: bool,
    /// Connections and the longest wait for one (then a 503 "try again").
    pub store: crate::storage::StoreOptions,
    /// How often each server checks the database for new document editions.
    pub documents_refresh: Duration,
    /// How long a page rendered once is answered again (`web::page_copies`);
    /// zero: every page is rendered for its request.
    pub page_copies: Duration,
    /// The key feedback senders' pseudonyms are made with; `None`: one the
    /// servers generate and share through the database.
    pub feedback_key: Option<String>,
    /// The key receipts' verification codes are signed with; `None`: one
    /// the servers generate and share through the database.
    pub receipt_key: Option<String>,
    /// What one client, or many at once, can take of the server.
    pub http: HttpLimits,
    /// The limits on card testing and on lookups by code.
    pub abuse: crate::abuse::AbuseLimits,
    /// The agency API and its webhooks.
    pub api: ApiSettings,
    /// The back office's sessions and sign-in limits.
    pub staff: StaffSettings,
    /// Where Prometheus metrics are served (`/metrics`), apart from the
    /// site; `None`: nowhere, and nothing is recorded.
    pub metrics_addr: Option<SocketAddr>,
}

/// Bounds on what clients can hold of the server (`web::limits` applies
/// them; the header-read timeout is hyper's, in [`crate::Application::run`]).
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// How long a client may take to send a request's headers, and so how
    /// long an idle keep-alive connection is kept: a client that connects
    /// and sends nothing, or half its headers, is disconnected after it.
    pub header_read_timeout: Duration,
    /// The longest a request is served before it is answered 503 "try
    /// again" (a payment under way goes on in its own task).
    pub request_timeout: Duration,
    /// Requests served at once; any more are answered 503 with
    /// `Retry-After` at once rather than queued.
    pub max_concurrent_requests: usize,
    /// The largest request body, in bytes; a larger one is answered 413.
    pub body_limit: usize,
}

impl Default for HttpLimits {
    /// The defaults of production: a phone on a poor network sends its
    /// headers in well under 10 s; the request timeout outlasts the
    /// acquirer's timeout plus the database's wait; a two-core server pays
    /// a few thousand payments a second, so 1,024 at once is a backlog of
    /// a fraction of a second, not a normal day; the body limit fits the
    /// largest form with room (see [`checks::SMALLEST_BODY_LIMIT`]).
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 1024,
            body_limit: 32 * 1024,
        }
    }
}

/// A setting that is missing, malformed or at odds with another; shown
/// as one line, `{name} {problem}`, that starts with what to change.
#[derive(Debug, thiserror::Error)]
#[error("{name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl ConfigError {
    pub fn new(name: &'static str, problem: impl Into<String>) -> ConfigError {
        ConfigError {
            name,
            problem: problem.into(),
        }
    }
}

impl Config {
    /// A server on this machine for tests and benchmarks: any free port, the
    /// in-process sandbox in test mode, demo data, no limits on attempts or
    /// lookups, and otherwise the defaults of [`Config::from_env`]; callers
    /// change what they need.
    pub fn local(database_url: &str, site_root: &str) -> Config {
        Config {
            site_addr: ([127, 0, 0, 1], 0).into(),
            database_url: database_url.to_string(),
            processor: ProcessorKind::Sandbox,
            test_mode: true,
            demo_data: true,
            elcart_prefix: "9417".into(),
            support_email: "support@infocom.kg".into(),
            support_phones: vec!["(0312) 98-61-90".into(), "(0312) 98-61-91".into()],
            site_root: site_root.to_string(),
            public_url: None,
            reconcile_every: Duration::from_secs(15),
            stale_after: Duration::from_secs(60),
            abandon_after: Duration::from_secs(90 * 60),
            acquirer_window: Duration::from_secs(120),
            behind_proxy: false,
            store: crate::storage::StoreOptions::default(),
            documents_refresh: Duration::from_secs(2),
            page_copies: Duration::from_secs(1),
            feedback_key: None,
            receipt_key: None,
            http: HttpLimits::default(),
            // Tests and benchmarks pay from one address; those about the
            // limits set them.
            abuse: crate::abuse::AbuseLimits::off(),
            api: ApiSettings::default(),
            staff: StaffSettings::default(),
            metrics_addr: None,
        }
    }

    /// The configuration of `server serve`, or the one line that says
    /// which setting is missing, malformed or at odds with another.
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::from_vars(&|name| std::env::var(name).ok())
    }

    /// [`Config::from_env`] over any lookup of settings by name.
    pub fn from_vars(lookup: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let vars = Vars(lookup);
        let site_addr =
            address(&vars, "LEPTOS_SITE_ADDR")?.unwrap_or_else(|| ([127, 0, 0, 1], 3000).into());
        let test_mode = vars.flag("TOLEM_TEST_MODE", false)?;
        let processor = processor(&vars, test_mode)?;
        let public_url = match (vars.get("TOLEM_PUBLIC_URL"), &processor) {
            (Some(url), _) => Some(checks::public_url(&url)?),
            (None, ProcessorKind::Sandbox) => None,
            (None, ProcessorKind::Gateway(_)) => {
                return Err(ConfigError::new(
                    "TOLEM_PUBLIC_URL",
                    "is required with TOLEM_PROCESSOR=gateway: the site's address as browsers \
                     reach it, where the bank's challenge page sends them back",
                ));
            }
        };
        let elcart_prefix = vars
            .get("TOLEM_ELCART_PREFIX")
            .unwrap_or_else(|| "9417".into());
        domain::BrandTable::with_elcart_prefix(&elcart_prefix)
            .map_err(|e| ConfigError::new("TOLEM_ELCART_PREFIX", format!("is not valid: {e:?}")))?;
        let config = Config {
            site_addr,
            database_url: database_url(&vars),
            processor,
            test_mode,
            demo_data: vars.flag("TOLEM_DEMO_DATA", false)?,
            elcart_prefix,
            support_email: vars
                .get("TOLEM_SUPPORT_EMAIL")
                .unwrap_or_else(|| "support@infocom.kg".into()),
            support_phones: vars
                .get("TOLEM_SUPPORT_PHONES")
                .map(|v| v.split(',').map(|p| p.trim().to_string()).collect())
                .unwrap_or_else(|| vec!["(0312) 98-61-90".into(), "(0312) 98-61-91".into()]),
            site_root: vars
                .get("LEPTOS_SITE_ROOT")
                .unwrap_or_else(|| "target/site".into()),
            public_url,
            reconcile_every: secs(vars.number("TOLEM_RECONCILE_EVERY_SECS", 15)?),
            stale_after: secs(vars.number("TOLEM_STALE_AFTER_SECS", 60)?),
            abandon_after: secs(60 * vars.number("TOLEM_ABANDON_AFTER_MINUTES", 90)?),
            acquirer_window: secs(vars.number("TOLEM_ACQUIRER_WINDOW_SECS", 120)?),
            behind_proxy: vars.flag("TOLEM_BEHIND_PROXY", false)?,
            store: crate::storage::StoreOptions {
                wait: Duration::from_millis(vars.positive("TOLEM_DB_WAIT_MS", 2_000)?),
                sqlite_readers: vars.positive("TOLEM_DB_SQLITE_READERS", 4)? as usize,
                postgres_connections: vars.positive("TOLEM_DB_POSTGRES_CONNECTIONS", 16)? as usize,
            },
            documents_refresh: secs(vars.positive("TOLEM_DOCUMENTS_REFRESH_SECS", 2)?),
            page_copies: Duration::from_millis(vars.number("TOLEM_PAGE_COPIES_MS", 1_000)?),
            feedback_key: vars.get("TOLEM_FEEDBACK_KEY"),
            receipt_key: checks::optional_secret(
                "TOLEM_RECEIPT_KEY",
                vars.get("TOLEM_RECEIPT_KEY"),
            )?,
            http: http_limits(&vars)?,
            abuse: abuse::limits(&vars)?,
            api: api::settings(&vars)?,
            staff: staff::settings(&vars)?,
            metrics_addr: address(&vars, "TOLEM_METRICS_ADDR")?,
        };
        checks::timings(&config)?;
        checks::http_limits(&config)?;
        Ok(config)
    }

    /// Whether this is a test site (`TOLEM_TEST_MODE`), for the commands
    /// that make API keys and webhook endpoints.
    pub fn test_mode_from_env() -> Result<bool, ConfigError> {
        Vars(&|name| std::env::var(name).ok()).flag("TOLEM_TEST_MODE", false)
    }

    /// The database alone, for commands that take no payments (`publish`).
    pub fn database_url_from_env() -> String {
        database_url(&Vars(&|name| std::env::var(name).ok()))
    }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn http_limits(vars: &Vars<'_>) -> Result<HttpLimits, ConfigError> {
    let default = HttpLimits::default();
    let size = |name, default: usize| {
        vars.positive(name, default as u64)
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    };
    Ok(HttpLimits {
        header_read_timeout: secs(vars.positive(
            "TOLEM_HEADER_READ_TIMEOUT_SECS",
            default.header_read_timeout.as_secs(),
        )?),
        request_timeout: secs(vars.positive(
            "TOLEM_REQUEST_TIMEOUT_SECS",
            default.request_timeout.as_secs(),
        )?),
        max_concurrent_requests: size(
            "TOLEM_MAX_CONCURRENT_REQUESTS",
            default.max_concurrent_requests,
        )?,
        body_limit: size("TOLEM_BODY_LIMIT_BYTES", default.body_limit)?,
    })
}

/// An address to listen on, like `127.0.0.1:3000`; `None` when unset.
fn address(vars: &Vars<'_>, name: &'static str) -> Result<Option<SocketAddr>, ConfigError> {
    vars.get(name)
        .map(|value| {
            value.trim().parse().map_err(|e: std::net::AddrParseError| {
                ConfigError::new(
                    name,
                    format!("must be an address like 127.0.0.1:3000 ({e})"),
                )
            })
        })
        .transpose()
}

fn database_url(vars: &Vars<'_>) -> String {
    vars.get("DATABASE_URL")
        .unwrap_or_else(|| "sqlite://data/tolem.db?mode=rwc".into())
}

/// Which acquirer takes the money. Nothing is assumed: a deployment that
/// forgot to say would otherwise approve any valid card and collect nothing.
fn processor(vars: &Vars<'_>, test_mode: bool) -> Result<ProcessorKind, ConfigError> {
    const NAME: &str = "TOLEM_PROCESSOR";
    let Some(kind) = vars.get(NAME) else {
        return Err(ConfigError::new(
            NAME,
            "is not set: gateway (an acquirer over HTTP), or sandbox together with \
             TOLEM_TEST_MODE=true (no real money is taken)",
        ));
    };
    match kind.trim() {
        "sandbox" if test_mode => Ok(ProcessorKind::Sandbox),
        "sandbox" => Err(ConfigError::new(
            "TOLEM_TEST_MODE",
            "must be true with TOLEM_PROCESSOR=sandbox: the sandbox approves test cards and \
             takes no real money",
        )),
        "gateway" => {
            let required = |name: &'static str| {
                vars.get(name).ok_or_else(|| {
                    ConfigError::new(name, "is required with TOLEM_PROCESSOR=gateway")
                })
            };
            Ok(ProcessorKind::Gateway(GatewayConfig {
                url: checks::acquirer_url(&required("TOLEM_ACQUIRER_URL")?)?,
                secret: checks::acquirer_secret(required("TOLEM_ACQUIRER_SECRET")?)?,
                connect_timeout: Duration::from_millis(
                    vars.positive("TOLEM_ACQUIRER_CONNECT_TIMEOUT_MS", 3_000)?,
                ),
                request_timeout: Duration::from_millis(
                    vars.positive("TOLEM_ACQUIRER_TIMEOUT_MS", 10_000)?,
                ),
            }))
        }
        other => Err(ConfigError::new(
            NAME,
            format!("must be sandbox or gateway, got {other:?}"),
        )),
    }
}
