//! The queue writes wait in, and the workers that take batches from it.

use super::super::StoreError;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc};

/// Writes waiting for a worker; beyond this, writers wait to queue.
const QUEUE_CAPACITY: usize = 4096;

/// The sending side of a group-commit queue of `W`s.
pub(in crate::storage) struct WriteQueue<W> {
    sender: mpsc::Sender<W>,
}

impl<W: Send + 'static> WriteQueue<W> {
    /// Starts `workers` tasks that take up to `max_batch` queued writes at a
    /// time and pass them to `commit`, which must answer every write of the
    /// batch on its own channel. The workers end when the queue is dropped.
    pub(in crate::storage) fn start<C, F>(
        workers: usize,
        max_batch: usize,
        commit: C,
    ) -> WriteQueue<W>
    where
        C: Fn(Vec<W>) -> F + Send + Sync + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let commit = Arc::new(commit);
        for _ in 0..workers.max(1) {
            let receiver = receiver.clone();
            let commit = commit.clone();
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&receiver, max_batch.max(1)).await {
                    commit(batch).await;
                }
            });
        }
        WriteQueue { sender }
    }

    /// Queues a write; its answer arrives on the channel inside it. A full
    /// queue (thousands of writes waiting) is answered busy at once.
    pub(in crate::storage) async fn push(&self, write: W) -> Result<(), StoreError> {
        self.sender.try_send(write).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => StoreError::Busy,
            mpsc::error::TrySendError::Closed(_) => StoreError::WriterStopped,
        })
    }
}

/// Waits for one write, then takes every write queued behind it, up to
/// `max_batch`. `None` once the queue is closed and empty.
async fn next_batch<W>(receiver: &Mutex<mpsc::Receiver<W>>, max_batch: usize) -> Option<Vec<W>> {
    let mut receiver = receiver.lock().await;
    let first = receiver.recv().await?;
    let mut batch = Vec::with_capacity(max_batch.min(64));
    batch.push(first);
    while batch.len() < max_batch {
        match receiver.try_recv() {
            Ok(write) => batch.push(write),
            Err(_) => break,
        }
    }
    Some(batch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex as StdMutex;
    use tokio::sync::oneshot;

    type Sizes = Arc<StdMutex<Vec<usize>>>;

    /// A queue whose "commit" takes a while and records each batch's size.
    fn recording_queue(
        workers: usize,
        max_batch: usize,
    ) -> (WriteQueue<oneshot::Sender<usize>>, Sizes) {
        let sizes: Sizes = Arc::default();
        let seen = sizes.clone();
        let queue = WriteQueue::start(
            workers,
            max_batch,
            move |batch: Vec<oneshot::Sender<usize>>| {
                let seen = seen.clone();
                async move {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    let size = batch.len();
                    seen.lock().unwrap().push(size);
                    for reply in batch {
                        let _ = reply.send(size);
                    }
                }
            },
        );
        (queue, sizes)
    }

    async fn write_all(queue: Arc<WriteQueue<oneshot::Sender<usize>>>, count: usize) -> Vec<usize> {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..count {
            let queue = queue.clone();
            tasks.spawn(async move {
                let (reply, answer) = oneshot::channel();
                queue.push(reply).await.unwrap();
                answer.await.unwrap()
            });
        }
        tasks.join_all().await
    }

    #[tokio::test]
    async fn writes_that_queue_during_a_commit_share_the_next_one() {
        let (queue, sizes) = recording_queue(1, 1000);
        let answers = write_all(Arc::new(queue), 100).await;
        assert_eq!(answers.len(), 100, "every write is answered");
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(
            sizes.iter().sum::<usize>(),
            100,
            "every write is committed once"
        );
        // The first commit may start with the first write alone; the others
        // queued meanwhile and go together.
        assert!(
            sizes.len() <= 3,
            "100 concurrent writes took {} commits",
            sizes.len()
        );
    }

    #[tokio::test]
    async fn a_batch_never_exceeds_its_limit() {
        let (queue, sizes) = recording_queue(2, 8);
        write_all(Arc::new(queue), 100).await;
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 100);
        assert!(sizes.iter().all(|&size| size <= 8), "{sizes:?}");
    }

    #[tokio::test]
    async fn a_lone_write_is_committed_without_waiting_for_company() {
        let (queue, sizes) = recording_queue(1, 1000);
        let started = std::time::Instant::now();
        assert_eq!(write_all(Arc::new(queue), 1).await, vec![1]);
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
        assert_eq!(*sizes.lock().unwrap(), vec![1]);
    }
}
