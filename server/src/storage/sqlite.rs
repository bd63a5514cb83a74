//! The SQLite store: one file, zero setup. Its payment writes are committed
//! in batches on the one writer connection.

use super::batch::WriteQueue;
use super::sql::{BeginPayment, MovePayment, Reply, Write, edition_in_force};
use super::*;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Writes a commit may carry. SQLite's cost is the sync at the commit, so
/// a batch takes whatever has queued; this only bounds one commit's time.
const MAX_BATCH: usize = 256;

/// SQLite allows one writer at a time, and a connection that finds the write
/// lock taken sleeps and retries (up to 100 ms a nap). Sending every write
/// through one connection makes writers queue in order instead, and lets
/// the payment writes that queued meanwhile share one transaction, so one
/// sync of the file makes a whole batch durable. Reads use the other pool
/// and, with WAL, never wait for the writer.
pub struct SqliteStore {
    pub(super) pool: SqlitePool,
    pub(super) writer: SqlitePool,
    pub(super) writes: WriteQueue<Write>,
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
    /// Opens (creating if needed) the database file and applies the migrations.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = sqlite_options(url)?;
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(e.into()))?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        let writes = {
            let writer = writer.clone();
            WriteQueue::start(1, MAX_BATCH, move |batch| commit(writer.clone(), batch))
        };
        Ok(SqliteStore {
            pool,
            writer,
            writes,
        })
    }
}

/// A write's result, held until the commit decides whether it stands.
enum Answer {
    Begun(Reply<Option<Money>>, Result<Option<Money>, StoreError>),
    Moved(Reply<bool>, Result<bool, StoreError>),
}

impl Answer {
    fn send(self) {
        // A writer that stopped waiting (its request was dropped) finds its
        // write done or not done like any other; there is no one to tell.
        match self {
            Answer::Begun(reply, result) => drop(reply.send(result)),
            Answer::Moved(reply, result) => drop(reply.send(result)),
        }
    }

    fn fail(self, error: &Arc<sqlx::Error>) {
        let error = StoreError::Batch(error.clone());
        match self {
            Answer::Begun(reply, _) => drop(reply.send(Err(error))),
            Answer::Moved(reply, _) => drop(reply.send(Err(error))),
        }
    }
}

impl Write {
    fn fail(self, error: &Arc<sqlx::Error>) {
        match self {
            Write::Begin(_, reply) => Answer::Begun(reply, Ok(None)).fail(error),
            Write::Move(_, reply) => Answer::Moved(reply, Ok(false)).fail(error),
        }
    }
}

/// Writes a batch in one transaction, each write in a savepoint of its own
/// (a write that fails is undone alone and answered with its error), and
/// answers everyone once the commit is durable, or with the commit's error.
async fn commit(writer: SqlitePool, batch: Vec<Write>) {
    let mut tx = match writer.begin().await {
        Ok(tx) => tx,
        Err(error) => {
            tracing::error!(%error, writes = batch.len(), "could not start a batch");
            let error = Arc::new(error);
            batch.into_iter().for_each(|write| write.fail(&error));
            return;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    for write in batch {
        answers.push(match write {
            Write::Begin(payment, reply) => {
                let result = insert_authorising(&mut tx, &payment).await;
                Answer::Begun(reply, undo_if_failed(&mut tx, result).await)
            }
            Write::Move(change, reply) => {
                let result = move_payment(&mut tx, &change).await;
                Answer::Moved(reply, undo_if_failed(&mut tx, result).await)
            }
        });
    }
    match tx.commit().await {
        Ok(()) => answers.into_iter().for_each(Answer::send),
        Err(error) => {
            tracing::error!(%error, writes = answers.len(), "a batch failed to commit");
            let error = Arc::new(error);
            answers.into_iter().for_each(|answer| answer.fail(&error));
        }
    }
}

// Each write is one string of statements sent in one call (sqlx runs them
// in order, binding each `$n` where it appears): a call to the database
// thread costs more than the statements, so a write makes one. The string
// opens the savepoint `payment_write` and releases it at the end; a failure
// stops it midway, still inside the savepoint, which `undo_if_failed` rolls
// back.

/// Rolls the savepoint of a failed write back, so the rest of the batch
/// commits without it.
async fn undo_if_failed<T>(
    tx: &mut Transaction<'static, Sqlite>,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    if result.is_err() {
        let undo = sqlx::query("ROLLBACK TO payment_write; RELEASE payment_write");
        if let Err(error) = undo.execute(&mut **tx).await {
            tracing::error!(%error, "could not undo a failed write");
        }
    }
    result
}

/// The new payment and the events of its first two states (it is never seen
/// `created`: it is created and moved to `authorising` at once). Nothing is
/// written, and `None` answered, when any condition of [`BeginPayment`]
/// fails; the caller reads why.
async fn insert_authorising(
    tx: &mut Transaction<'static, Sqlite>,
    payment: &BeginPayment,
) -> Result<Option<Money>, StoreError> {
    let amounts: Vec<i64> = sqlx::query_scalar(concat!(
        "SAVEPOINT payment_write;
         INSERT INTO payments
           (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
            card_first6, card_last4, cardholder_name, status, created_at, updated_at,
            privacy_policy_edition, user_agreement_edition)
         SELECT $1, $2, r.code, r.amount_tyiyn, 'KGS', $4, $5, $6, $7, 'authorising', $8, $8,
                $9, $10
         FROM payment_requests r
         WHERE r.code = $3 AND r.status = 'awaiting_payment' AND r.expires_at > $8
           AND $9 = ",
        edition_in_force!("privacy-policy", "$8"),
        " AND $10 = ",
        edition_in_force!("user-agreement", "$8"),
        " ON CONFLICT DO NOTHING
         RETURNING amount_tyiyn;
         INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         SELECT $1, NULL, 'created', 'form submitted', $8 WHERE changes() = 1
         UNION ALL
         SELECT $1, 'created', 'authorising', 'sending to the acquirer', $8
         WHERE changes() = 1;
         RELEASE payment_write"
    ))
    .bind(&payment.id)
    .bind(&payment.idempotency_key)
    .bind(&payment.code)
    .bind(payment.brand)
    .bind(&payment.first_six)
    .bind(&payment.last_four)
    .bind(&payment.cardholder)
    .bind(payment.at)
    .bind(payment.privacy_policy_edition)
    .bind(payment.user_agreement_edition)
    // fetch_all, not fetch_optional: every statement of the string must run.
    .fetch_all(&mut **tx)
    .await?;
    amounts
        .first()
        .map(|&amount| Money::from_tyiyn(amount).map_err(|_| StoreError::Corrupt("amount")))
        .transpose()
}

/// The guarded update every state change goes through, its event, and the
/// request marked paid when the payment succeeded.
async fn move_payment(
    tx: &mut Transaction<'static, Sqlite>,
    change: &MovePayment,
) -> Result<bool, StoreError> {
    let moved: Vec<String> = sqlx::query_scalar(
        "SAVEPOINT payment_write;
         UPDATE payments
         SET status = $1, updated_at = $2,
             decline_reason = COALESCE($3, decline_reason),
             processor_reference = COALESCE($4, processor_reference),
             challenge_url = COALESCE($5, challenge_url),
             completed_at = CASE WHEN $6 THEN $2 ELSE completed_at END
         WHERE id = $7 AND status = $8
         RETURNING id;
         INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         SELECT $7, $8, $1, $9, $2 WHERE changes() = 1;
         UPDATE payment_requests SET status = 'paid'
         WHERE $1 = 'succeeded' AND status = 'awaiting_payment'
           AND code = (SELECT code FROM payments WHERE id = $7 AND status = 'succeeded');
         RELEASE payment_write",
    )
    .bind(change.to.as_str())
    .bind(change.at)
    .bind(change.decline_reason.as_deref())
    .bind(change.reference.as_deref())
    .bind(change.challenge_url.as_deref())
    .bind(change.to.is_final())
    .bind(&change.id)
    .bind(change.from.as_str())
    .bind(&change.reason)
    .fetch_all(&mut **tx)
    .await?;
    Ok(!moved.is_empty())
}
