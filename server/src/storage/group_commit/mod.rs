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
//! Both databases use this queue ([`WriteQueue`]) with the same limits:
//! PostgreSQL with two workers, each writing a batch as one statement;
//! SQLite with one, which hands each batch to its writer thread
//! (`super::sqlite`), the only connection that writes.

mod queue;
#[cfg(test)]
mod tests;

pub(super) use queue::WriteQueue;

/// Writes one commit may carry, on either database. A commit's cost is
/// mostly its sync, so a batch takes whatever has queued; this bounds one.
pub(super) const MAX_BATCH: usize = 256;

use super::{Money, NewPayment, PaymentState, StoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use tokio::sync::oneshot;

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
    pub client: Option<String>,
    pub browser: Option<String>,
    pub card_fingerprint: Option<String>,
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
            client: payment.subjects.client.map(str::to_owned),
            browser: payment.subjects.browser.map(str::to_owned),
            card_fingerprint: payment.subjects.card_fingerprint.map(str::to_owned),
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
