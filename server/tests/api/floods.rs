//! Floods and slow clients: a thousand connections that send half their
//! headers and then nothing do not stop a citizen paying; a body larger
//! than any form is refused; a request past the concurrency limit, or one
//! not answered in time, gets a localized 503 with `Retry-After`; a client
//! that stops mid-headers is disconnected; and a shutdown still lets the
//! request under way finish.

use crate::helpers::*;
use futures_util::future::join_all;
use server::config::{HttpLimits, ProcessorKind};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// "Within a few seconds", for a debug build on two cores.
const FEW_SECONDS: Duration = Duration::from_secs(10);

/// A server on a fresh SQLite file whose limits `change` sets.
async fn spawn_with(change: impl FnOnce(&mut HttpLimits)) -> TestApp {
    let data_dir = tempfile::tempdir().expect("temporary directory");
    let url = server::testing::sqlite_url(data_dir.path());
    let site_root = data_dir.path().display().to_string();
    let mut config = test_config(&url, ProcessorKind::Sandbox, &site_root);
    change(&mut config.http);
    TestApp::spawn_with_config(data_dir, config).await
}

fn port(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

/// The first part of a request's headers, as a slow or hostile client
/// sends them before it stops.
const HALF_HEADERS: &[u8] = b"GET / HTTP/1.1\r\nHost: tolem\r\nAccept: text/ht";

async fn half_open(port: u16) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    stream.write_all(HALF_HEADERS).await?;
    Ok(stream)
}

/// Whether the server has closed `stream` (or answered on it), looking
/// without waiting.
fn answered_or_closed(stream: &TcpStream) -> bool {
    let mut buffer = [0u8; 256];
    match stream.try_read(&mut buffer) {
        Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
        Ok(_) => true,
    }
}

/// Files this process has open, sockets included.
fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |dir| dir.count())
}

/// The soft and hard limits on this process's open files.
fn open_files_limits() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..].split_whitespace();
    Some((numbers.next()?.parse().ok()?, numbers.next()?.parse().ok()?))
}

/// Makes sure this process may open `needed` files: the test's ends and
/// the server's ends of its connections, beside every other test's. Raises
/// the soft limit up to the hard one with `prlimit` if it must.
fn allow_open_files(needed: u64) {
    let Some((soft, hard)) = open_files_limits() else {
        return;
    };
    if soft < needed && hard >= needed {
        let _ = Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={hard}:{hard}"))
            .status();
    }
    let soft = open_files_limits().map_or(soft, |(soft, _)| soft);
    assert!(
        soft >= needed,
        "this test holds 1,000 connections and needs {needed} open files; \
         the limit is {soft} (raise it with `ulimit -n {needed}`)"
    );
}

#[tokio::test]
async fn a_payer_pays_while_1000_half_open_connections_are_held() {
    allow_open_files(4_000);
    // The connections must still be held when the payer is done: a header
    // timeout far longer than the test leaves that to the server's
    // capacity, not to the timeout.
    let app = spawn_with(|http| http.header_read_timeout = Duration::from_secs(300)).await;
    let port = port(&app);
    let files_before = open_files();
    let held: Vec<TcpStream> = join_all((0..1000).map(|_| half_open(port)))
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("1,000 connections opened");
    // The kernel completes a connection before the server accepts it; the
    // server has them all when this process holds both ends of each (other
    // tests running beside this one open and close a few files too).
    let deadline = Instant::now() + FEW_SECONDS;
    while open_files() < files_before + 1900 {
        assert!(Instant::now() < deadline, "the server did not accept them");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = Instant::now();

    // With JavaScript: the island's JSON call.
    let answer = call_pay(&app, &pay_body("11202600000005", &new_key(), APPROVED_CARD)).await;
    assert!(is_paid(&answer), "paid through /api/pay: {answer:?}");
    // Without: the form posted to its page, then the receipt.
    let response = app
        .post_card_form("16202600000004", &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(response.status(), 303, "paid through the form");
    let (status, receipt) = app.get_html(&location(&response)).await;
    assert_eq!(status, 200);
    assert!(receipt.contains("Оплата прошла успешно"), "{receipt}");
    for page in [
        "/",
        "/?code=13202600000002",
        "/documents/privacy-policy",
        "/health",
    ] {
        let (status, _) = app.get_html(page).await;
        assert_eq!(status, 200, "{page}");
    }
    let took = started.elapsed();
    assert!(took < FEW_SECONDS, "the payer took {took:?}");
    assert_eq!(app.calls(), 2, "two charges, one each");

    let closed = held.iter().filter(|s| answered_or_closed(s)).count();
    assert_eq!(closed, 0, "all 1,000 were held throughout");
}

#[tokio::test]
async fn a_body_larger_than_any_form_is_refused_413() {
    let app = TestApp::spawn().await;
    let big = "a".repeat(40 * 1024);
    let feedback = app
        .client
        .post(app.url(app::paths::FEEDBACK))
        .form(&[("topic", "other"), ("message", big.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(feedback.status(), 413, "feedback");
    assert!(
        feedback.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = feedback.text().await.unwrap();
    assert!(page.contains("Отправлено слишком много данных"), "{page}");
    let mut body = pay_body("11202600000006", &new_key(), APPROVED_CARD);
    body["form"]["cardholder"] = big.clone().into();
    let (status, answer) = call_pay(&app, &body).await;
    assert_eq!(status, 413, "/api/pay");
    assert_eq!(
        pay_outcome(status, &answer),
        Err(app::api::PayError::Internal)
    );
    let mut fields = card_fields(APPROVED_CARD, CVV);
    fields.push(("padding", big.as_str()));
    let form = app
        .post_card_form_with_key("11202600000006", &new_key(), &fields)
        .await;
    assert_eq!(form.status(), 413, "the pay form");
    assert_eq!(app.calls(), 0, "nothing reached the acquirer");

    // The largest form a citizen can send still fits: a feedback message
    // at its limit in characters of four UTF-8 bytes, twelve once
    // percent-encoded.
    let longest = "😀".repeat(app::feedback::MESSAGE_LIMIT);
    let sent = app
        .client
        .post(app.url(app::paths::FEEDBACK))
        .form(&[
            ("topic", "other"),
            ("message", longest.as_str()),
            ("reply_email", "aibek@example.kg"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303, "the longest message is taken");
}

/// The length a slow post announces, and the part of its body it sends.
const SLOW_LENGTH: usize = 100;
const SLOW_START: &str = "topic=other&message=";

/// A request that holds its place: a form post whose body stops short.
async fn slow_post(port: u16) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /feedback HTTP/1.1\r\nHost: tolem\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {SLOW_LENGTH}\r\n\r\n{SLOW_START}"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Waits until `path` answers `status` (within a few seconds).
async fn until_status(app: &TestApp, path: &str, status: u16) {
    let deadline = Instant::now() + FEW_SECONDS;
    loop {
        if app.get(path).await.status() == status {
            return;
        }
        assert!(Instant::now() < deadline, "{path} never answered {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_request_past_the_concurrency_limit_gets_503_with_retry_after() {
    let app = spawn_with(|http| http.max_concurrent_requests = 1).await;
    let slow = slow_post(port(&app)).await;
    until_status(&app, "/", 503).await;

    for (language, text) in [
        (
            "en",
            "The site is very busy right now. Please try again in a moment.",
        ),
        (
            "ru",
            "Сейчас очень много обращений. Попробуйте ещё раз через минуту.",
        ),
        ("ky", "Учурда кайрылуулар өтө көп."),
    ] {
        let page = app
            .client
            .get(app.url("/?code=11202600000001"))
            .header("cookie", format!("lang={language}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 503, "{language}");
        assert_eq!(page.headers()["retry-after"], "2", "{language}");
        let html = page.text().await.unwrap();
        assert!(html.contains(text), "{language}: {html}");
    }
    // The island is told it is busy in its own terms, and keeps its form.
    let (status, body) =
        call_pay(&app, &pay_body("11202600000007", &new_key(), APPROVED_CARD)).await;
    assert_eq!(status, 503);
    assert_eq!(pay_outcome(status, &body), Err(app::api::PayError::Busy));
    let form = app
        .post_card_form_with_key(
            "11202600000007",
            &new_key(),
            &card_fields(APPROVED_CARD, CVV),
        )
        .await;
    assert_eq!(form.status(), 503, "the no-JS form");
    assert_eq!(form.headers()["retry-after"], "2");
    assert_eq!(app.calls(), 0, "nothing shed reached the acquirer");
    // A load balancer still sees a live, ready server.
    assert_eq!(app.get("/health/live").await.status(), 200);
    assert_eq!(app.get("/health").await.status(), 200);

    drop(slow);
    until_status(&app, "/", 200).await;
    let answer = call_pay(&app, &pay_body("11202600000007", &new_key(), APPROVED_CARD)).await;
    assert!(is_paid(&answer), "{answer:?}");
}

#[tokio::test]
async fn a_request_not_answered_in_time_gets_503_and_frees_its_place() {
    let app = spawn_with(|http| {
        http.max_concurrent_requests = 1;
        http.request_timeout = Duration::from_secs(1);
    })
    .await;
    let started = Instant::now();
    let mut slow = slow_post(port(&app)).await;
    let mut answer = Vec::new();
    let read = tokio::time::timeout(FEW_SECONDS, async {
        while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
            let mut buffer = [0u8; 1024];
            match slow.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    let took = started.elapsed();
    assert!(read.is_ok(), "no answer within {FEW_SECONDS:?}");
    let head = String::from_utf8_lossy(&answer).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 503"), "{head}");
    assert!(head.contains("retry-after: 2"), "{head}");
    assert!(
        took >= Duration::from_millis(900),
        "answered after {took:?}"
    );
    // Its place is free although the client is still there.
    let (status, _) = app.get_html("/").await;
    assert_eq!(status, 200);
    // And the body it never finished is no longer waited for: the
    // connection is closed, not kept for the client to trickle into.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(FEW_SECONDS, slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection was kept open");
    drop(slow);
}

#[tokio::test]
async fn a_client_that_stops_mid_headers_is_disconnected_after_the_header_read_timeout() {
    let app = spawn_with(|http| http.header_read_timeout = Duration::from_secs(1)).await;
    let port = port(&app);
    let started = Instant::now();
    let half = half_open(port).await.unwrap();
    let silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    for (what, mut stream) in [("half its headers", half), ("nothing", silent)] {
        let ended = tokio::time::timeout(FEW_SECONDS, async {
            let mut buffer = [0u8; 1024];
            // Whatever the server says before it closes (hyper may answer
            // 408), the connection must end.
            while let Ok(n) = stream.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
        let took = started.elapsed();
        assert!(ended.is_ok(), "a client that sent {what} was kept");
        assert!(
            took >= Duration::from_millis(900),
            "{what}: cut after {took:?}"
        );
    }
    let (status, _) = app.get_html("/").await;
    assert_eq!(status, 200, "the site answers");
}

/// A server process, stopped when the test ends however it ends.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The server binary on `port`, with nothing from our environment but
/// `PATH`, the in-process sandbox, a SQLite file in `dir`.
fn server_binary(dir: &std::path::Path, port: u16, settings: &[(&str, &str)]) -> Running {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("DATABASE_URL", server::testing::sqlite_url(dir))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", dir)
        .env("TOLEM_LOG", "warn")
        .env("TOLEM_PROCESSOR", "sandbox")
        .env("TOLEM_TEST_MODE", "true")
        .envs(settings.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    Running(child)
}

#[tokio::test]
async fn a_sigterm_lets_the_request_under_way_finish_and_ends_half_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|probe| probe.local_addr())
        .unwrap()
        .port();
    let mut server = server_binary(dir.path(), port, &[("TOLEM_HEADER_READ_TIMEOUT_SECS", "2")]);
    let client = reqwest::Client::new();
    let live = format!("http://127.0.0.1:{port}/health/live");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client
        .get(&live)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        let stopped = server.0.try_wait().ok().flatten();
        assert!(
            Instant::now() < deadline && stopped.is_none(),
            "the server did not start: {stopped:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let held: Vec<TcpStream> = join_all((0..100).map(|_| half_open(port)))
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .expect("connections opened");
    let mut under_way = slow_post(port).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let signalled = Instant::now();
    let sent = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status();
    assert!(sent.is_ok_and(|s| s.success()), "SIGTERM sent");
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The rest of the body: the request under way is answered.
    let tail = "&reply_email=";
    let rest = "a".repeat(SLOW_LENGTH - SLOW_START.len() - tail.len()) + tail;
    under_way.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(FEW_SECONDS, under_way.read_to_end(&mut answer)).await;
    let head = String::from_utf8_lossy(&answer);
    assert!(
        head.starts_with("HTTP/1.1 303") || head.starts_with("HTTP/1.1 422"),
        "the request under way was answered: {head:.200}"
    );

    let mut exited = None;
    while signalled.elapsed() < Duration::from_secs(15) && exited.is_none() {
        exited = server.0.try_wait().unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let took = signalled.elapsed();
    let status = exited.expect("the server stopped within its grace period");
    assert!(status.success(), "{status}");
    // The half-open connections held it no longer than their header
    // timeout, well within the 10 s grace.
    assert!(took < Duration::from_secs(8), "stopped after {took:?}");
    drop(held);
}
