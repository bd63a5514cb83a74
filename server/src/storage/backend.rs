//! The contract between the store and a database: what SQLite
//! ([`super::sqlite`]) and PostgreSQL ([`super::postgres`]) each provide so
//! that [`super::store::SqlStore`] can be written once over both.
//!
//! Every method is safe to cancel: the work runs on a thread or task of the
//! backend's own, which the caller only awaits. A caller that goes away (the
//! client hung up, a timeout, a shutdown) leaves that work to finish, and
//! no connection is ever lost or left half-used. Waiting is bounded: a
//! caller that gets no connection within [`StoreOptions::wait`] is answered
//! [`StoreError::Busy`] at once, never after the database's own 30 seconds.

use super::StoreError;
use super::group_commit::Write;
use super::values::{Decode, Statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How a store waits for its database, from configuration.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// The longest a request waits for a connection before it is told the
    /// site is busy (a 503 with `Retry-After`).
    pub wait: Duration,
    /// SQLite's reader threads (each with its connection).
    pub sqlite_readers: usize,
    /// PostgreSQL's connections for reads and single writes (payment
    /// batches have two of their own).
    pub postgres_connections: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            wait: Duration::from_secs(2),
            sqlite_readers: 4,
            postgres_connections: 16,
        }
    }
}

/// The connections a backend reads through, as readiness and tests see them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connections {
    pub size: usize,
    /// Connections waiting for work now.
    pub idle: usize,
    /// Waits that ended busy since start-up.
    pub turned_away: u64,
}

#[async_trait]
pub(super) trait Backend: Send + Sync + 'static {
    /// "sqlite" or "postgres", for logs and reports.
    fn name(&self) -> &'static str;

    /// Runs a read and decodes its rows where they are read.
    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError>;

    /// Runs one write in a transaction of its own; answers the rows changed.
    async fn execute(&self, statement: Statement) -> Result<u64, StoreError>;

    /// Runs writes in one transaction, in order; answers the rows each
    /// changed. All or none of them take effect.
    async fn execute_all(&self, statements: Vec<Statement>) -> Result<Vec<u64>, StoreError>;

    /// Runs writes in one transaction, in order, each of which must change
    /// a row: at the first that changes none, none take effect and the
    /// answer is `false` (a guarded change and its audit entry).
    async fn execute_guarded(&self, statements: Vec<Statement>) -> Result<bool, StoreError>;

    /// The database's clock: the one time every server shares. SQLite's
    /// database has one server, whose clock it is.
    async fn now(&self) -> Result<DateTime<Utc>, StoreError>;

    /// Queues a payment write for the next group commit; its answer arrives
    /// on the channel inside it.
    async fn push(&self, write: Write) -> Result<(), StoreError>;

    fn connections(&self) -> Connections;
}
