//! Configuration from the environment, with defaults that start a working
//! site on a fresh machine (SQLite file under `./data/`, sandbox processor).

use std::net::SocketAddr;
use std::time::Duration;

#[derive(Clone, PartialEq, Eq)]
pub enum ProcessorKind {
    /// The sandbox acquirer inside this process, with documented test cards.
    Sandbox,
    /// An acquirer over HTTP (a real one, or the `sandbox-acquirer` binary).
    Gateway(GatewayConfig),
}

#[derive(Clone, PartialEq, Eq)]
pub struct GatewayConfig {
    pub url: String,
    /// The HMAC key shared with the acquirer; never printed.
    pub secret: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for ProcessorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProcessorKind::Sandbox => f.write_str("Sandbox"),
            ProcessorKind::Gateway(gateway) => f
                .debug_struct("Gateway")
                .field("url", &gateway.url)
                .field("secret", &"[redacted]")
                .field("connect_timeout", &gateway.connect_timeout)
                .field("request_timeout", &gateway.request_timeout)
                .finish(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub site_addr: SocketAddr,
    pub database_url: String,
    pub processor: ProcessorKind,
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
    /// the in-process sandbox, `http://<bound address>` with the gateway.
    pub public_url: Option<String>,
    /// How often the reconciliation worker runs.
    pub reconcile_every: Duration,
    /// When an `authorising` payment counts as interrupted.
    pub stale_after: Duration,
    /// When a payment left at a challenge or before it expires.
    pub abandon_after: Duration,
    /// A proxy in front sets `X-Forwarded-For`; its last entry is the client.
    pub behind_proxy: bool,
    /// Connections and the longest wait for one (then a 503 "try again").
    pub store: crate::storage::StoreOptions,
    /// How often each server checks the database for new document editions.
    pub documents_refresh: Duration,
    /// The key feedback senders' pseudonyms are made with; `None`: one the
    /// servers generate and share through the database.
    pub feedback_key: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: format!("expected a whole number, got {value:?}"),
        }),
    }
}

fn positive(name: &'static str, default: u64) -> Result<u64, ConfigError> {
    match number(name, default)? {
        0 => Err(ConfigError::Invalid {
            name,
            reason: "must be more than 0".into(),
        }),
        n => Ok(n),
    }
}

fn flag(name: &'static str, default: bool) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError::Invalid {
            name,
            reason: format!("expected true or false, got {other:?}"),
        }),
    }
}

impl Config {
    /// A server on this machine for tests and benchmarks: any free port, the
    /// in-process sandbox, demo data, and otherwise the defaults of
    /// [`Config::from_env`]; callers change what they need.
    pub fn local(database_url: &str, site_root: &str) -> Config {
        Config {
            site_addr: ([127, 0, 0, 1], 0).into(),
            database_url: database_url.to_string(),
            processor: ProcessorKind::Sandbox,
            demo_data: true,
            elcart_prefix: "9417".into(),
            support_email: "support@infocom.kg".into(),
            support_phones: vec!["(0312) 98-61-90".into(), "(0312) 98-61-91".into()],
            site_root: site_root.to_string(),
            public_url: None,
            reconcile_every: Duration::from_secs(15),
            stale_after: Duration::from_secs(60),
            abandon_after: Duration::from_secs(90 * 60),
            behind_proxy: false,
            store: crate::storage::StoreOptions::default(),
            documents_refresh: Duration::from_secs(2),
            feedback_key: None,
        }
    }

    pub fn from_env() -> Result<Config, ConfigError> {
        let site_addr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .map_err(|e: std::net::AddrParseError| ConfigError::Invalid {
                name: "LEPTOS_SITE_ADDR",
                reason: e.to_string(),
            })?;
        let processor = match var("TOLEM_PROCESSOR").as_deref().unwrap_or("sandbox") {
            "sandbox" => ProcessorKind::Sandbox,
            "gateway" => ProcessorKind::Gateway(GatewayConfig {
                url: var("TOLEM_ACQUIRER_URL").ok_or(ConfigError::Invalid {
                    name: "TOLEM_ACQUIRER_URL",
                    reason: "required with TOLEM_PROCESSOR=gateway".into(),
                })?,
                secret: var("TOLEM_ACQUIRER_SECRET").ok_or(ConfigError::Invalid {
                    name: "TOLEM_ACQUIRER_SECRET",
                    reason: "required with TOLEM_PROCESSOR=gateway".into(),
                })?,
                connect_timeout: Duration::from_millis(number(
                    "TOLEM_ACQUIRER_CONNECT_TIMEOUT_MS",
                    3_000,
                )?),
                request_timeout: Duration::from_millis(number(
                    "TOLEM_ACQUIRER_TIMEOUT_MS",
                    10_000,
                )?),
            }),
            other => {
                return Err(ConfigError::Invalid {
                    name: "TOLEM_PROCESSOR",
                    reason: format!("unknown processor {other:?}; known: sandbox, gateway"),
                });
            }
        };
        let public_url = var("TOLEM_PUBLIC_URL").map(|url| url.trim_end_matches('/').to_string());
        let elcart_prefix = var("TOLEM_ELCART_PREFIX").unwrap_or_else(|| "9417".into());
        domain::BrandTable::with_elcart_prefix(&elcart_prefix).map_err(|e| {
            ConfigError::Invalid {
                name: "TOLEM_ELCART_PREFIX",
                reason: format!("{e:?}"),
            }
        })?;
        Ok(Config {
            site_addr,
            database_url: var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/tolem.db?mode=rwc".into()),
            processor,
            demo_data: flag("TOLEM_DEMO_DATA", false)?,
            elcart_prefix,
            support_email: var("TOLEM_SUPPORT_EMAIL")
                .unwrap_or_else(|| "support@infocom.kg".into()),
            support_phones: var("TOLEM_SUPPORT_PHONES")
                .map(|v| v.split(',').map(|p| p.trim().to_string()).collect())
                .unwrap_or_else(|| vec!["(0312) 98-61-90".into(), "(0312) 98-61-91".into()]),
            site_root: var("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            public_url,
            reconcile_every: Duration::from_secs(number("TOLEM_RECONCILE_EVERY_SECS", 15)?),
            stale_after: Duration::from_secs(number("TOLEM_STALE_AFTER_SECS", 60)?),
            abandon_after: Duration::from_secs(60 * number("TOLEM_ABANDON_AFTER_MINUTES", 90)?),
            behind_proxy: flag("TOLEM_BEHIND_PROXY", false)?,
            store: crate::storage::StoreOptions {
                wait: Duration::from_millis(positive("TOLEM_DB_WAIT_MS", 2_000)?),
                sqlite_readers: positive("TOLEM_DB_SQLITE_READERS", 4)? as usize,
                postgres_connections: positive("TOLEM_DB_POSTGRES_CONNECTIONS", 16)? as usize,
            },
            documents_refresh: Duration::from_secs(positive("TOLEM_DOCUMENTS_REFRESH_SECS", 2)?),
            feedback_key: var("TOLEM_FEEDBACK_KEY"),
        })
    }
}
