//! The server binary, started with a clean environment, refuses a
//! configuration that could take money badly (or take none while saying it
//! did): exit code 2 and one line on stderr naming the setting, before it
//! creates the database. With the sandbox in test mode it starts.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// 64 characters, as `openssl rand -hex 32` makes them.
const SECRET: &str = "4e1d3f0c9a8b7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d";

/// A gateway configuration that passes every check.
const GATEWAY: &[(&str, &str)] = &[
    ("TOLEM_PROCESSOR", "gateway"),
    ("TOLEM_ACQUIRER_URL", "https://acquirer.example.kg"),
    ("TOLEM_ACQUIRER_SECRET", SECRET),
    ("TOLEM_PUBLIC_URL", "https://pay.example.kg"),
];

/// The server binary with nothing from our environment but `PATH`, a
/// SQLite file in `dir`, any free port and the given settings.
pub fn server(dir: &Path, settings: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", server::testing::sqlite_url(dir))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("LEPTOS_SITE_ROOT", dir)
        .env("TOLEM_LOG", "warn")
        .envs(settings.iter().copied())
        .stdin(Stdio::null());
    command
}

/// `base` with the settings of `changes` replaced, or removed when "".
fn with<'a>(
    base: &[(&'a str, &'a str)],
    changes: &[(&'a str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    let mut settings: Vec<_> = base
        .iter()
        .filter(|(name, _)| !changes.iter().any(|(changed, _)| changed == name))
        .copied()
        .collect();
    settings.extend(changes.iter().filter(|(_, value)| !value.is_empty()));
    settings
}

fn wait_for_exit(child: &mut Child, within: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().expect("wait for the server") {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// Starts the server with `settings` and checks that it refused: exit code
/// 2, one line on stderr that names `setting`, and no database made.
fn assert_refused(settings: &[(&str, &str)], setting: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = server(dir.path(), settings)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server binary");
    let Some(status) = wait_for_exit(&mut child, Duration::from_secs(30)) else {
        child.kill().ok();
        child.wait().ok();
        panic!("the server started with a configuration it should refuse ({setting})");
    };
    let stderr = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(2), "{setting}: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    let expected = format!("tolem: configuration: {setting} ");
    assert!(lines[0].starts_with(&expected), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    let made: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(
        made.is_empty(),
        "refused before touching the database: {made:?}"
    );
}

#[test]
fn no_processor_is_refused() {
    assert_refused(&[("TOLEM_TEST_MODE", "true")], "TOLEM_PROCESSOR");
}

#[test]
fn the_sandbox_without_test_mode_is_refused() {
    assert_refused(&[("TOLEM_PROCESSOR", "sandbox")], "TOLEM_TEST_MODE");
    assert_refused(
        &[("TOLEM_PROCESSOR", "sandbox"), ("TOLEM_TEST_MODE", "false")],
        "TOLEM_TEST_MODE",
    );
}

#[test]
fn the_gateway_over_plain_http_to_another_host_is_refused() {
    let settings = with(
        GATEWAY,
        &[("TOLEM_ACQUIRER_URL", "http://acquirer.example.kg")],
    );
    assert_refused(&settings, "TOLEM_ACQUIRER_URL");
}

#[test]
fn a_short_key_is_refused() {
    let settings = with(GATEWAY, &[("TOLEM_ACQUIRER_SECRET", &SECRET[..31])]);
    assert_refused(&settings, "TOLEM_ACQUIRER_SECRET");
}

#[test]
fn stale_after_not_above_the_acquirer_timeout_is_refused() {
    let settings = with(
        GATEWAY,
        &[
            ("TOLEM_ACQUIRER_TIMEOUT_MS", "15000"),
            ("TOLEM_STALE_AFTER_SECS", "15"),
        ],
    );
    assert_refused(&settings, "TOLEM_STALE_AFTER_SECS");
}

#[test]
fn a_window_not_above_the_acquirer_timeout_is_refused() {
    let settings = with(
        GATEWAY,
        &[
            ("TOLEM_ACQUIRER_TIMEOUT_MS", "10000"),
            ("TOLEM_ACQUIRER_WINDOW_SECS", "10"),
        ],
    );
    assert_refused(&settings, "TOLEM_ACQUIRER_WINDOW_SECS");
}

#[test]
fn the_gateway_without_a_public_url_is_refused() {
    let settings = with(GATEWAY, &[("TOLEM_PUBLIC_URL", "")]);
    assert_refused(&settings, "TOLEM_PUBLIC_URL");
}

/// A free port on this machine, for a server binary to be told.
pub fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap().port()
}

/// Waits (up to 15 s) until the server at `base` says it is live; panics
/// if it stopped.
pub async fn live(child: &mut Child, base: &str) -> bool {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the server stopped: {status}");
        }
        let live = client.get(format!("{base}/health/live")).send().await;
        if live.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn the_sandbox_in_test_mode_starts_and_says_so_on_its_pages() {
    let dir = tempfile::tempdir().unwrap();
    let address = format!("127.0.0.1:{}", free_port());
    let mut child = server(
        dir.path(),
        &[
            ("TOLEM_PROCESSOR", "sandbox"),
            ("TOLEM_TEST_MODE", "true"),
            ("LEPTOS_SITE_ADDR", &address),
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("start the server binary");
    let client = reqwest::Client::new();
    let base = format!("http://{address}");
    let up = live(&mut child, &base).await;
    let home = match up {
        true => client.get(&base).send().await.unwrap().text().await.ok(),
        false => None,
    };
    child.kill().ok();
    child.wait().ok();
    assert!(up, "the server did not start listening");
    let home = home.unwrap_or_default();
    assert!(
        home.contains("Тестовый режим — деньги не списываются"),
        "{home}"
    );
}
