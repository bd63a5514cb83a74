//! One clock for every server on one database: the database's.
//!
//! Several servers behind a load balancer write times that are compared
//! with one another (when a payment was sent, when a lease ends, whether
//! the acquirer's window has passed). Each server's own clock may be off by
//! seconds or more; so on PostgreSQL a server's "now" is its local clock
//! plus the offset to the database's `now()`, measured at start-up and
//! every [`RECALIBRATE`]. SQLite's database has one server, whose clock is
//! the database's.

use crate::storage::PaymentStore;
use app::services::Clock;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// How often the offset is measured again (clocks drift slowly).
pub const RECALIBRATE: Duration = Duration::from_secs(30);

/// `local` corrected to the database's time, kept corrected by a task; the
/// local clock unchanged when the database is this server's own (SQLite).
pub async fn database_clock(store: Arc<dyn PaymentStore>, local: Clock) -> Clock {
    if store.backend() != "postgres" {
        return local;
    }
    let offset = Arc::new(AtomicI64::new(0));
    calibrate(store.as_ref(), &local, &offset).await;
    let task = (store.clone(), local.clone(), Arc::downgrade(&offset));
    tokio::spawn(async move {
        let (store, local, offset) = task;
        loop {
            tokio::time::sleep(RECALIBRATE).await;
            // The clock is gone with its application: stop.
            let Some(offset) = offset.upgrade() else {
                return;
            };
            calibrate(store.as_ref(), &local, &offset).await;
        }
    });
    Arc::new(move || local() + chrono::Duration::milliseconds(offset.load(Ordering::Relaxed)))
}

/// Measures the database's time against `local`'s, at the midpoint of the
/// round trip; keeps the last offset when the database does not answer.
async fn calibrate(store: &dyn PaymentStore, local: &Clock, offset: &AtomicI64) {
    let before = local();
    let database = match store.database_now().await {
        Ok(at) => at,
        Err(error) => {
            tracing::warn!(%error, "could not read the database's clock; keeping the last offset");
            return;
        }
    };
    let after = local();
    let midpoint = before + (after - before) / 2;
    let measured = (database - midpoint).num_milliseconds();
    let previous = offset.swap(measured, Ordering::Relaxed);
    if (measured - previous).abs() > 1_000 {
        tracing::warn!(
            offset_ms = measured,
            "this server's clock differs from the database's"
        );
    }
}
