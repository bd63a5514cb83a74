//! The most memory this process holds resident while a phase runs (the
//! throughput bench runs the server in its own process).

use std::sync::Arc;
use std::time::Duration;

/// The most memory this process holds resident while it runs, sampled every
/// 20 ms from `/proc/self/status`.
pub struct PeakResident {
    stop: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<u64>,
}

impl PeakResident {
    pub fn start() -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            let mut peak = 0;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(resident_kb().unwrap_or(0));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            peak.max(resident_kb().unwrap_or(0))
        });
        PeakResident { stop, task }
    }

    /// The peak in MB.
    pub async fn stop(self) -> f64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.task.await.unwrap_or(0) as f64 / 1024.0
    }
}

fn resident_kb() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
