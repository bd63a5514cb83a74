//! The settings parsed from a table instead of the environment: each
//! refusal names the setting to change, and what decides whether money is
//! really taken is never assumed.

use super::{Config, ConfigError, MIN_SECRET_BYTES, ProcessorKind};
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::time::Duration;

/// 64 characters, as `openssl rand -hex 32` makes them.
const SECRET: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn parse(settings: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let table: HashMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_vars(&|name| table.get(name).cloned())
}

fn sandbox() -> Vec<(&'static str, &'static str)> {
    vec![("TOLEM_PROCESSOR", "sandbox"), ("TOLEM_TEST_MODE", "true")]
}

fn gateway() -> Vec<(&'static str, &'static str)> {
    vec![
        ("TOLEM_PROCESSOR", "gateway"),
        ("TOLEM_ACQUIRER_URL", "https://acquirer.example.kg/api"),
        ("TOLEM_ACQUIRER_SECRET", SECRET),
        ("TOLEM_PUBLIC_URL", "https://pay.example.kg/"),
    ]
}

/// `base` with `changes` applied (a value of "" removes the setting).
fn with(
    base: Vec<(&'static str, &'static str)>,
    changes: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut settings: Vec<_> = base
        .into_iter()
        .filter(|(name, _)| !changes.iter().any(|(changed, _)| changed == name))
        .collect();
    settings.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
    settings
}

/// The setting a refusal names, after checking it is one line that starts
/// with that name.
fn refused(settings: &[(&str, &str)]) -> &'static str {
    let error = parse(settings).expect_err("refused");
    let line = error.to_string();
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.starts_with(error.name), "{line}");
    error.name
}

#[test]
fn no_processor_is_refused_rather_than_taken_as_the_sandbox() {
    assert_eq!(refused(&[]), "TOLEM_PROCESSOR");
    assert_eq!(refused(&[("TOLEM_TEST_MODE", "true")]), "TOLEM_PROCESSOR");
    assert_eq!(
        refused(&[("TOLEM_PROCESSOR", "sandbox ")]),
        "TOLEM_TEST_MODE"
    );
    assert_eq!(
        refused(&[("TOLEM_PROCESSOR", "Sandbox")]),
        "TOLEM_PROCESSOR"
    );
    assert_eq!(refused(&[("TOLEM_PROCESSOR", "mock")]), "TOLEM_PROCESSOR");
}

#[test]
fn the_sandbox_needs_test_mode() {
    assert_eq!(
        refused(&[("TOLEM_PROCESSOR", "sandbox")]),
        "TOLEM_TEST_MODE"
    );
    assert_eq!(
        refused(&with(sandbox(), &[("TOLEM_TEST_MODE", "false")])),
        "TOLEM_TEST_MODE"
    );
    assert_eq!(
        refused(&with(sandbox(), &[("TOLEM_TEST_MODE", "maybe")])),
        "TOLEM_TEST_MODE"
    );
    let config = parse(&sandbox()).unwrap();
    assert!(matches!(config.processor, ProcessorKind::Sandbox));
    assert!(config.test_mode);
    assert_eq!(config.public_url, None);
}

#[test]
fn the_gateway_is_live_unless_test_mode_is_asked_for() {
    let config = parse(&gateway()).unwrap();
    assert!(!config.test_mode);
    assert_eq!(config.public_url.as_deref(), Some("https://pay.example.kg"));
    let ProcessorKind::Gateway(link) = &config.processor else {
        panic!("gateway expected");
    };
    assert_eq!(link.url, "https://acquirer.example.kg/api");
    assert_eq!(link.secret.expose_secret(), SECRET);
    assert_eq!(link.request_timeout, Duration::from_secs(10));
    let staging = parse(&with(gateway(), &[("TOLEM_TEST_MODE", "yes")])).unwrap();
    assert!(staging.test_mode);
}

#[test]
fn the_acquirer_is_reached_over_tls_or_on_this_machine() {
    for url in [
        "https://acquirer.example.kg",
        "https://10.0.0.5:8443",
        "http://127.0.0.1:4000",
        "http://127.10.20.30:4000/api",
        "http://[::1]:4000",
        "http://localhost:4000",
        "http://LocalHost:4000",
    ] {
        let settings = with(gateway(), &[("TOLEM_ACQUIRER_URL", url)]);
        assert!(parse(&settings).is_ok(), "{url}");
    }
    for url in [
        "http://acquirer.example.kg",
        "http://10.0.0.5:4000",
        "http://192.168.1.10",
        "http://[2001:db8::1]:4000",
        "http://localhost.example.kg",
        "http://127.0.0.1.nip.io",
        "ftp://127.0.0.1",
        "acquirer.example.kg",
        "not a url",
        "",
    ] {
        let settings = with(gateway(), &[("TOLEM_ACQUIRER_URL", url)]);
        assert_eq!(refused(&settings), "TOLEM_ACQUIRER_URL", "{url}");
    }
}

#[test]
fn the_key_must_be_long_enough_and_is_never_printed() {
    let short = &SECRET[..MIN_SECRET_BYTES - 1];
    let settings = with(gateway(), &[("TOLEM_ACQUIRER_SECRET", short)]);
    assert_eq!(refused(&settings), "TOLEM_ACQUIRER_SECRET");
    let error = parse(&settings).unwrap_err().to_string();
    assert!(!error.contains(short), "{error}");
    let missing = with(gateway(), &[("TOLEM_ACQUIRER_SECRET", "")]);
    assert_eq!(refused(&missing), "TOLEM_ACQUIRER_SECRET");

    let exact = &SECRET[..MIN_SECRET_BYTES];
    let config = parse(&with(gateway(), &[("TOLEM_ACQUIRER_SECRET", exact)])).unwrap();
    let printed = format!("{config:?}");
    assert!(!printed.contains(exact), "{printed}");
    assert!(printed.contains("REDACTED"), "{printed}");
}

#[test]
fn the_gateway_needs_the_address_citizens_come_back_to() {
    let missing = with(gateway(), &[("TOLEM_PUBLIC_URL", "")]);
    assert_eq!(refused(&missing), "TOLEM_PUBLIC_URL");
    let malformed = with(gateway(), &[("TOLEM_PUBLIC_URL", "pay.example.kg")]);
    assert_eq!(refused(&malformed), "TOLEM_PUBLIC_URL");
    let sandbox = with(sandbox(), &[("TOLEM_PUBLIC_URL", "javascript:alert(1)")]);
    assert_eq!(refused(&sandbox), "TOLEM_PUBLIC_URL");
}

#[test]
fn stale_after_must_outlast_the_acquirer_timeout() {
    let equal = with(
        gateway(),
        &[
            ("TOLEM_ACQUIRER_TIMEOUT_MS", "10000"),
            ("TOLEM_STALE_AFTER_SECS", "10"),
        ],
    );
    assert_eq!(refused(&equal), "TOLEM_STALE_AFTER_SECS");
    let longer = with(
        gateway(),
        &[
            ("TOLEM_ACQUIRER_TIMEOUT_MS", "10000"),
            ("TOLEM_STALE_AFTER_SECS", "11"),
        ],
    );
    assert!(parse(&longer).is_ok());
    let zero = with(sandbox(), &[("TOLEM_STALE_AFTER_SECS", "0")]);
    assert_eq!(refused(&zero), "TOLEM_STALE_AFTER_SECS");
}

#[test]
fn the_acquirer_window_must_outlast_the_acquirer_timeout() {
    let config = parse(&gateway()).unwrap();
    assert_eq!(config.acquirer_window, Duration::from_secs(120));
    let short = with(
        gateway(),
        &[
            ("TOLEM_ACQUIRER_TIMEOUT_MS", "30000"),
            ("TOLEM_ACQUIRER_WINDOW_SECS", "30"),
        ],
    );
    assert_eq!(refused(&short), "TOLEM_ACQUIRER_WINDOW_SECS");
    let set = with(gateway(), &[("TOLEM_ACQUIRER_WINDOW_SECS", "600")]);
    assert_eq!(
        parse(&set).unwrap().acquirer_window,
        Duration::from_secs(600)
    );
    // The in-process sandbox has no request timeout; the window must exist.
    let zero = with(sandbox(), &[("TOLEM_ACQUIRER_WINDOW_SECS", "0")]);
    assert_eq!(refused(&zero), "TOLEM_ACQUIRER_WINDOW_SECS");
    let one = with(sandbox(), &[("TOLEM_ACQUIRER_WINDOW_SECS", "1")]);
    assert!(parse(&one).is_ok());
}

#[test]
fn payments_are_asked_about_before_they_are_abandoned_and_the_worker_runs() {
    let abandoned_first = with(
        sandbox(),
        &[
            ("TOLEM_ABANDON_AFTER_MINUTES", "1"),
            ("TOLEM_STALE_AFTER_SECS", "60"),
        ],
    );
    assert_eq!(refused(&abandoned_first), "TOLEM_ABANDON_AFTER_MINUTES");
    let never = with(sandbox(), &[("TOLEM_RECONCILE_EVERY_SECS", "0")]);
    assert_eq!(refused(&never), "TOLEM_RECONCILE_EVERY_SECS");
    let zero_timeout = with(gateway(), &[("TOLEM_ACQUIRER_TIMEOUT_MS", "0")]);
    assert_eq!(refused(&zero_timeout), "TOLEM_ACQUIRER_TIMEOUT_MS");
}

#[test]
fn malformed_values_name_their_setting() {
    for (name, value) in [
        ("TOLEM_STALE_AFTER_SECS", "sixty"),
        ("TOLEM_ACQUIRER_WINDOW_SECS", "-5"),
        ("TOLEM_DB_WAIT_MS", "0"),
        ("TOLEM_DEMO_DATA", "sure"),
        ("LEPTOS_SITE_ADDR", "localhost"),
        ("TOLEM_METRICS_ADDR", "9100"),
    ] {
        assert_eq!(refused(&with(sandbox(), &[(name, value)])), name, "{value}");
    }
}

#[test]
fn the_local_configuration_of_tests_is_the_sandbox_in_test_mode_and_passes_its_own_checks() {
    let config = Config::local("sqlite::memory:", "target/site");
    assert!(matches!(config.processor, ProcessorKind::Sandbox));
    assert!(config.test_mode);
    assert!(super::checks::timings(&config).is_ok());
}

#[test]
fn the_limits_on_clients_have_production_defaults_that_tests_share() {
    let config = parse(&sandbox()).unwrap();
    let local = Config::local("sqlite::memory:", "target/site");
    for http in [&config.http, &local.http] {
        assert_eq!(http.header_read_timeout, Duration::from_secs(10));
        assert_eq!(http.request_timeout, Duration::from_secs(30));
        assert_eq!(http.max_concurrent_requests, 1024);
        assert_eq!(http.body_limit, 32 * 1024);
    }
    assert!(super::checks::http_limits(&local).is_ok());
    let set = parse(&with(
        sandbox(),
        &[
            ("TOLEM_HEADER_READ_TIMEOUT_SECS", "65"),
            ("TOLEM_REQUEST_TIMEOUT_SECS", "20"),
            ("TOLEM_MAX_CONCURRENT_REQUESTS", "256"),
            ("TOLEM_BODY_LIMIT_BYTES", "65536"),
        ],
    ))
    .unwrap();
    assert_eq!(set.http.header_read_timeout, Duration::from_secs(65));
    assert_eq!(set.http.request_timeout, Duration::from_secs(20));
    assert_eq!(set.http.max_concurrent_requests, 256);
    assert_eq!(set.http.body_limit, 65536);
}

#[test]
fn the_limits_on_clients_leave_every_legitimate_request_room() {
    for (name, value) in [
        ("TOLEM_HEADER_READ_TIMEOUT_SECS", "0"),
        ("TOLEM_HEADER_READ_TIMEOUT_SECS", "ten"),
        ("TOLEM_REQUEST_TIMEOUT_SECS", "0"),
        ("TOLEM_MAX_CONCURRENT_REQUESTS", "0"),
        ("TOLEM_MAX_CONCURRENT_REQUESTS", "-1"),
        ("TOLEM_MAX_CONCURRENT_REQUESTS", "1000000"),
        ("TOLEM_BODY_LIMIT_BYTES", "0"),
        // Below the feedback form at its limit: a citizen's long message
        // would meet a bare 413 instead of the form's own error.
        ("TOLEM_BODY_LIMIT_BYTES", "4096"),
        ("TOLEM_BODY_LIMIT_BYTES", "104857600"),
        // The sandbox answers at once; the database may take its 2 s.
        ("TOLEM_REQUEST_TIMEOUT_SECS", "2"),
    ] {
        assert_eq!(refused(&with(sandbox(), &[(name, value)])), name, "{value}");
    }
    let smallest = super::checks::SMALLEST_BODY_LIMIT.to_string();
    let fits: Vec<(&str, &str)> = sandbox()
        .into_iter()
        .chain([("TOLEM_BODY_LIMIT_BYTES", smallest.as_str())])
        .collect();
    assert!(parse(&fits).is_ok());
    // A payment may wait 10 s for the acquirer after 2 s for the database.
    let tight = with(gateway(), &[("TOLEM_REQUEST_TIMEOUT_SECS", "12")]);
    assert_eq!(refused(&tight), "TOLEM_REQUEST_TIMEOUT_SECS");
    let line = parse(&tight).unwrap_err().to_string();
    assert!(
        line.contains("TOLEM_ACQUIRER_TIMEOUT_MS (10000 ms)"),
        "{line}"
    );
    let enough = with(gateway(), &[("TOLEM_REQUEST_TIMEOUT_SECS", "13")]);
    assert!(parse(&enough).is_ok());
    let sandbox_enough = with(sandbox(), &[("TOLEM_REQUEST_TIMEOUT_SECS", "3")]);
    assert!(parse(&sandbox_enough).is_ok());
}

#[test]
fn the_limits_on_card_testing_are_on_by_default_and_each_can_be_set() {
    let config = parse(&sandbox()).unwrap();
    assert_eq!(config.abuse, crate::abuse::AbuseLimits::default());
    assert!(config.abuse.enabled);
    let set = parse(&with(
        sandbox(),
        &[
            ("TOLEM_DECLINES_PER_CARD", "2"),
            ("TOLEM_TRIPWIRE_DECLINE_PERCENT", "0"),
            ("TOLEM_LOOKUPS_PER_MINUTE", "0"),
            ("TOLEM_COOL_DOWN_SECS", "60"),
        ],
    ))
    .unwrap();
    assert_eq!(set.abuse.per_card.declines, 2);
    assert_eq!(
        set.abuse.tripwire_decline_percent, 0,
        "0 turns the tripwire off"
    );
    assert_eq!(set.abuse.lookups_per_minute, 0, "0: no limit on lookups");
    assert_eq!(set.abuse.cool_down, Duration::from_secs(60));
    assert_eq!(
        refused(&with(
            sandbox(),
            &[("TOLEM_TRIPWIRE_DECLINE_PERCENT", "150")]
        )),
        "TOLEM_TRIPWIRE_DECLINE_PERCENT"
    );
    assert_eq!(
        refused(&with(sandbox(), &[("TOLEM_DECLINES_PER_CLIENT", "0")])),
        "TOLEM_DECLINES_PER_CLIENT"
    );
    assert!(
        !Config::local("sqlite::memory:", ".").abuse.enabled,
        "tests pay from one address"
    );
}

#[test]
fn metrics_are_served_only_where_asked() {
    assert_eq!(parse(&sandbox()).unwrap().metrics_addr, None);
    let set = parse(&with(
        sandbox(),
        &[("TOLEM_METRICS_ADDR", "127.0.0.1:9100")],
    ))
    .unwrap();
    assert_eq!(set.metrics_addr, Some(([127, 0, 0, 1], 9100).into()));
}
