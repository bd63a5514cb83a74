//! Configuration from the environment, with defaults that start a working
//! site on a fresh machine (SQLite file under `./data/`, sandbox processor).

use std::net::SocketAddr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessorKind {
    /// The in-process sandbox with documented test cards.
    Sandbox,
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
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
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
            other => {
                return Err(ConfigError::Invalid {
                    name: "TOLEM_PROCESSOR",
                    reason: format!("unknown processor {other:?}; known: sandbox"),
                });
            }
        };
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
        })
    }
}
