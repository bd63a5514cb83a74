//! The server process killed with SIGKILL in the middle of a load with
//! injected faults, then started again: nothing is lost, nothing is charged
//! twice, and every payment ends final once reconciliation has run.

use crate::gateway::{KEY, assert_ledgers_agree, bind_acquirer, settled, ten_percent_faults};
use crate::helpers::*;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

struct ServerProcess {
    child: Child,
}

fn start_server(
    port: u16,
    database_url: &str,
    acquirer_url: &str,
    site_root: &str,
) -> ServerProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", site_root)
        .env("DATABASE_URL", database_url)
        .env("TOLEM_PROCESSOR", "gateway")
        .env("TOLEM_ACQUIRER_URL", acquirer_url)
        .env("TOLEM_ACQUIRER_SECRET", KEY)
        .env("TOLEM_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
        .env("TOLEM_ACQUIRER_TIMEOUT_MS", "400")
        .env("TOLEM_STALE_AFTER_SECS", "2")
        .env("TOLEM_ACQUIRER_WINDOW_SECS", "2")
        .env("TOLEM_RECONCILE_EVERY_SECS", "1")
        .env("TOLEM_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server binary");
    ServerProcess { child }
}

async fn wait_until_up(client: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if client.get(format!("{base}/health")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

async fn killed_mid_load_then_restarted(postgres: bool) {
    let data_dir = tempfile::tempdir().unwrap();
    let database_url = if postgres {
        server::testing::fresh_postgres_url().await
    } else {
        server::testing::sqlite_url(data_dir.path())
    };
    let store = server::storage::connect(&database_url).await.unwrap();
    let codes = payable_codes(store.as_ref(), 1, 300).await;

    let acquirer = bind_acquirer().await;
    let acquirer_url = acquirer.url.clone();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    let engine = acquirer.start(ten_percent_faults(), Some(&base));
    let site_root = data_dir.path().display().to_string();
    let mut server = start_server(port, &database_url, &acquirer_url, &site_root);
    let client = reqwest::Client::new();
    wait_until_up(&client, &base).await;

    let answered = Arc::new(AtomicUsize::new(0));
    let queue = Arc::new(std::sync::Mutex::new(codes.clone()));
    let mut payers = Vec::new();
    for _ in 0..24 {
        let (client, base, answered, queue) = (
            client.clone(),
            base.clone(),
            answered.clone(),
            queue.clone(),
        );
        payers.push(tokio::spawn(async move {
            loop {
                let Some(code) = queue.lock().unwrap().pop() else {
                    return;
                };
                // One attempt per code; a dead server gets the same attempt
                // again, like a citizen pressing reload.
                let body = pay_body(&code, &new_key(), APPROVED_CARD);
                for _ in 0..400 {
                    if call_pay_at(&client, &base, &body).await.is_ok() {
                        answered.fetch_add(1, Ordering::SeqCst);
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }

    while answered.load(Ordering::SeqCst) < 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    let at_kill = answered.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut server = start_server(port, &database_url, &acquirer_url, &site_root);
    for payer in payers {
        payer.await.unwrap();
    }
    assert!(
        at_kill < codes.len(),
        "the kill came in the middle of the load"
    );
    assert_eq!(
        answered.load(Ordering::SeqCst),
        codes.len(),
        "every citizen got an answer"
    );

    settled(store.as_ref(), Duration::from_secs(30)).await;
    assert_ledgers_agree(store.as_ref(), &engine).await;
    server.child.kill().ok();
    server.child.wait().ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_load_loses_nothing_and_charges_nothing_twice_on_sqlite() {
    killed_mid_load_then_restarted(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_load_loses_nothing_and_charges_nothing_twice_on_postgres() {
    killed_mid_load_then_restarted(true).await;
}
