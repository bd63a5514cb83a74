//! The PostgreSQL store, for several servers behind a load balancer. Its
//! payment writes are committed in batches, each batch one statement.

use super::batch::WriteQueue;
use super::sql::{BeginPayment, MovePayment, Reply, Write, edition_in_force};
use super::*;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

/// Writes a statement may carry.
const MAX_BATCH: usize = 256;
/// Batches in flight at once. While one is being committed the next
/// gathers; a second worker keeps the server's other core busy.
const WORKERS: usize = 2;

pub struct PostgresStore {
    pub(super) pool: PgPool,
    /// The same pool: PostgreSQL's writers wait for each other row by row.
    pub(super) writer: PgPool,
    pub(super) writes: WriteQueue<Write>,
}

impl PostgresStore {
    /// Connects to the server and applies the migrations (PostgreSQL's
    /// advisory lock lets several servers start at once).
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let writes = {
            let pool = pool.clone();
            WriteQueue::start(WORKERS, MAX_BATCH, move |batch| commit(pool.clone(), batch))
        };
        Ok(PostgresStore {
            writer: pool.clone(),
            pool,
            writes,
        })
    }
}

/// Writes a batch: all its new payments in one statement and all its moves
/// in another, side by side. Each statement is atomic and commits on its
/// own; a writer hears back only after the commit holding its write.
async fn commit(pool: PgPool, batch: Vec<Write>) {
    let mut begins = Vec::new();
    let mut moves = Vec::new();
    for write in batch {
        match write {
            Write::Begin(payment, reply) => begins.push((payment, reply)),
            Write::Move(change, reply) => moves.push((change, reply)),
        }
    }
    tokio::join!(begin_all(&pool, begins), move_all(&pool, moves));
}

async fn begin_all(pool: &PgPool, begins: Vec<(BeginPayment, Reply<Option<Money>>)>) {
    if begins.is_empty() {
        return;
    }
    let payments: Vec<&BeginPayment> = begins.iter().map(|(payment, _)| payment).collect();
    match insert_authorising(pool, &payments).await {
        Ok(begun) => {
            for (payment, reply) in begins {
                let _ = reply.send(Ok(begun.get(&payment.id).copied()));
            }
        }
        // A deadlock with another server's batch, say: the statement left
        // nothing behind, so each write is tried again on its own.
        Err(error) if begins.len() > 1 => {
            tracing::warn!(%error, writes = begins.len(), "a batch of new payments failed; writing them one by one");
            for (payment, reply) in begins {
                let result = insert_authorising(pool, &[&payment])
                    .await
                    .map(|begun| begun.get(&payment.id).copied())
                    .map_err(StoreError::from);
                let _ = reply.send(result);
            }
        }
        Err(error) => {
            if let Some((_, reply)) = begins.into_iter().next() {
                let _ = reply.send(Err(StoreError::Database(error)));
            }
        }
    }
}

async fn move_all(pool: &PgPool, moves: Vec<(MovePayment, Reply<bool>)>) {
    // One statement moves a payment once: a second move of the same payment
    // (a notification racing the answer) goes in the next round and finds
    // the first one's result.
    let mut pending = moves;
    while !pending.is_empty() {
        let mut ids = HashSet::new();
        let (round, later): (Vec<_>, Vec<_>) = pending
            .into_iter()
            .partition(|(change, _)| ids.insert(change.id.clone()));
        pending = later;
        let changes: Vec<&MovePayment> = round.iter().map(|(change, _)| change).collect();
        match move_payments(pool, &changes).await {
            Ok(moved) => {
                for (change, reply) in round {
                    let _ = reply.send(Ok(moved.contains(&change.id)));
                }
            }
            Err(error) if round.len() > 1 => {
                tracing::warn!(%error, writes = round.len(), "a batch of payment moves failed; writing them one by one");
                for (change, reply) in round {
                    let result = move_payments(pool, &[&change])
                        .await
                        .map(|moved| moved.contains(&change.id))
                        .map_err(StoreError::from);
                    let _ = reply.send(result);
                }
            }
            Err(error) => {
                if let Some((_, reply)) = round.into_iter().next() {
                    let _ = reply.send(Err(StoreError::Database(error)));
                }
            }
        }
    }
}

// Both batch statements are sent unprepared (`persistent(false)`), so that
// PostgreSQL plans each batch for its own size and the tables as they are.
// A prepared statement keeps the plan made when it was first used: on a new
// database that is a hash join over a then-tiny `payments`, which becomes a
// scan of the whole table per batch as it grows. Planning costs a fraction
// of a millisecond, once per batch.

/// Inserts the payments that may begin, `authorising`, with the events of
/// their first two states (created, then authorising), and answers the
/// amount of each one written, by id. Payments refused by a condition of
/// [`BeginPayment`] or a unique index are left out and written nowhere.
async fn insert_authorising(
    pool: &PgPool,
    payments: &[&BeginPayment],
) -> Result<HashMap<String, Money>, sqlx::Error> {
    let column = |f: fn(&BeginPayment) -> &str| -> Vec<&str> {
        payments.iter().map(|payment| f(payment)).collect()
    };
    let rows = sqlx::query(concat!(
        "WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::text[], $8::bigint[], $9::bigint[],
                                $10::timestamptz[])
             AS i (id, idempotency_key, code, card_brand, card_first6, card_last4,
                   cardholder_name, privacy_policy_edition, user_agreement_edition, at)),
         p AS (
           INSERT INTO payments
             (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
              card_first6, card_last4, cardholder_name, status, created_at, updated_at,
              privacy_policy_edition, user_agreement_edition)
           SELECT i.id, i.idempotency_key, r.code, r.amount_tyiyn, 'KGS', i.card_brand,
                  i.card_first6, i.card_last4, i.cardholder_name, 'authorising', i.at, i.at,
                  i.privacy_policy_edition, i.user_agreement_edition
           FROM input i JOIN payment_requests r ON r.code = i.code
           WHERE r.status = 'awaiting_payment' AND r.expires_at > i.at
             AND i.privacy_policy_edition = ",
        edition_in_force!("privacy-policy", "i.at"),
        " AND i.user_agreement_edition = ",
        edition_in_force!("user-agreement", "i.at"),
        // One order for every batch, so that batches of two servers racing
        // for the same codes wait for each other instead of deadlocking.
        " ORDER BY r.code
           ON CONFLICT DO NOTHING
           RETURNING id, amount_tyiyn, created_at),
         events AS (
           INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
           SELECT p.id, e.from_state, e.to_state, e.reason, p.created_at
           FROM p CROSS JOIN (VALUES
             (1, NULL::text, 'created', 'form submitted'),
             (2, 'created', 'authorising', 'sending to the acquirer')
           ) AS e (n, from_state, to_state, reason)
           ORDER BY p.id, e.n)
         SELECT id, amount_tyiyn FROM p"
    ))
    .bind(column(|p| &p.id))
    .bind(column(|p| &p.idempotency_key))
    .bind(column(|p| &p.code))
    .bind(column(|p| p.brand))
    .bind(column(|p| &p.first_six))
    .bind(column(|p| &p.last_four))
    .bind(column(|p| &p.cardholder))
    .bind(
        payments
            .iter()
            .map(|p| p.privacy_policy_edition)
            .collect::<Vec<_>>(),
    )
    .bind(
        payments
            .iter()
            .map(|p| p.user_agreement_edition)
            .collect::<Vec<_>>(),
    )
    .bind(payments.iter().map(|p| p.at).collect::<Vec<_>>())
    .persistent(false)
    .fetch_all(pool)
    .await?;
    let mut begun = HashMap::with_capacity(rows.len());
    for row in rows {
        let amount = Money::from_tyiyn(row.try_get("amount_tyiyn")?)
            .map_err(|_| sqlx::Error::Decode("stored amount is not valid".into()))?;
        begun.insert(row.try_get("id")?, amount);
    }
    Ok(begun)
}

/// Applies guarded moves (each payment at most once per call) with their
/// events, marks the requests of succeeded payments paid, and answers the
/// ids of the payments that were still in their `from` state and moved.
async fn move_payments(
    pool: &PgPool,
    changes: &[&MovePayment],
) -> Result<HashSet<String>, sqlx::Error> {
    let text = |f: fn(&MovePayment) -> Option<&str>| -> Vec<Option<&str>> {
        changes.iter().map(|change| f(change)).collect()
    };
    let rows = sqlx::query(
        "WITH c AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::text[], $8::boolean[], $9::timestamptz[])
             AS c (id, from_state, to_state, reason, decline_reason, processor_reference,
                   challenge_url, final, at)),
         moved AS (
           UPDATE payments p
           SET status = c.to_state, updated_at = c.at,
               decline_reason = COALESCE(c.decline_reason, p.decline_reason),
               processor_reference = COALESCE(c.processor_reference, p.processor_reference),
               challenge_url = COALESCE(c.challenge_url, p.challenge_url),
               completed_at = CASE WHEN c.final THEN c.at ELSE p.completed_at END
           FROM c
           WHERE p.id = c.id AND p.status = c.from_state
           RETURNING p.id, p.code, c.from_state, c.to_state, c.reason, c.at),
         events AS (
           INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
           SELECT id, from_state, to_state, reason, at FROM moved ORDER BY id),
         paid AS (
           UPDATE payment_requests SET status = 'paid'
           WHERE status = 'awaiting_payment'
             AND code IN (SELECT code FROM moved WHERE to_state = 'succeeded'))
         SELECT id FROM moved",
    )
    .bind(text(|c| Some(&c.id)))
    .bind(text(|c| Some(c.from.as_str())))
    .bind(text(|c| Some(c.to.as_str())))
    .bind(text(|c| Some(&c.reason)))
    .bind(text(|c| c.decline_reason.as_deref()))
    .bind(text(|c| c.reference.as_deref()))
    .bind(text(|c| c.challenge_url.as_deref()))
    .bind(changes.iter().map(|c| c.to.is_final()).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.at).collect::<Vec<_>>())
    .persistent(false)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|row| row.try_get("id")).collect()
}
