//! The checks that make a wrong deployment refuse to start instead of
//! taking money badly: the acquirer reached over TLS, a key long enough to
//! sign with, an address for the bank to send citizens back to, and
//! timings that agree with each other.

use super::{Config, ConfigError, ProcessorKind};
use secrecy::SecretString;
use std::time::Duration;
use url::{Host, Url};

/// The shortest HMAC key we accept, in bytes: SHA-256's own size, below
/// which the key and not the hash is the weak part.
pub const MIN_SECRET_BYTES: usize = 32;

/// The acquirer's API address: `https://`, or plain `http://` to this
/// machine only (tests, demonstrations, the stand-alone sandbox), since
/// card numbers and the key's signatures travel over it.
pub fn acquirer_url(value: &str) -> Result<String, ConfigError> {
    const NAME: &str = "TOLEM_ACQUIRER_URL";
    let url = Url::parse(value.trim())
        .map_err(|e| ConfigError::new(NAME, format!("is not a URL ({e})")))?;
    match url.scheme() {
        "https" if url.has_host() => Ok(value.trim().to_string()),
        "http" if url.host().as_ref().is_some_and(is_loopback) => Ok(value.trim().to_string()),
        "http" => Err(ConfigError::new(
            NAME,
            format!(
                "must be https:// (plain http:// only to a loopback host: 127.0.0.0/8, [::1], \
                 localhost), got http:// to {}",
                url.host_str().unwrap_or("no host")
            ),
        )),
        scheme => Err(ConfigError::new(
            NAME,
            format!("must be an https:// address, got {scheme}:"),
        )),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
        // The URL parser has lower-cased the name already.
        Host::Domain(name) => *name == "localhost",
    }
}

/// The key shared with the acquirer, used as written (its UTF-8 bytes are
/// the HMAC key, as the stand-alone sandbox acquirer uses its copy). Only
/// its length can be checked here; it should be made from 32 random bytes,
/// e.g. `openssl rand -hex 32`.
pub fn acquirer_secret(value: String) -> Result<SecretString, ConfigError> {
    if value.len() < MIN_SECRET_BYTES {
        return Err(ConfigError::new(
            "TOLEM_ACQUIRER_SECRET",
            format!(
                "is too short: {} bytes, at least {MIN_SECRET_BYTES} are needed \
                 (make one with: openssl rand -hex 32)",
                value.len()
            ),
        ));
    }
    Ok(SecretString::from(value))
}

/// The site's address as browsers reach it, without a trailing slash.
pub fn public_url(value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim().trim_end_matches('/');
    match Url::parse(trimmed) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {
            Ok(trimmed.to_string())
        }
        _ => Err(ConfigError::new(
            "TOLEM_PUBLIC_URL",
            format!("must be an address like https://pay.example.kg, got {trimmed:?}"),
        )),
    }
}

/// The timings checked against each other. Each rule names the setting to
/// change, so the one line printed at start-up says what to fix.
pub fn timings(config: &Config) -> Result<(), ConfigError> {
    if config.reconcile_every.is_zero() {
        return Err(ConfigError::new(
            "TOLEM_RECONCILE_EVERY_SECS",
            "must be more than 0",
        ));
    }
    if config.stale_after.is_zero() {
        return Err(ConfigError::new(
            "TOLEM_STALE_AFTER_SECS",
            "must be more than 0",
        ));
    }
    if config.abandon_after <= config.stale_after {
        return Err(ConfigError::new(
            "TOLEM_ABANDON_AFTER_MINUTES",
            format!(
                "({}) must be longer than TOLEM_STALE_AFTER_SECS ({}): a payment is asked about \
                 before it is given up",
                shown(config.abandon_after),
                shown(config.stale_after)
            ),
        ));
    }
    // The in-process sandbox answers without a network, so it has no request
    // timeout to outlast; the window must still be a real one.
    let timeout = match &config.processor {
        ProcessorKind::Sandbox => Duration::ZERO,
        ProcessorKind::Gateway(gateway) => gateway.request_timeout,
    };
    if config.stale_after <= timeout {
        return Err(ConfigError::new(
            "TOLEM_STALE_AFTER_SECS",
            format!(
                "({}) must be longer than TOLEM_ACQUIRER_TIMEOUT_MS ({} ms): a payment still \
                 waiting for the acquirer's answer would be taken as interrupted",
                shown(config.stale_after),
                timeout.as_millis()
            ),
        ));
    }
    if config.acquirer_window <= timeout {
        let rule = if timeout.is_zero() {
            "must be more than 0".to_string()
        } else {
            format!(
                "must be longer than TOLEM_ACQUIRER_TIMEOUT_MS ({} ms)",
                timeout.as_millis()
            )
        };
        return Err(ConfigError::new(
            "TOLEM_ACQUIRER_WINDOW_SECS",
            format!(
                "({}) {rule}: the acquirer may still record an order its client stopped \
                 waiting for",
                shown(config.acquirer_window)
            ),
        ));
    }
    Ok(())
}

/// A duration as the settings are written: minutes, seconds or milliseconds.
fn shown(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis.is_multiple_of(60_000) && millis >= 60_000 {
        format!("{} min", millis / 60_000)
    } else if millis.is_multiple_of(1_000) {
        format!("{} s", millis / 1_000)
    } else {
        format!("{millis} ms")
    }
}
