//! Group commit: the payment writes of many concurrent citizens share one
//! durable commit.
//!
//! A payment is committed twice (`authorising` before the acquirer is
//! called, then its answer), and a durable commit waits for the disk. Done
//! one by one, commits cap the site at the disk's commit rate however many
//! cores it has. Instead, each write is queued here with the channel its
//! answer goes back on; a worker takes whatever has queued up (one write when
//! the site is quiet, dozens when it is busy) and hands the batch to the
//! backend, which writes it in one commit and only then answers each writer.
//! Nobody hears "written" before the commit that holds their write is on
//! disk, and no write waits for a timer: a batch is simply what queued while
//! the previous one was being committed.
//!
//! PostgreSQL's workers are tasks on this queue. SQLite's writer thread
//! gathers its batches the same way from a queue of its own, which also
//! carries the store's other writes (`super::sqlite`).

use super::{Money, NewPayment, PaymentState, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, mpsc, oneshot};

/// Where a batched write's answer goes once its commit is on disk.
pub(super) type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// A payment write waiting in the group-commit queue with its reply channel.
pub(super) enum Write {
    /// Answers the amount to charge, or `None` when the payment was refused.
    Begin(BeginPayment, Reply<Option<Money>>),
    /// Answers whether the payment was still in `from` and moved.
    Move(MovePayment, Reply<bool>),
}

/// A new payment, written `authorising` at once, for the amount its request
/// asks, provided that the request is payable, the editions the citizen
/// accepted are in force, the key is new and no live payment holds the code.
pub(super) struct BeginPayment {
    pub id: String,
    pub idempotency_key: String,
    pub code: String,
    pub brand: &'static str,
    pub first_six: String,
    pub last_four: String,
    pub cardholder: String,
    pub privacy_policy_edition: i64,
    pub user_agreement_edition: i64,
    pub at: DateTime<Utc>,
}

impl From<&NewPayment<'_>> for BeginPayment {
    fn from(payment: &NewPayment<'_>) -> Self {
        BeginPayment {
            id: payment.id.to_string(),
            idempotency_key: payment.idempotency_key.to_string(),
            code: payment.code.as_str().to_owned(),
            brand: payment.brand.as_str(),
            first_six: payment.first_six.to_owned(),
            last_four: payment.last_four.to_owned(),
            cardholder: payment.cardholder.to_owned(),
            privacy_policy_edition: i64::from(payment.privacy_policy_edition),
            user_agreement_edition: i64::from(payment.user_agreement_edition),
            at: payment.at,
        }
    }
}

/// A guarded move of a payment from `from` to `to` (already checked against
/// the state machine), with its event; success also marks the request paid.
pub(super) struct MovePayment {
    pub id: String,
    pub from: PaymentState,
    pub to: PaymentState,
    pub reason: String,
    pub reference: Option<String>,
    pub decline_reason: Option<String>,
    pub challenge_url: Option<String>,
    pub at: DateTime<Utc>,
}

// The store's other writes, written once: PostgreSQL binds them through
// [`numbered`], SQLite's writer thread as they are.

/// What one batch wrote: the amounts of the payments it began and the ids of
/// the payments it moved. A write of the batch missing here was refused
/// (a begin) or found its payment no longer in its `from` state (a move).
#[derive(Default)]
pub(super) struct Written {
    pub begun: HashMap<String, Money>,
    pub moved: HashSet<String>,
}

/// How a backend writes a batch: all of it or none of it.
#[async_trait]
pub(super) trait BatchWriter: Send + Sync {
    /// Writes `begins` and `moves` (at most one move per payment, none for
    /// a payment begun in the same batch) in one atomic step.
    async fn write(
        &self,
        begins: &[&BeginPayment],
        moves: &[&MovePayment],
    ) -> Result<Written, StoreError>;
}

/// The writes of one batch, by kind, each with its reply channel.
#[derive(Default)]
struct Round {
    begins: Vec<(BeginPayment, Reply<Option<Money>>)>,
    moves: Vec<(MovePayment, Reply<bool>)>,
}

impl Round {
    fn len(&self) -> usize {
        self.begins.len() + self.moves.len()
    }

    /// Answers everyone from what the batch wrote.
    fn answer(self, written: &Written) {
        for (payment, reply) in self.begins {
            let _ = reply.send(Ok(written.begun.get(&payment.id).copied()));
        }
        for (change, reply) in self.moves {
            let _ = reply.send(Ok(written.moved.contains(&change.id)));
        }
    }
}

/// Writes a batch taken from the group-commit queue and answers each write,
/// only once the write it is part of has been committed.
pub(super) async fn commit(writer: &dyn BatchWriter, batch: Vec<Write>) {
    let mut round = Round::default();
    let mut moves = Vec::new();
    for write in batch {
        match write {
            // A citizen who gave up waiting (the request was dropped, or
            // timed out and was told to try again) must not find a payment
            // begun behind their back: a begin nobody waits for is skipped.
            // A move always lands: it records what the acquirer said.
            Write::Begin(_, reply) if reply.is_closed() => {}
            Write::Begin(payment, reply) => round.begins.push((payment, reply)),
            Write::Move(change, reply) => moves.push((change, reply)),
        }
    }
    // A batch moves a payment once: a second move of the same payment (a
    // notification racing the answer) goes in the next round and finds the
    // first one's result.
    loop {
        let mut ids = HashSet::new();
        let (now, later): (Vec<_>, Vec<_>) = moves
            .into_iter()
            .partition(|(change, _)| ids.insert(change.id.clone()));
        round.moves = now;
        write_round(writer, round).await;
        if later.is_empty() {
            break;
        }
        moves = later;
        round = Round::default();
    }
}

async fn write_round(writer: &dyn BatchWriter, round: Round) {
    if round.len() == 0 {
        return;
    }
    let begins: Vec<&BeginPayment> = round.begins.iter().map(|(payment, _)| payment).collect();
    let moves: Vec<&MovePayment> = round.moves.iter().map(|(change, _)| change).collect();
    let error = match writer.write(&begins, &moves).await {
        Ok(written) => return round.answer(&written),
        Err(error) => error,
    };
    if round.len() == 1 {
        match (
            round.begins.into_iter().next(),
            round.moves.into_iter().next(),
        ) {
            (Some((_, reply)), _) => drop(reply.send(Err(error))),
            (None, Some((_, reply))) => drop(reply.send(Err(error))),
            (None, None) => {}
        }
        return;
    }
    // One bad write (or a deadlock with another server's batch) spoils the
    // batch, which left nothing behind: each write is tried on its own, so
    // that only a write that fails alone is answered with an error.
    tracing::warn!(%error, writes = round.len(), "a batch of payment writes failed; writing them one by one");
    for (payment, reply) in round.begins {
        let result = writer
            .write(&[&payment], &[])
            .await
            .map(|written| written.begun.get(&payment.id).copied());
        let _ = reply.send(result);
    }
    for (change, reply) in round.moves {
        let result = writer
            .write(&[], &[&change])
            .await
            .map(|written| written.moved.contains(&change.id));
        let _ = reply.send(result);
    }
}

/// Writes waiting for a worker; beyond this, writers wait to queue.
const QUEUE_CAPACITY: usize = 4096;

/// The sending side of a group-commit queue of `W`s.
pub(super) struct WriteQueue<W> {
    sender: mpsc::Sender<W>,
}

impl<W: Send + 'static> WriteQueue<W> {
    /// Starts `workers` tasks that take up to `max_batch` queued writes at a
    /// time and pass them to `commit`, which must answer every write of the
    /// batch on its own channel. The workers end when the queue is dropped.
    pub(super) fn start<C, F>(workers: usize, max_batch: usize, commit: C) -> WriteQueue<W>
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
    pub(super) async fn push(&self, write: W) -> Result<(), StoreError> {
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
mod queue_tests {
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

#[cfg(test)]
mod driver_tests {
    use super::*;
    use std::sync::Mutex;

    /// A backend that records each batch it is given and refuses, as a
    /// whole, any batch holding a write for `bad`.
    #[derive(Default)]
    struct Recording {
        batches: Mutex<Vec<(Vec<String>, Vec<String>)>>,
    }

    const BAD: &str = "bad";

    #[async_trait]
    impl BatchWriter for Recording {
        async fn write(
            &self,
            begins: &[&BeginPayment],
            moves: &[&MovePayment],
        ) -> Result<Written, StoreError> {
            let begin_ids: Vec<String> = begins.iter().map(|b| b.id.clone()).collect();
            let move_ids: Vec<String> = moves.iter().map(|m| m.id.clone()).collect();
            self.batches
                .lock()
                .unwrap()
                .push((begin_ids.clone(), move_ids.clone()));
            if begin_ids.iter().chain(&move_ids).any(|id| id == BAD) {
                return Err(StoreError::Corrupt("refused by the test"));
            }
            let mut written = Written::default();
            for (n, id) in begin_ids.into_iter().enumerate() {
                written
                    .begun
                    .insert(id, Money::from_tyiyn(100 + n as i64).unwrap());
            }
            // The first move of each payment in a batch moves it.
            written.moved = move_ids.into_iter().collect();
            Ok(written)
        }
    }

    fn begin(id: &str) -> (Write, oneshot::Receiver<Result<Option<Money>, StoreError>>) {
        let (reply, answer) = oneshot::channel();
        let payment = BeginPayment {
            id: id.into(),
            idempotency_key: format!("key-{id}"),
            code: "11202600000001".into(),
            brand: "visa",
            first_six: "411111".into(),
            last_four: "1111".into(),
            cardholder: "AIBEK ASANOV".into(),
            privacy_policy_edition: 1,
            user_agreement_edition: 1,
            at: Utc::now(),
        };
        (Write::Begin(payment, reply), answer)
    }

    fn move_of(id: &str) -> (Write, oneshot::Receiver<Result<bool, StoreError>>) {
        let (reply, answer) = oneshot::channel();
        let change = MovePayment {
            id: id.into(),
            from: PaymentState::Authorising,
            to: PaymentState::Succeeded,
            reason: "approved".into(),
            reference: None,
            decline_reason: None,
            challenge_url: None,
            at: Utc::now(),
        };
        (Write::Move(change, reply), answer)
    }

    #[tokio::test]
    async fn a_batch_is_one_write_and_everyone_hears_their_own_answer() {
        let backend = Recording::default();
        let (a, a_answer) = begin("a");
        let (b, b_answer) = begin("b");
        let (m, m_answer) = move_of("m");
        commit(&backend, vec![a, m, b]).await;
        assert_eq!(
            *backend.batches.lock().unwrap(),
            vec![(vec!["a".to_string(), "b".into()], vec!["m".to_string()])]
        );
        assert_eq!(a_answer.await.unwrap().unwrap().unwrap().tyiyn(), 100);
        assert_eq!(b_answer.await.unwrap().unwrap().unwrap().tyiyn(), 101);
        assert!(m_answer.await.unwrap().unwrap());
    }

    #[tokio::test]
    async fn a_second_move_of_a_payment_waits_for_the_next_round() {
        let backend = Recording::default();
        let (first, first_answer) = move_of("p");
        let (other, other_answer) = move_of("q");
        let (second, second_answer) = move_of("p");
        commit(&backend, vec![first, other, second]).await;
        assert_eq!(
            *backend.batches.lock().unwrap(),
            vec![
                (vec![], vec!["p".to_string(), "q".into()]),
                (vec![], vec!["p".to_string()]),
            ]
        );
        assert!(first_answer.await.unwrap().unwrap());
        assert!(other_answer.await.unwrap().unwrap());
        assert!(second_answer.await.unwrap().unwrap());
    }

    #[tokio::test]
    async fn a_refused_batch_is_written_again_one_by_one_and_only_the_culprit_fails() {
        let backend = Recording::default();
        let (good, good_answer) = begin("good");
        let (bad, bad_answer) = begin(BAD);
        let (m, m_answer) = move_of("m");
        commit(&backend, vec![good, bad, m]).await;
        assert_eq!(
            *backend.batches.lock().unwrap(),
            vec![
                (vec!["good".to_string(), BAD.into()], vec!["m".to_string()]),
                (vec!["good".to_string()], vec![]),
                (vec![BAD.to_string()], vec![]),
                (vec![], vec!["m".to_string()]),
            ]
        );
        assert!(good_answer.await.unwrap().unwrap().is_some());
        assert!(matches!(
            bad_answer.await.unwrap(),
            Err(StoreError::Corrupt(_))
        ));
        assert!(m_answer.await.unwrap().unwrap());
    }
}
