//! SQLite's writer: one thread owning the only connection that writes
//! (SQLite has one writer at a time; several connections would sleep and
//! retry on the lock), and a second thread that copies the write-ahead log
//! back into the database file beside it.
//!
//! Like the readers, a request only hands the writer a job and awaits the
//! answer, so a request that goes away cannot take the connection with it.
//! Payment writes that queue while a commit is on its way to the disk share
//! the next commit (group commit, see [`super::super::group_commit`]).

use super::super::StoreError;
use super::super::group_commit::{BatchWriter, BeginPayment, MovePayment, Write, Written, commit};
use super::super::pressure::Pressure;
use super::batch::{insert_authorising, move_payments};
use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Payment writes a commit may carry. SQLite's cost is the sync at the
/// commit, so a batch takes whatever has queued; this bounds one commit.
const MAX_BATCH: usize = 256;
/// Jobs waiting for the writer; beyond this, writers wait to queue.
const QUEUE_CAPACITY: usize = 4096;
/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How long a writer waits for its commit once queued. A commit takes
/// milliseconds; this only bounds a disk that stopped answering.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// What the writer thread is asked to do.
enum Job {
    /// A payment write, committed together with those queued behind it.
    Payment(Write),
    /// Any other write, alone in its transaction; it answers for itself.
    Other(Box<dyn FnOnce(&mut Connection) + Send>),
}

/// The queue of the thread that owns the store's writing connection.
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    wait: Duration,
    pressure: Arc<Pressure>,
}

impl Writer {
    pub(super) fn start(
        path: &Path,
        wait: Duration,
        pressure: Arc<Pressure>,
    ) -> Result<Writer, StoreError> {
        let connection = open(path)?;
        let (jobs, queue) = mpsc::channel(QUEUE_CAPACITY);
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_until_closed(connection, queue))
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        let checkpoints = open(path)?;
        let alive = jobs.downgrade();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                // Ends with the store: once nobody can send to the writer.
                while alive.upgrade().is_some() {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    // PASSIVE waits for nobody; the log restarts from its
                    // beginning once it has all been copied.
                    let done =
                        checkpoints.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                    if let Err(error) = done {
                        tracing::warn!(%error, "checkpoint failed");
                    }
                }
            })
            .map_err(|e| StoreError::Thread(e.to_string()))?;
        Ok(Writer {
            jobs,
            wait,
            pressure,
        })
    }

    async fn send(&self, job: Job) -> Result<(), StoreError> {
        match tokio::time::timeout(self.wait, self.jobs.send(job)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(StoreError::WriterStopped),
            Err(_) => {
                self.pressure.busy("sqlite writer: queue full");
                Err(StoreError::Busy)
            }
        }
    }

    /// Queues a payment write; its answer arrives on the channel inside it.
    pub(super) async fn push(&self, write: Write) -> Result<(), StoreError> {
        self.send(Job::Payment(write)).await
    }

    /// Runs `work` in a transaction of its own on the writer thread. Work
    /// nobody waits for any more is skipped: its caller was told it failed.
    pub(super) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let queued = Instant::now();
        let wait = self.wait;
        let job = Job::Other(Box::new(move |connection: &mut Connection| {
            if reply.is_closed() || queued.elapsed() > wait {
                return;
            }
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
        self.send(job).await?;
        match tokio::time::timeout(wait + ANSWER_WAIT, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) | Err(_) => {
                self.pressure.busy("sqlite writer: no answer in time");
                Err(StoreError::Busy)
            }
        }
    }
}

/// A connection with the store's settings: WAL with a full sync on every
/// commit, so a committed payment survives a crash or a power cut. The log
/// is checkpointed by its own thread, never in the middle of a commit.
fn open(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mode: String = connection.query_row("PRAGMA journal_mode", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt("the database is not in WAL mode"));
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", true)?;
    connection.pragma_update(None, "wal_autocheckpoint", 0)?;
    connection.busy_timeout(Duration::from_secs(10))?;
    connection.set_prepared_statement_cache_capacity(32);
    Ok(connection)
}

/// The writer thread: takes jobs until the store is dropped. A payment write
/// takes every payment write queued behind it into its commit.
fn write_until_closed(connection: Connection, mut queue: mpsc::Receiver<Job>) {
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

/// Writes a batch in one transaction, statement by statement.
struct SqliteBatches {
    connection: Mutex<Connection>,
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
