//! The SQLite store: one file, zero setup. Its payment writes are committed
//! in batches on the one writer connection.

use super::batch::WriteQueue;
use super::sql::{
    BatchWriter, BeginPayment, MovePayment, Write, Written, commit, edition_in_force,
};
use super::*;
use async_trait::async_trait;
use chrono::SecondsFormat;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::collections::{HashMap, HashSet};
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
        let batches = Arc::new(SqliteBatches {
            writer: writer.clone(),
        });
        let writes = WriteQueue::start(1, MAX_BATCH, move |batch| {
            let batches = batches.clone();
            async move { commit(batches.as_ref(), batch).await }
        });
        Ok(SqliteStore {
            pool,
            writer,
            writes,
        })
    }
}

/// Writes a batch in one transaction on the writer connection: a handful
/// of statements whatever the batch's size, each taking all the batch's
/// rows at once as a JSON array (`json_each`). A call to sqlx's database
/// thread costs more than the statement it carries, so a batch makes few.
pub(super) struct SqliteBatches {
    writer: SqlitePool,
}

#[async_trait]
impl BatchWriter for SqliteBatches {
    async fn write(
        &self,
        begins: &[&BeginPayment],
        moves: &[&MovePayment],
    ) -> Result<Written, StoreError> {
        let mut tx = self.writer.begin().await?;
        let mut written = Written::default();
        if !begins.is_empty() {
            written.begun = insert_authorising(&mut tx, begins).await?;
        }
        if !moves.is_empty() {
            written.moved = move_payments(&mut tx, moves).await?;
        }
        tx.commit().await?;
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
async fn insert_authorising(
    tx: &mut Transaction<'static, Sqlite>,
    payments: &[&BeginPayment],
) -> Result<HashMap<String, Money>, StoreError> {
    let rows: Vec<serde_json::Value> = payments
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.id,
                "idempotency_key": p.idempotency_key,
                "code": p.code,
                "card_brand": p.brand,
                "card_first6": p.first_six,
                "card_last4": p.last_four,
                "cardholder_name": p.cardholder,
                "privacy_policy_edition": p.privacy_policy_edition,
                "user_agreement_edition": p.user_agreement_edition,
                "at": sqlite_time(p.at),
            })
        })
        .collect();
    let begun: Vec<(String, i64)> = sqlx::query_as(concat!(
        "INSERT INTO payments
           (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
            card_first6, card_last4, cardholder_name, status, created_at, updated_at,
            privacy_policy_edition, user_agreement_edition)
         SELECT i.value ->> 'id', i.value ->> 'idempotency_key', r.code, r.amount_tyiyn, 'KGS',
                i.value ->> 'card_brand', i.value ->> 'card_first6', i.value ->> 'card_last4',
                i.value ->> 'cardholder_name', 'authorising', i.value ->> 'at',
                i.value ->> 'at', i.value ->> 'privacy_policy_edition',
                i.value ->> 'user_agreement_edition'
         FROM json_each($1) AS i
           JOIN payment_requests AS r ON r.code = i.value ->> 'code'
         WHERE r.status = 'awaiting_payment' AND r.expires_at > i.value ->> 'at'
           AND i.value ->> 'privacy_policy_edition' = ",
        edition_in_force!("privacy-policy", "i.value ->> 'at'"),
        " AND i.value ->> 'user_agreement_edition' = ",
        edition_in_force!("user-agreement", "i.value ->> 'at'"),
        " ORDER BY i.key
         ON CONFLICT DO NOTHING
         RETURNING id, amount_tyiyn"
    ))
    .bind(serde_json::Value::Array(rows).to_string())
    .fetch_all(&mut **tx)
    .await?;
    if begun.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = serde_json::Value::from(begun.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>());
    sqlx::query(
        "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         SELECT p.id, e.column2, e.column3, e.column4, p.created_at
         FROM json_each($1) AS b
           JOIN payments AS p ON p.id = b.value
           CROSS JOIN (VALUES (1, NULL, 'created', 'form submitted'),
                              (2, 'created', 'authorising', 'sending to the acquirer')) AS e
         ORDER BY b.key, e.column1",
    )
    .bind(ids.to_string())
    .execute(&mut **tx)
    .await?;
    begun
        .into_iter()
        .map(|(id, amount)| {
            let amount = Money::from_tyiyn(amount).map_err(|_| StoreError::Corrupt("amount"))?;
            Ok((id, amount))
        })
        .collect()
}

/// Applies guarded moves (each payment at most once) with their events,
/// marks the requests of succeeded payments paid, and answers the ids of the
/// payments that were still in their `from` state and moved.
async fn move_payments(
    tx: &mut Transaction<'static, Sqlite>,
    changes: &[&MovePayment],
) -> Result<HashSet<String>, StoreError> {
    let json = |changes: &mut dyn Iterator<Item = &&MovePayment>| {
        let rows: Vec<serde_json::Value> = changes
            .map(|c| {
                serde_json::json!({
                    "id": c.id,
                    "from": c.from.as_str(),
                    "to": c.to.as_str(),
                    "reason": c.reason,
                    "decline_reason": c.decline_reason,
                    "processor_reference": c.reference,
                    "challenge_url": c.challenge_url,
                    "final": c.to.is_final(),
                    "at": sqlite_time(c.at),
                })
            })
            .collect();
        serde_json::Value::Array(rows).to_string()
    };
    let moved: Vec<String> = sqlx::query_scalar(
        "UPDATE payments
         SET status = c.value ->> 'to', updated_at = c.value ->> 'at',
             decline_reason = COALESCE(c.value ->> 'decline_reason', decline_reason),
             processor_reference = COALESCE(c.value ->> 'processor_reference',
                                            processor_reference),
             challenge_url = COALESCE(c.value ->> 'challenge_url', challenge_url),
             completed_at = CASE WHEN c.value ->> 'final' THEN c.value ->> 'at'
                                 ELSE completed_at END
         FROM json_each($1) AS c
         WHERE payments.id = c.value ->> 'id' AND payments.status = c.value ->> 'from'
         RETURNING payments.id",
    )
    .bind(json(&mut changes.iter()))
    .fetch_all(&mut **tx)
    .await?;
    let moved: HashSet<String> = moved.into_iter().collect();
    if moved.is_empty() {
        return Ok(moved);
    }
    sqlx::query(
        "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         SELECT c.value ->> 'id', c.value ->> 'from', c.value ->> 'to', c.value ->> 'reason',
                c.value ->> 'at'
         FROM json_each($1) AS c ORDER BY c.key",
    )
    .bind(json(&mut changes.iter().filter(|c| moved.contains(&c.id))))
    .execute(&mut **tx)
    .await?;
    let succeeded: Vec<&str> = changes
        .iter()
        .filter(|c| c.to == PaymentState::Succeeded && moved.contains(&c.id))
        .map(|c| c.id.as_str())
        .collect();
    if !succeeded.is_empty() {
        sqlx::query(
            "UPDATE payment_requests SET status = 'paid'
             WHERE status = 'awaiting_payment'
               AND code IN (SELECT p.code FROM json_each($1) AS s
                            JOIN payments AS p ON p.id = s.value)",
        )
        .bind(serde_json::Value::from(succeeded).to_string())
        .execute(&mut **tx)
        .await?;
    }
    Ok(moved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The batch writes times as JSON text and sqlx binds them itself; the
    /// two must spell every time alike, or text comparisons go wrong.
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
