//! The `sandbox-acquirer` binary.

use super::challenge::challenge_order;
use super::common::request;
use super::sandbox_ledger;
use acquirer::client::{Client, ClientConfig};
use acquirer::protocol::OrderStatus;
use std::io::BufRead as _;
use std::net::SocketAddr;

/// Kills the child on drop, so a failing test leaves no server behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_on_the_port_it_prints() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_sandbox-acquirer"))
        .arg("--help")
        .output()
        .expect("help");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for var in [
        "ACQUIRER_ADDR",
        "ACQUIRER_SECRET",
        "ACQUIRER_PUBLIC_URL",
        "ACQUIRER_FAULTS",
        "ACQUIRER_LATE_CHARGE_MS",
        "ACQUIRER_REFUND_FAILURES",
        "late_charge",
        "in_flight_not_found",
        "early_notification",
    ] {
        assert!(help.contains(var), "{var}");
    }

    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_sandbox-acquirer"))
            .env("ACQUIRER_ADDR", "127.0.0.1:0")
            .env("ACQUIRER_SECRET", "binary-key")
            .env("ACQUIRER_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn"),
    );
    let stdout = child.0.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map(|_| line)
    })
    .await
    .expect("join")
    .expect("read");
    let base = line
        .trim()
        .strip_prefix("sandbox acquirer listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_owned();
    let addr: SocketAddr = base.trim_start_matches("http://").parse().expect("address");
    assert_ne!(addr.port(), 0);

    let client = Client::new(ClientConfig::new(&base, b"binary-key".to_vec())).expect("client");
    let order = client
        .authorise(&request("bin", "5555555555554444"))
        .await
        .expect("approved");
    assert_eq!(order.status, OrderStatus::Approved);
    let (url, _) = challenge_order(&client, "bin-3ds").await;
    assert!(url.starts_with(&format!("{base}/acs/")), "{url}");
    assert_eq!(sandbox_ledger(&base).await.len(), 1);
}
