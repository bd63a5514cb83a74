//! The checks that make a wrong deployment refuse to start instead of
//! taking money badly: the acquirer reached over TLS, a key long enough to
//! sign with, an address for the bank to send citizens back to, timings
//! that agree with each other, and limits on clients that leave every
//! legitimate request room.

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
/// An optional key the operator sets: long enough when set.
pub fn optional_secret(
    name: &'static str,
    value: Option<String>,
) -> Result<Option<String>, ConfigError> {
    match value {
        Some(key) if key.len() < MIN_SECRET_BYTES => Err(ConfigError::new(
            name,
            format!(
                "is too short: {} bytes, at least {MIN_SECRET_BYTES} are needed",
                key.len()
            ),
        )),
        other => Ok(other),
    }
}

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

/// The smallest body limit that still takes every form of the site: the
/// feedback message at its limit in characters, each at most 4 bytes of
/// UTF-8 and so 12 once percent-encoded, plus 4 KiB for the other fields
/// (an address of 254 characters, the topic, the receipt number, the
/// names). The pay form and `/api/pay` take well under 1 KiB.
pub const SMALLEST_BODY_LIMIT: usize = app::feedback::MESSAGE_LIMIT * 12 + 4096;

/// The largest body limit: no form comes near it, and axum's own limit on
/// a form it reads is 2 MiB.
pub const LARGEST_BODY_LIMIT: usize = 1024 * 1024;

/// More requests at once than one server can hold; also far below what the
/// semaphore behind the limit can count.
pub const LARGEST_CONCURRENCY: usize = 100_000;

/// The limits on clients, checked against each other and the timings.
pub fn http_limits(config: &Config) -> Result<(), ConfigError> {
    let http = &config.http;
    if !(SMALLEST_BODY_LIMIT..=LARGEST_BODY_LIMIT).contains(&http.body_limit) {
        return Err(ConfigError::new(
            "TOLEM_BODY_LIMIT_BYTES",
            format!(
                "({}) must be between {SMALLEST_BODY_LIMIT} (the feedback form at its \
                 {}-character limit, percent-encoded) and {LARGEST_BODY_LIMIT}",
                http.body_limit,
                app::feedback::MESSAGE_LIMIT
            ),
        ));
    }
    if http.max_concurrent_requests > LARGEST_CONCURRENCY {
        return Err(ConfigError::new(
            "TOLEM_MAX_CONCURRENT_REQUESTS",
            format!(
                "({}) must be at most {LARGEST_CONCURRENCY}",
                http.max_concurrent_requests
            ),
        ));
    }
    // A payment waits for the database and then for the acquirer before it
    // answers; cut short sooner, every slow payment would read "try again".
    let acquirer = match &config.processor {
        ProcessorKind::Sandbox => Duration::ZERO,
        ProcessorKind::Gateway(gateway) => gateway.request_timeout,
    };
    let longest_wait = acquirer + config.store.wait;
    if http.request_timeout <= longest_wait {
        return Err(ConfigError::new(
            "TOLEM_REQUEST_TIMEOUT_SECS",
            format!(
                "({}) must be longer than TOLEM_ACQUIRER_TIMEOUT_MS ({} ms) plus \
                 TOLEM_DB_WAIT_MS ({} ms): a payment may wait for both before it answers",
                shown(http.request_timeout),
                acquirer.as_millis(),
                config.store.wait.as_millis()
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
