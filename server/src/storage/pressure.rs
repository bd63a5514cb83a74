//! Saying clearly, and not a thousand times a second, that the database ran
//! out of connections: every time a wait for one ends in
//! [`super::StoreError::Busy`] it is counted here, and the log gets one line
//! per second at most, with how many requests were turned away since.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const LOG_EVERY: Duration = Duration::from_secs(1);

#[derive(Default)]
pub struct Pressure {
    /// Waits that ended busy since the server started.
    total: AtomicU64,
    /// Since the last log line.
    unlogged: AtomicU64,
    last_logged: Mutex<Option<Instant>>,
}

impl Pressure {
    /// A wait for a connection ended without one.
    pub fn busy(&self, what: &'static str) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let unlogged = self.unlogged.fetch_add(1, Ordering::Relaxed) + 1;
        let Ok(mut last) = self.last_logged.lock() else {
            return;
        };
        let due = last.is_none_or(|at| at.elapsed() >= LOG_EVERY);
        if due {
            *last = Some(Instant::now());
            self.unlogged.store(0, Ordering::Relaxed);
            tracing::warn!(
                what,
                turned_away = unlogged,
                total = self.total.load(Ordering::Relaxed),
                "database connections ran out: requests answered 503 \"try again\""
            );
        }
    }

    /// Waits that ended busy since the server started.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_busy_wait_is_counted() {
        let pressure = Pressure::default();
        for _ in 0..1000 {
            pressure.busy("test");
        }
        assert_eq!(pressure.total(), 1000);
        // One line was logged, the rest wait for the next second.
        assert_eq!(pressure.unlogged.load(Ordering::Relaxed), 999);
    }
}
