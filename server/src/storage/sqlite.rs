//! The SQLite store: one file, zero setup.
//!
//! Reads go through sqlx's pool. Every write goes through one writer
//! thread, which owns the only connection that writes (SQLite allows one
//! writer at a time: several connections would sleep and retry on the lock)
//! and calls SQLite directly, so a write costs SQLite's work and nothing
//! more. Payment writes that queue while a commit is on its way to the disk
//! share the next commit (group commit, see [`super::batch`]).

use super::sql::{
    BatchWriter, BeginPayment, INSERT_EDITION, INSERT_FEEDBACK, INSERT_REQUEST, MARK_CHECKED,
    MovePayment, Write, Written, commit, edition_in_force,
};
use super::*;
use async_trait::async_trait;
use chrono::SecondsFormat;
use rusqlite::{OpenFlags, TransactionBehavior, params};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Payment writes a commit may carry. SQLite's cost is the sync at the
/// commit, so a batch takes whatever has queued; this bounds one commit.
const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer; beyond this, writers wait to queue.
const QUEUE_CAPACITY: usize = 4096;
/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub(super) writes: WriterThread,
    checkpoints: tokio::task::AbortHandle,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpoints.abort();
    }
}

/// The connection settings of the SQLite store: WAL with a full sync on every
/// commit, so a committed payment survives a crash or a power cut.
pub fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10)))
}

impl SqliteStore {
    /// Opens (creating if needed) the database file, applies the migrations
    /// and starts the writer thread.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = sqlite_options(url)?;
        let path = options.get_filename().to_path_buf();
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(e.into()))?;
        }
        let migrator = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&migrator).await?;
        migrator.close().await;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let writes = WriterThread::start(&path)?;
        // The writer never stops to copy its log into the database file
        // (that took up to 8 ms of a commit, every 1000 pages): this does,
        // beside it. PASSIVE waits for nobody; the log restarts from its
        // beginning once it has all been copied.
        let checkpoints = {
            let pool = pool.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(CHECKPOINT_EVERY).await;
                    if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                        .execute(&pool)
                        .await
                    {
                        tracing::warn!(%error, "checkpoint failed");
                    }
                }
            })
            .abort_handle()
        };
        Ok(SqliteStore {
            pool,
            writes,
            checkpoints,
        })
    }

    pub(super) async fn write_request(
        &self,
        request: &PaymentRequest,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let values = (
            request.code.as_str().to_owned(),
            request.service.as_str(),
            request.applicant_name.clone(),
            request.amount.tyiyn(),
            request.status.as_str(),
            sqlite_time(request.expires_at),
            sqlite_time(at),
        );
        self.writes
            .run(move |tx| {
                let (code, service, name, amount, status, expires_at, at) = &values;
                tx.prepare_cached(INSERT_REQUEST)?
                    .execute(params![code, service, name, amount, status, expires_at, at])?;
                Ok(())
            })
            .await
    }

    pub(super) async fn write_checked(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (id, at) = (id.to_owned(), sqlite_time(at));
        self.writes
            .run(move |tx| {
                tx.prepare_cached(MARK_CHECKED)?.execute(params![at, id])?;
                Ok(())
            })
            .await
    }

    pub(super) async fn write_edition(&self, edition: &EditionRecord) -> Result<bool, StoreError> {
        let edition = edition.clone();
        self.writes
            .run(move |tx| {
                let inserted = tx.prepare_cached(INSERT_EDITION)?.execute(params![
                    edition.document,
                    i64::from(edition.edition),
                    edition.language,
                    sqlite_time(edition.effective_from),
                    edition.source,
                    edition.published_by,
                    sqlite_time(edition.published_at),
                ])?;
                Ok(inserted == 1)
            })
            .await
    }

    pub(super) async fn write_feedback(&self, feedback: &FeedbackRecord) -> Result<(), StoreError> {
        let feedback = feedback.clone();
        self.writes
            .run(move |tx| {
                tx.prepare_cached(INSERT_FEEDBACK)?.execute(params![
                    feedback.topic,
                    feedback.message,
                    feedback.reply_email,
                    feedback.receipt_number,
                    feedback.language,
                    feedback.client,
                    sqlite_time(feedback.at),
                ])?;
                Ok(())
            })
            .await
    }
}

/// What the writer thread is asked to do.
enum Job {
    /// A payment write, committed together with those queued behind it.
    Payment(Write),
    /// Any other write, alone in its transaction; it answers for itself.
    Other(Box<dyn FnOnce(&mut rusqlite::Connection) + Send>),
}

/// The queue of the thread that owns the store's writing connection.
pub(super) struct WriterThread {
    jobs: mpsc::Sender<Job>,
}

impl WriterThread {
    fn start(path: &std::path::Path) -> Result<WriterThread, StoreError> {
        let connection = rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // The same settings as `sqlite_options`; the log is checkpointed by
        // the store's own task, never in the middle of a commit.
        let mode: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt("the database is not in WAL mode"));
        }
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", true)?;
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        connection.busy_timeout(Duration::from_secs(10))?;
        connection.set_prepared_statement_cache_capacity(32);
        let (jobs, queue) = mpsc::channel(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_until_closed(connection, queue))
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(WriterThread { jobs })
    }

    /// Queues a payment write; its answer arrives on the channel inside it.
    pub(super) async fn push(&self, write: Write) -> Result<(), StoreError> {
        self.jobs
            .send(Job::Payment(write))
            .await
            .map_err(|_| StoreError::WriterStopped)
    }

    /// Runs `work` in a transaction of its own on the writer thread.
    async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job::Other(Box::new(move |connection: &mut rusqlite::Connection| {
            let result = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(StoreError::from)
                .and_then(|tx| {
                    let value = work(&tx)?;
                    tx.commit()?;
                    Ok(value)
                });
            let _ = reply.send(result);
        }));
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// The writer thread: takes jobs until the store is dropped. A payment write
/// takes every payment write queued behind it into its commit.
fn write_until_closed(connection: rusqlite::Connection, mut queue: mpsc::Receiver<Job>) {
    // The shared batch driver is async but never waits here: SQLite answers
    // synchronously. A runtime of this thread's own drives it.
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "the SQLite writer could not start");
            return;
        }
    };
    let batches = SqliteBatches {
        connection: Mutex::new(connection),
    };
    let mut next = None;
    loop {
        let Some(job) = next.take().or_else(|| queue.blocking_recv()) else {
            break;
        };
        match job {
            Job::Other(work) => match batches.connection.lock() {
                Ok(mut connection) => work(&mut connection),
                Err(_) => break,
            },
            Job::Payment(first) => {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match queue.try_recv() {
                        Ok(Job::Payment(write)) => batch.push(write),
                        Ok(other) => {
                            next = Some(other);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                runtime.block_on(commit(&batches, batch));
            }
        }
    }
}

/// Writes a batch in one transaction, statement by statement: on the writer
/// thread a statement costs only SQLite's work.
struct SqliteBatches {
    connection: Mutex<rusqlite::Connection>,
}

#[async_trait]
impl BatchWriter for SqliteBatches {
    async fn write(
        &self,
        begins: &[&BeginPayment],
        moves: &[&MovePayment],
    ) -> Result<Written, StoreError> {
        let mut connection = self
            .connection
            .lock()
            .map_err(|_| StoreError::WriterStopped)?;
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = Written::default();
        if !begins.is_empty() {
            written.begun = insert_authorising(&tx, begins)?;
        }
        if !moves.is_empty() {
            written.moved = move_payments(&tx, moves)?;
        }
        tx.commit()?;
        Ok(written)
    }
}

/// A time as sqlx stores it in SQLite (RFC 3339, UTC, `+00:00`): the
/// stored times compare as text, so every writer must spell them alike.
fn sqlite_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Inserts the payments that may begin, `authorising`, with the events of
/// their first two states (created, then authorising), and answers the
/// amount of each one written, by id. Payments refused by a condition of
/// [`BeginPayment`] or a unique index are left out and written nowhere.
fn insert_authorising(
    tx: &rusqlite::Transaction<'_>,
    payments: &[&BeginPayment],
) -> Result<HashMap<String, Money>, StoreError> {
    let mut insert = tx.prepare_cached(concat!(
        "INSERT INTO payments
           (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
            card_first6, card_last4, cardholder_name, status, created_at, updated_at,
            privacy_policy_edition, user_agreement_edition)
         SELECT ?1, ?2, r.code, r.amount_tyiyn, 'KGS', ?4, ?5, ?6, ?7, 'authorising', ?8, ?8,
                ?9, ?10
         FROM payment_requests AS r
         WHERE r.code = ?3 AND r.status = 'awaiting_payment' AND r.expires_at > ?8
           AND ?9 = ",
        edition_in_force!("privacy-policy", "?8"),
        " AND ?10 = ",
        edition_in_force!("user-agreement", "?8"),
        " ON CONFLICT DO NOTHING
         RETURNING amount_tyiyn"
    ))?;
    let mut events = tx.prepare_cached(
        "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         VALUES (?1, NULL, 'created', 'form submitted', ?2),
                (?1, 'created', 'authorising', 'sending to the acquirer', ?2)",
    )?;
    let mut begun = HashMap::with_capacity(payments.len());
    for p in payments {
        let at = sqlite_time(p.at);
        let amount: Option<i64> = insert
            .query_map(
                params![
                    p.id,
                    p.idempotency_key,
                    p.code,
                    p.brand,
                    p.first_six,
                    p.last_four,
                    p.cardholder,
                    at,
                    p.privacy_policy_edition,
                    p.user_agreement_edition,
                ],
                |row| row.get(0),
            )?
            .next()
            .transpose()?;
        let Some(amount) = amount else { continue };
        events.execute(params![p.id, at])?;
        let amount = Money::from_tyiyn(amount).map_err(|_| StoreError::Corrupt("amount"))?;
        begun.insert(p.id.clone(), amount);
    }
    Ok(begun)
}

/// Applies guarded moves (each payment at most once) with their events,
/// marks the requests of succeeded payments paid, and answers the ids of the
/// payments that were still in their `from` state and moved.
fn move_payments(
    tx: &rusqlite::Transaction<'_>,
    changes: &[&MovePayment],
) -> Result<HashSet<String>, StoreError> {
    let mut update = tx.prepare_cached(
        "UPDATE payments
         SET status = ?1, updated_at = ?2,
             decline_reason = COALESCE(?3, decline_reason),
             processor_reference = COALESCE(?4, processor_reference),
             challenge_url = COALESCE(?5, challenge_url),
             completed_at = CASE WHEN ?6 THEN ?2 ELSE completed_at END
         WHERE id = ?7 AND status = ?8",
    )?;
    let mut event = tx.prepare_cached(
        "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut paid = tx.prepare_cached(
        "UPDATE payment_requests SET status = 'paid'
         WHERE status = 'awaiting_payment'
           AND code = (SELECT code FROM payments WHERE id = ?1)",
    )?;
    let mut moved = HashSet::with_capacity(changes.len());
    for c in changes {
        let at = sqlite_time(c.at);
        let rows = update.execute(params![
            c.to.as_str(),
            at,
            c.decline_reason,
            c.reference,
            c.challenge_url,
            c.to.is_final(),
            c.id,
            c.from.as_str(),
        ])?;
        if rows != 1 {
            continue;
        }
        event.execute(params![c.id, c.from.as_str(), c.to.as_str(), c.reason, at])?;
        if c.to == PaymentState::Succeeded {
            paid.execute(params![c.id])?;
        }
        moved.insert(c.id.clone());
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The writer thread writes times as text it spells itself, and sqlx
    /// binds them its own way; the two must spell every time alike, or text
    /// comparisons (expiry, editions, staleness) go wrong.
    #[tokio::test]
    async fn times_are_spelt_as_sqlx_spells_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(&crate::testing::sqlite_url(dir.path()))
            .await
            .unwrap();
        let second = Utc.with_ymd_and_hms(2026, 11, 26, 10, 51, 8).unwrap();
        for nanos in [0, 120_000_000, 123_456_000, 123_456_789, 999_999_999] {
            let at = second + chrono::Duration::nanoseconds(nanos);
            let by_sqlx: String = sqlx::query_scalar("SELECT $1")
                .bind(at)
                .fetch_one(&store.pool)
                .await
                .unwrap();
            assert_eq!(sqlite_time(at), by_sqlx);
        }
    }
}
