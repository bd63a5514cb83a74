//! SQLite's readers: a few threads, each owning one connection for its
//! whole life, taking read jobs from one queue.
//!
//! A request never holds a connection: it hands a job to the queue and
//! awaits the answer. If it stops waiting (the client hung up, a timeout, a
//! shutdown), the job still runs to its end on its thread, or is skipped if
//! nobody waits for it any more, and the connection stays where it was. So
//! no cancellation can leak a connection or leave one half-used, and a
//! reader's work never runs on, or blocks, the async runtime's threads.
//! Waiting is bounded: a job that does not start within the store's wait
//! is answered [`StoreError::Busy`].

use super::super::StoreError;
use super::super::pressure::Pressure;
use crossbeam_channel::{Receiver, Sender, TrySendError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// A job for a reader: runs with the thread's connection.
type Job = Box<dyn FnOnce(&Connection) + Send>;

/// Jobs waiting for a reader; beyond this the store is busy at once.
const QUEUE_CAPACITY: usize = 4096;

pub(super) struct Readers {
    jobs: Sender<Job>,
    size: usize,
    idle: Arc<AtomicUsize>,
    wait: Duration,
    pressure: Arc<Pressure>,
}

impl Readers {
    /// Opens `size` connections to the database at `path` (which must exist
    /// and be in WAL mode) and starts a thread for each.
    pub(super) fn start(
        path: &Path,
        size: usize,
        wait: Duration,
        pressure: Arc<Pressure>,
    ) -> Result<Readers, StoreError> {
        let (jobs, queue) = crossbeam_channel::bounded::<Job>(QUEUE_CAPACITY);
        let idle = Arc::new(AtomicUsize::new(0));
        for n in 0..size.max(1) {
            let connection = open_reader(path)?;
            let queue = queue.clone();
            let idle = idle.clone();
            std::thread::Builder::new()
                .name(format!("sqlite-reader-{n}"))
                .spawn(move || read_until_closed(connection, queue, idle))
                .map_err(|e| StoreError::Thread(e.to_string()))?;
        }
        Ok(Readers {
            jobs,
            size: size.max(1),
            idle,
            wait,
            pressure,
        })
    }

    /// How many readers there are, and how many wait for work now.
    pub(super) fn connections(&self) -> (usize, usize) {
        (self.size, self.idle.load(Ordering::Relaxed).min(self.size))
    }

    /// Keeps every reader busy for `time`, as a database stuck on a slow
    /// disk would (tests only).
    #[cfg(test)]
    pub(super) fn occupy(&self, time: Duration) {
        for _ in 0..self.size {
            let job: Job = Box::new(move |_| std::thread::sleep(time));
            let _ = self.jobs.try_send(job);
        }
    }

    /// Runs `work` on a reader's connection and answers its result, or
    /// [`StoreError::Busy`] when no reader took it within the wait.
    pub(super) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let queued = Instant::now();
        let wait = self.wait;
        let job: Job = Box::new(move |connection| {
            // Nobody waits any more, or waited too long and was told to try
            // again: the work would be thrown away.
            if reply.is_closed() || queued.elapsed() > wait {
                return;
            }
            let _ = reply.send(work(connection));
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.pressure.busy("sqlite readers: queue full");
                return Err(StoreError::Busy);
            }
            Err(TrySendError::Disconnected(_)) => return Err(StoreError::WriterStopped),
        }
        match tokio::time::timeout(wait, answer).await {
            Ok(Ok(result)) => result,
            // The job was dropped unanswered: it started after the wait.
            Ok(Err(_)) | Err(_) => {
                self.pressure.busy("sqlite readers: no reader free in time");
                Err(StoreError::Busy)
            }
        }
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // Readers never write (the checkpoint aside, which writes no rows); in
    // WAL mode they never wait for the writer either.
    connection.pragma_update(None, "query_only", true)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

fn read_until_closed(connection: Connection, queue: Receiver<Job>, idle: Arc<AtomicUsize>) {
    loop {
        idle.fetch_add(1, Ordering::Relaxed);
        let job = queue.recv();
        idle.fetch_sub(1, Ordering::Relaxed);
        let Ok(job) = job else { break };
        // A panic in one job must not take the reader with it.
        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&connection))).is_err() {
            tracing::error!("a SQLite read panicked; the reader carries on");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn readers(dir: &Path, size: usize, wait: Duration) -> Readers {
        let path = dir.join("readers.db");
        let connection = Connection::open(&path).unwrap();
        connection
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        connection
            .execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (7);")
            .unwrap();
        Readers::start(&path, size, wait, Arc::default()).unwrap()
    }

    fn read_seven(connection: &Connection) -> Result<i64, StoreError> {
        Ok(connection.query_row("SELECT n FROM t", [], |row| row.get(0))?)
    }

    async fn all_idle(readers: &Readers) {
        let deadline = Instant::now() + Duration::from_secs(2);
        while readers.connections().1 != readers.connections().0 {
            assert!(Instant::now() < deadline, "{:?}", readers.connections());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_read_that_finds_no_reader_in_time_is_answered_busy_and_the_reader_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let readers = Arc::new(readers(dir.path(), 1, Duration::from_millis(100)));
        let slow = {
            let readers = readers.clone();
            tokio::spawn(async move {
                readers
                    .run(|connection| {
                        std::thread::sleep(Duration::from_millis(400));
                        read_seven(connection)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = Instant::now();
        let waited = readers.run(read_seven).await;
        assert!(matches!(waited, Err(StoreError::Busy)), "{waited:?}");
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "busy after the wait, not after the slow read: {:?}",
            started.elapsed()
        );
        // The slow read outlasted its own wait too: its caller heard "busy",
        // and the reader finished it all the same.
        assert!(matches!(slow.await.unwrap(), Err(StoreError::Busy)));
        all_idle(&readers).await;
        assert_eq!(readers.run(read_seven).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn waits_dropped_at_any_point_never_lose_a_reader() {
        let dir = tempfile::tempdir().unwrap();
        let readers = Arc::new(readers(dir.path(), 2, Duration::from_secs(2)));
        let mut waits = tokio::task::JoinSet::new();
        for n in 0..500u64 {
            let readers = readers.clone();
            waits.spawn(async move {
                let read = readers.run(move |connection| {
                    if n % 7 == 0 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    read_seven(connection)
                });
                // Give up after 0 to 3 ms, as a client that hangs up would.
                let _ = tokio::time::timeout(Duration::from_micros(n % 4 * 1000), read).await;
            });
        }
        while waits.join_next().await.is_some() {}
        all_idle(&readers).await;
        assert_eq!(readers.connections(), (2, 2));
        assert_eq!(readers.run(read_seven).await.unwrap(), 7);
    }
}
