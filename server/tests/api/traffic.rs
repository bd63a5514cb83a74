//! Ordinary traffic on a busy day, on SQLite and PostgreSQL: hundreds of
//! concurrent readers of every page, a storm of double clicks that follow
//! their redirects as browsers do, and phones that hang up mid-request.
//! Afterwards the site answers at once and every connection is free.

use crate::helpers::*;
use futures_util::future::join_all;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

/// "Within a few seconds", for a debug build on two cores.
const FEW_SECONDS: Duration = Duration::from_secs(15);

/// A client that keeps no connection for later and follows redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// A paid receipt's path, from a no-JS payment for `code`.
async fn receipt_of(app: &TestApp, code: &str) -> String {
    let response = app
        .post_card_form(code, &card_fields(APPROVED_CARD, CVV))
        .await;
    assert_eq!(response.status(), 303, "{code} is paid");
    location(&response)
}

/// Sends `count` GETs of `path` at once; answers each status and the time
/// the slowest took.
async fn concurrent_gets(app: &TestApp, path: &str, count: usize) -> (Vec<u16>, Duration) {
    let client = browser();
    let started = Instant::now();
    let statuses = join_all((0..count).map(|_| {
        let request = client.get(app.url(path)).send();
        async move {
            match request.await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    // The whole page, as a browser reads it.
                    let _ = response.bytes().await;
                    status
                }
                Err(_) => 0,
            }
        }
    }))
    .await;
    (statuses, started.elapsed())
}

async fn every_page_answers_256_concurrent_readers(app: TestApp) {
    let receipt = receipt_of(&app, "11202600000009").await;
    let payment = receipt.replace("/receipt/", "/payment/");
    let pages = [
        "/documents/privacy-policy",
        "/documents",
        "/",
        "/?code=11202600000001",
        "/pay/11202600000002",
        receipt.as_str(),
        payment.as_str(),
    ];
    for page in pages {
        let (statuses, took) = concurrent_gets(&app, page, 256).await;
        let failed: Vec<_> = statuses.iter().filter(|&&s| s != 200).collect();
        assert!(
            failed.is_empty(),
            "{page}: {} not 200: {failed:?}",
            failed.len()
        );
        assert!(took < FEW_SECONDS, "{page}: 256 readers took {took:?}");
    }
    assert_eq!(app.payments.store.connections().turned_away, 0);
}

#[tokio::test]
async fn sqlite_every_page_answers_256_concurrent_readers() {
    every_page_answers_256_concurrent_readers(TestApp::spawn().await).await;
}

#[tokio::test]
async fn postgres_every_page_answers_256_concurrent_readers() {
    every_page_answers_256_concurrent_readers(TestApp::spawn_postgres().await).await;
}

/// Fifty posts of one no-JS form at once, each following its redirect to
/// the receipt as a browser does: all end on the receipt, one charge.
async fn a_double_click_storm_ends_on_one_receipt(app: TestApp) {
    let code = "16202600000003";
    let key = app.form_key(code).await;
    let client = browser();
    let mut fields = card_fields(APPROVED_CARD, CVV);
    fields.push(("idempotency_key", key.as_str()));
    fields.push(("privacy_policy_edition", "1"));
    fields.push(("user_agreement_edition", "1"));
    let started = Instant::now();
    let answers = join_all((0..50).map(|_| {
        let request = client.post(app.url(&format!("/pay/{code}"))).form(&fields);
        async move {
            let response = request.send().await.expect("answered");
            let status = response.status().as_u16();
            let path = response.url().path().to_string();
            let body = response.text().await.unwrap_or_default();
            (status, path, body)
        }
    }))
    .await;
    let took = started.elapsed();
    assert!(took < FEW_SECONDS, "the storm took {took:?}");
    let receipts: std::collections::HashSet<&str> = answers
        .iter()
        .map(|(status, path, body)| {
            assert_eq!(*status, 200, "{path}");
            assert!(path.starts_with("/receipt/"), "ended on {path}");
            assert!(body.contains("Оплата прошла успешно"), "{path}");
            path.as_str()
        })
        .collect();
    assert_eq!(receipts.len(), 1, "one payment: {receipts:?}");
    assert_eq!(app.calls(), 1, "one charge");
}

#[tokio::test]
async fn sqlite_a_double_click_storm_ends_on_one_receipt() {
    a_double_click_storm_ends_on_one_receipt(TestApp::spawn().await).await;
}

#[tokio::test]
async fn postgres_a_double_click_storm_ends_on_one_receipt() {
    a_double_click_storm_ends_on_one_receipt(TestApp::spawn_postgres().await).await;
}

/// A request written to a raw socket that is reset (SO_LINGER 0, as a
/// phone losing signal) after `after`, perhaps before it was even sent whole.
async fn hang_up(port: u16, request: Vec<u8>, cut_at: usize, after: Duration) {
    let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return;
    };
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    let mut stream = stream;
    let _ = stream
        .write_all(&request[..cut_at.min(request.len())])
        .await;
    tokio::time::sleep(after).await;
    drop(stream);
}

fn get_request(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: tolem\r\nAccept: text/html\r\n\r\n").into_bytes()
}

fn pay_request(code: &str, key: &str) -> Vec<u8> {
    let body = format!(
        "cardholder=AIBEK+ASANOV&number=4111+1111+1111+1111&exp_month=12&exp_year=2030\
         &cvv={CVV}&idempotency_key={key}&privacy_policy_edition=1&user_agreement_edition=1"
    );
    format!(
        "POST /pay/{code} HTTP/1.1\r\nHost: tolem\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn requests_dropped_mid_flight_leave_the_site_working(app: TestApp) {
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    let receipt = receipt_of(&app, "11202600000008").await;
    let paths = [
        "/documents/privacy-policy".to_string(),
        "/?code=11202600000001".into(),
        "/pay/11202600000002".into(),
        receipt.clone(),
        "/".into(),
    ];
    // Payments hung up on, each with its own code: whatever point they
    // reached, each code is paid at most once and nothing is left hanging.
    let codes = payable_codes(app.payments.store.as_ref(), 500, 40).await;
    // A fixed sequence of "random" points, so a failure can be replayed.
    let mut seed = 0x2545_f491_u64;
    let mut next = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    for batch in 0..8 {
        let mut hang_ups = Vec::new();
        for n in 0..64 {
            let request = if n % 8 == 0 {
                let code = &codes[(batch * 5 + n / 8) % codes.len()];
                pay_request(code, &new_key())
            } else {
                get_request(&paths[n % paths.len()])
            };
            let cut_at = match next(4) {
                0 => next(request.len() as u64) as usize,
                _ => request.len(),
            };
            let after = Duration::from_micros(next(8_000));
            hang_ups.push(hang_up(port, request, cut_at, after));
        }
        // Clients of reqwest that give up after 0 to 20 ms, too.
        let client = browser();
        let give_ups = paths.iter().map(|path| {
            let request = client.get(app.url(path)).send();
            let after = Duration::from_micros(next(20_000));
            async move {
                let _ = tokio::time::timeout(after, request).await;
            }
        });
        tokio::join!(join_all(hang_ups), join_all(give_ups));
    }

    // Every payment hung up on went on without its client and ended.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !app
        .payments
        .store
        .payments_in_state(domain::PaymentState::Authorising)
        .await
        .unwrap()
        .is_empty()
    {
        assert!(Instant::now() < deadline, "payments left authorising");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Within a second: a lookup, a payment and a receipt work.
    let started = Instant::now();
    let (status, html) = app.get_html("/?code=11202600000003").await;
    assert_eq!(status, 200);
    assert!(html.contains("11202600000003"));
    let paid = receipt_of(&app, "11202600000004").await;
    let (status, html) = app.get_html(&paid).await;
    assert_eq!(status, 200);
    assert!(html.contains("Оплата прошла успешно"));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    // And every connection is back, free.
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let connections = app.payments.store.connections();
        if connections.idle == connections.size {
            break;
        }
        assert!(Instant::now() < deadline, "{connections:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ready = app.get("/health").await;
    assert_eq!(ready.status(), 200, "ready");
}

#[tokio::test]
async fn sqlite_requests_dropped_mid_flight_leave_the_site_working() {
    requests_dropped_mid_flight_leave_the_site_working(TestApp::spawn().await).await;
}

#[tokio::test]
async fn postgres_requests_dropped_mid_flight_leave_the_site_working() {
    requests_dropped_mid_flight_leave_the_site_working(TestApp::spawn_postgres().await).await;
}

/// PostgreSQL stuck behind a lock: pages that need it answer a localized
/// 503 with `Retry-After` within the wait, never hang; documents, kept in
/// memory, still answer; readiness fails; all is well once it answers.
#[tokio::test]
async fn postgres_a_stuck_database_gets_a_localized_503_and_recovers() {
    use sqlx::Connection;
    let data_dir = tempfile::tempdir().unwrap();
    let url = server::testing::fresh_postgres_url().await;
    let mut config = test_config(
        &url,
        server::config::ProcessorKind::Sandbox,
        &data_dir.path().display().to_string(),
    );
    config.store = server::storage::StoreOptions {
        wait: Duration::from_millis(300),
        sqlite_readers: 2,
        postgres_connections: 2,
    };
    let app = TestApp::spawn_with_config(data_dir, config).await;
    // Not a page asked for below: its copy would be answered for a second.
    let (status, _) = app.get_html("/?code=11202600000004").await;
    assert_eq!(status, 200);

    let mut lock = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE payment_requests IN ACCESS EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    let started = Instant::now();
    for (path, language, text) in [
        (
            "/?code=11202600000001",
            "ru",
            "Попробуйте ещё раз через минуту",
        ),
        ("/pay/11202600000002", "en", "Please try again in a moment"),
        (
            "/?code=11202600000003",
            "ky",
            "Бир мүнөттөн кийин кайра аракет кылыңыз",
        ),
    ] {
        let response = app
            .client
            .get(app.url(path))
            .header("cookie", format!("lang={language}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503, "{path}");
        assert_eq!(response.headers()["retry-after"], "2", "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(text), "{path} in {language}: {html}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered within the wait, not after the lock: {:?}",
        started.elapsed()
    );
    let (status, html) = app.get_html("/documents/privacy-policy").await;
    assert_eq!(status, 200, "documents come from memory");
    assert!(html.contains("Редакция № 1"));
    assert_eq!(app.get("/health").await.status(), 503, "not ready");
    assert_eq!(app.get("/health/live").await.status(), 200, "but alive");

    drop(lock);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _) = app.get_html("/?code=11202600000001").await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "pages work again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.get("/health").await.status(), 200, "ready again");
}
