//! SQLite's writer: one thread owning the only connection that writes
//! (SQLite has one writer at a time; several connections would sleep and
//! retry on the lock), and a second thread that copies the write-ahead log
//! back into the database file beside it.
//!
//! Like the readers, a request only hands the writer a job and awaits the
//! answer, so a request that goes away cannot take the connection with it.
//! Payment writes wait in the group-commit queue
//! ([`super::super::group_commit`]); its one worker hands each batch to this
//! thread whole.

use super::super::StoreError;
use super::super::group_commit::{
    BatchWriter, BeginPayment, MAX_BATCH, MovePayment, Write, WriteQueue, Written, commit,
};
use super::super::pressure::Pressure;
use super::batch::{insert_authorising, move_payments};
use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Jobs waiting for the writer: batches, and single writes, which are few.
const QUEUE_CAPACITY: usize = 1024;
/// How often the write-ahead log is copied back into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How long a writer waits for its commit once queued. A commit takes
/// milliseconds; this only bounds a disk that stopped answering.
const ANSWER_WAIT: Duration = Duration::from_secs(10);

/// What the writer thread is asked to do.
enum Job {
    /// A batch of payment writes, committed together; `done` when every
    /// write of it has been answered.
    Batch(Vec<Write>, oneshot::Sender<()>),
    /// Any other write, alone in its transaction; it answers for itself.
    Other(Box<dyn FnOnce(&mut Connection) + Send>),
}

/// The queue of the thread that owns the store's writing connection.
pub(super) struct Writer {
    jobs: mpsc::Sender<Job>,
    payments: WriteQueue<Write>,
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
        // One worker: SQLite has one writer, and a batch is what queued
        // while the previous one was being committed.
        let batches = jobs.clone();
        let payments = WriteQueue::start(1, MAX_BATCH, move |batch| {
            let batches = batches.clone();
            async move {
                let (done, finished) = oneshot::channel();
                // A writer gone (the store is closing) drops the batch, and
                // with it the replies: their writers hear it stopped.
                if batches.send(Job::Batch(batch, done)).await.is_ok() {
                    let _ = finished.await;
                }
            }
        });
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
            payments,
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
        self.payments.push(write).await.inspect_err(|error| {
            if matches!(error, StoreError::Busy) {
                self.pressure.busy("sqlite writer: payment queue full");
            }
        })
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

/// The writer thread: takes jobs until the store is dropped.
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
    while let Some(job) = queue.blocking_recv() {
        match job {
            Job::Other(work) => match batches.connection.lock() {
                Ok(mut connection) => work(&mut connection),
                Err(_) => break,
            },
            Job::Batch(batch, done) => {
                runtime.block_on(commit(&batches, batch));
                let _ = done.send(());
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
