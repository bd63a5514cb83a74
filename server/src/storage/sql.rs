//! The SQL of [`PaymentStore`], written once for SQLite and PostgreSQL.
//!
//! sqlx's compile-time checked macros are tied to one database, so the store
//! uses runtime queries with `?` placeholders; [`numbered`] turns them into
//! PostgreSQL's `$1, $2, ...`. A macro stamps the same method bodies out for
//! each backend, and the storage tests run against both.

use super::*;
use sqlx::Row;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

/// SQLite allows one writer at a time, and a connection that finds the write
/// lock taken sleeps and retries (up to 100 ms a nap). Sending every write
/// transaction through one connection makes writers queue in order instead;
/// reads use the other pool and, with WAL, never wait for the writer.
pub struct SqliteStore {
    pool: SqlitePool,
    writer: SqlitePool,
}

pub struct PostgresStore {
    pool: PgPool,
    /// The same pool: PostgreSQL's writers wait for each other row by row.
    writer: PgPool,
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
        Ok(SqliteStore { pool, writer })
    }
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
        Ok(PostgresStore {
            writer: pool.clone(),
            pool,
        })
    }
}

fn as_written(sql: &'static str) -> Cow<'static, str> {
    Cow::Borrowed(sql)
}

/// `?` placeholders as PostgreSQL's numbered ones. The store's SQL has no `?`
/// anywhere else (no string literals containing one).
fn numbered(sql: &'static str) -> Cow<'static, str> {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value bound to a `?` of a payment query.
#[derive(Clone, Copy)]
enum Bind<'a> {
    Text(&'a str),
    Time(DateTime<Utc>),
    Int(i64),
}

fn edition_number(stored: Option<i64>) -> Result<Option<u32>, StoreError> {
    stored
        .map(|n| u32::try_from(n).map_err(|_| StoreError::Corrupt("edition number")))
        .transpose()
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

macro_rules! payment_columns {
    () => {
        "id, idempotency_key, code, amount_tyiyn, card_brand, card_first6, card_last4,
         cardholder_name, status, decline_reason, processor_reference, challenge_url,
         created_at, updated_at, last_checked_at"
    };
}

macro_rules! sql_store {
    ($store:ident, $db:ty, $row:ty, $backend:literal, $sql:path) => {
        impl $store {
            fn request_from_row(row: &$row) -> Result<PaymentRequest, StoreError> {
                let code: String = row.try_get("code")?;
                let service: String = row.try_get("service_kind")?;
                let status: String = row.try_get("status")?;
                Ok(PaymentRequest {
                    code: PaymentCode::parse(&code)
                        .map_err(|_| StoreError::Corrupt("payment code"))?,
                    service: ServiceKind::from_str_opt(&service)
                        .ok_or(StoreError::Corrupt("service kind"))?,
                    applicant_name: row.try_get("applicant_name")?,
                    amount: Money::from_tyiyn(row.try_get("amount_tyiyn")?)
                        .map_err(|_| StoreError::Corrupt("amount"))?,
                    status: RequestStatus::from_str_opt(&status)
                        .ok_or(StoreError::Corrupt("status"))?,
                    expires_at: row.try_get("expires_at")?,
                })
            }

            fn payment_from_row(row: &$row) -> Result<PaymentRecord, StoreError> {
                let code: String = row.try_get("code")?;
                let brand: String = row.try_get("card_brand")?;
                let status: String = row.try_get("status")?;
                let created_at: DateTime<Utc> = row.try_get("created_at")?;
                Ok(PaymentRecord {
                    id: row.try_get("id")?,
                    idempotency_key: row.try_get("idempotency_key")?,
                    code: PaymentCode::parse(&code)
                        .map_err(|_| StoreError::Corrupt("payment code"))?,
                    amount: Money::from_tyiyn(row.try_get("amount_tyiyn")?)
                        .map_err(|_| StoreError::Corrupt("amount"))?,
                    brand: CardBrand::from_str_opt(&brand)
                        .ok_or(StoreError::Corrupt("card brand"))?,
                    first_six: row.try_get("card_first6")?,
                    last_four: row.try_get("card_last4")?,
                    cardholder: row.try_get("cardholder_name")?,
                    state: PaymentState::from_str_opt(&status)
                        .ok_or(StoreError::Corrupt("payment status"))?,
                    decline_reason: row.try_get("decline_reason")?,
                    reference: row.try_get("processor_reference")?,
                    challenge_url: row.try_get("challenge_url")?,
                    created_at,
                    updated_at: row
                        .try_get::<Option<DateTime<Utc>>, _>("updated_at")?
                        .unwrap_or(created_at),
                    last_checked_at: row.try_get("last_checked_at")?,
                })
            }

            fn edition_from_row(row: &$row) -> Result<EditionRecord, StoreError> {
                Ok(EditionRecord {
                    document: row.try_get("document")?,
                    edition: edition_number(Some(row.try_get("edition")?))?
                        .ok_or(StoreError::Corrupt("edition"))?,
                    language: row.try_get("language")?,
                    effective_from: row.try_get("effective_from")?,
                    source: row.try_get("source")?,
                    published_by: row.try_get("published_by")?,
                    published_at: row.try_get("published_at")?,
                })
            }

            async fn select_payments(
                &self,
                sql: &'static str,
                binds: &[Bind<'_>],
            ) -> Result<Vec<PaymentRecord>, StoreError> {
                let sql = $sql(sql);
                let mut query = sqlx::query(&sql);
                for bind in binds {
                    query = match *bind {
                        Bind::Text(text) => query.bind(text),
                        Bind::Time(at) => query.bind(at),
                        Bind::Int(n) => query.bind(n),
                    };
                }
                let rows = query.fetch_all(&self.pool).await?;
                rows.iter().map(Self::payment_from_row).collect()
            }
        }

        #[async_trait]
        impl PaymentStore for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn find_request(
                &self,
                code: &PaymentCode,
            ) -> Result<Option<PaymentRequest>, StoreError> {
                let row = sqlx::query(&$sql(
                    "SELECT code, service_kind, applicant_name, amount_tyiyn, status, expires_at
                     FROM payment_requests WHERE code = ?",
                ))
                .bind(code.as_str())
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(Self::request_from_row).transpose()
            }

            async fn insert_request(
                &self,
                request: &PaymentRequest,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(&$sql(
                    "INSERT INTO payment_requests
                       (code, service_kind, applicant_name, amount_tyiyn, currency, status,
                        expires_at, created_at)
                     VALUES (?, ?, ?, ?, 'KGS', ?, ?, ?)",
                ))
                .bind(request.code.as_str())
                .bind(request.service.as_str())
                .bind(&request.applicant_name)
                .bind(request.amount.tyiyn())
                .bind(request.status.as_str())
                .bind(request.expires_at)
                .bind(at)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn count_requests(&self) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM payment_requests")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn begin_payment(&self, payment: NewPayment<'_>) -> Result<(), StoreError> {
                PaymentState::Created.transition_to(PaymentState::Authorising)?;
                match self.insert_authorising(&payment).await {
                    Err(StoreError::Database(error)) if is_unique_violation(&error) => {
                        if self.payment_by_key(payment.idempotency_key).await?.is_some() {
                            Err(StoreError::DuplicateKey)
                        } else {
                            Err(StoreError::CodeBusy)
                        }
                    }
                    other => other,
                }
            }

            async fn payment(&self, id: &str) -> Result<Option<PaymentRecord>, StoreError> {
                Ok(self
                    .select_payments(
                        concat!("SELECT ", payment_columns!(), " FROM payments WHERE id = ?"),
                        &[Bind::Text(id)],
                    )
                    .await?
                    .pop())
            }

            async fn payment_by_key(&self, key: &str) -> Result<Option<PaymentRecord>, StoreError> {
                Ok(self
                    .select_payments(
                        concat!(
                            "SELECT ",
                            payment_columns!(),
                            " FROM payments WHERE idempotency_key = ?"
                        ),
                        &[Bind::Text(key)],
                    )
                    .await?
                    .pop())
            }

            async fn advance(
                &self,
                id: &str,
                from: PaymentState,
                to: PaymentState,
                change: Change<'_>,
                at: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                from.transition_to(to)?;
                self.move_payment(id, from, to, &change, at).await
            }

            async fn mark_checked(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query(&$sql("UPDATE payments SET last_checked_at = ? WHERE id = ?"))
                    .bind(at)
                    .bind(id)
                    .execute(&self.writer)
                    .await?;
                Ok(())
            }

            async fn unsettled_payments(
                &self,
                stale_before: DateTime<Utc>,
                limit: i64,
            ) -> Result<Vec<PaymentRecord>, StoreError> {
                self.select_payments(
                    concat!(
                        "SELECT ",
                        payment_columns!(),
                        " FROM payments
                          WHERE status = 'unknown' OR (status = 'authorising' AND updated_at < ?)
                          ORDER BY updated_at LIMIT ?"
                    ),
                    &[Bind::Time(stale_before), Bind::Int(limit)],
                )
                .await
            }

            async fn abandoned_payments(
                &self,
                before: DateTime<Utc>,
                limit: i64,
            ) -> Result<Vec<PaymentRecord>, StoreError> {
                self.select_payments(
                    concat!(
                        "SELECT ",
                        payment_columns!(),
                        " FROM payments
                          WHERE status IN ('created', 'three_ds_required') AND updated_at < ?
                          ORDER BY updated_at LIMIT ?"
                    ),
                    &[Bind::Time(before), Bind::Int(limit)],
                )
                .await
            }

            async fn payments_in_state(
                &self,
                state: PaymentState,
            ) -> Result<Vec<PaymentRecord>, StoreError> {
                self.select_payments(
                    concat!(
                        "SELECT ",
                        payment_columns!(),
                        " FROM payments WHERE status = ? ORDER BY receipt_number"
                    ),
                    &[Bind::Text(state.as_str())],
                )
                .await
            }

            async fn events(&self, id: &str) -> Result<Vec<PaymentEvent>, StoreError> {
                let rows = sqlx::query(&$sql(
                    "SELECT from_state, to_state, reason, at FROM payment_events
                     WHERE payment_id = ? ORDER BY id",
                ))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|row| {
                        let from: Option<String> = row.try_get("from_state")?;
                        let to: String = row.try_get("to_state")?;
                        Ok(PaymentEvent {
                            from: match from {
                                Some(s) => Some(
                                    PaymentState::from_str_opt(&s)
                                        .ok_or(StoreError::Corrupt("event state"))?,
                                ),
                                None => None,
                            },
                            to: PaymentState::from_str_opt(&to)
                                .ok_or(StoreError::Corrupt("event state"))?,
                            reason: row.try_get("reason")?,
                            at: row.try_get("at")?,
                        })
                    })
                    .collect()
            }

            async fn approved_payment(
                &self,
                id: &str,
            ) -> Result<Option<ApprovedPayment>, StoreError> {
                let row = sqlx::query(&$sql(
                    "SELECT p.receipt_number, p.amount_tyiyn AS paid_tyiyn, p.card_brand,
                            p.card_first6, p.card_last4, p.cardholder_name,
                            p.processor_reference, p.completed_at,
                            p.privacy_policy_edition, p.user_agreement_edition,
                            r.code, r.service_kind, r.applicant_name, r.amount_tyiyn, r.status,
                            r.expires_at
                     FROM payments p JOIN payment_requests r ON r.code = p.code
                     WHERE p.id = ? AND p.status = 'succeeded'",
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let brand: String = row.try_get("card_brand")?;
                Ok(Some(ApprovedPayment {
                    receipt_number: row.try_get("receipt_number")?,
                    request: Self::request_from_row(&row)?,
                    amount: Money::from_tyiyn(row.try_get("paid_tyiyn")?)
                        .map_err(|_| StoreError::Corrupt("amount"))?,
                    brand: CardBrand::from_str_opt(&brand)
                        .ok_or(StoreError::Corrupt("card brand"))?,
                    first_six: row.try_get("card_first6")?,
                    last_four: row.try_get("card_last4")?,
                    cardholder: row.try_get("cardholder_name")?,
                    reference: row
                        .try_get::<Option<String>, _>("processor_reference")?
                        .unwrap_or_default(),
                    completed_at: row
                        .try_get::<Option<DateTime<Utc>>, _>("completed_at")?
                        .ok_or(StoreError::Corrupt("completion time"))?,
                    privacy_policy_edition: edition_number(
                        row.try_get("privacy_policy_edition")?,
                    )?,
                    user_agreement_edition: edition_number(
                        row.try_get("user_agreement_edition")?,
                    )?,
                }))
            }

            async fn insert_edition(&self, edition: &EditionRecord) -> Result<bool, StoreError> {
                let inserted = sqlx::query(&$sql(
                    "INSERT INTO document_editions
                       (document, edition, language, effective_from, source, published_by,
                        published_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (document, edition, language) DO NOTHING",
                ))
                .bind(&edition.document)
                .bind(i64::from(edition.edition))
                .bind(&edition.language)
                .bind(edition.effective_from)
                .bind(&edition.source)
                .bind(&edition.published_by)
                .bind(edition.published_at)
                .execute(&self.writer)
                .await?
                .rows_affected();
                Ok(inserted == 1)
            }

            async fn editions(&self, document: &str) -> Result<Vec<EditionRecord>, StoreError> {
                let rows = sqlx::query(&$sql(
                    "SELECT document, edition, language, effective_from, source, published_by,
                            published_at
                     FROM document_editions WHERE document = ? ORDER BY edition, language",
                ))
                .bind(document)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::edition_from_row).collect()
            }

            async fn edition_index(&self) -> Result<Vec<EditionRecord>, StoreError> {
                let rows = sqlx::query(
                    "SELECT document, edition, language, effective_from, '' AS source,
                            published_by, published_at
                     FROM document_editions ORDER BY document, edition, language",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::edition_from_row).collect()
            }

            async fn insert_feedback(&self, feedback: &FeedbackRecord) -> Result<(), StoreError> {
                sqlx::query(&$sql(
                    "INSERT INTO feedback
                       (topic, message, reply_email, receipt_number, language, client, created_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(&feedback.topic)
                .bind(&feedback.message)
                .bind(feedback.reply_email.as_deref())
                .bind(feedback.receipt_number.as_deref())
                .bind(&feedback.language)
                .bind(&feedback.client)
                .bind(feedback.at)
                .execute(&self.writer)
                .await?;
                Ok(())
            }

            async fn feedback_count_since(
                &self,
                client: &str,
                since: DateTime<Utc>,
            ) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar(&$sql(
                    "SELECT COUNT(*) FROM feedback WHERE client = ? AND created_at >= ?",
                ))
                .bind(client)
                .bind(since)
                .fetch_one(&self.pool)
                .await?)
            }
        }
    };
}

/// SQLite cannot change several tables in one statement: each write is a
/// short transaction on the single writer connection.
impl SqliteStore {
    async fn record_event(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        id: &str,
        from: Option<PaymentState>,
        to: PaymentState,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(from.map(PaymentState::as_str))
        .bind(to.as_str())
        .bind(reason)
        .bind(at)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The guarded update every state change goes through.
    async fn transition(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        id: &str,
        from: PaymentState,
        to: PaymentState,
        change: &Change<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        from.transition_to(to)?;
        let completed = if to.is_final() { 1_i64 } else { 0 };
        let moved = sqlx::query(
            "UPDATE payments
             SET status = ?, updated_at = ?,
                 decline_reason = COALESCE(?, decline_reason),
                 processor_reference = COALESCE(?, processor_reference),
                 challenge_url = COALESCE(?, challenge_url),
                 completed_at = CASE WHEN ? = 1 THEN ? ELSE completed_at END
             WHERE id = ? AND status = ?",
        )
        .bind(to.as_str())
        .bind(at)
        .bind(change.decline_reason)
        .bind(change.reference)
        .bind(change.challenge_url)
        .bind(completed)
        .bind(at)
        .bind(id)
        .bind(from.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Err(StoreError::StateChanged { expected: from });
        }
        Self::record_event(tx, id, Some(from), to, change.reason, at).await
    }

    /// A new payment and the events of its first two states (it is never
    /// seen `created`: it is created and moved to `authorising` at once).
    async fn insert_authorising(&self, payment: &NewPayment<'_>) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO payments
               (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
                card_first6, card_last4, cardholder_name, status, created_at, updated_at,
                privacy_policy_edition, user_agreement_edition)
             VALUES (?, ?, ?, ?, 'KGS', ?, ?, ?, ?, 'authorising', ?, ?, ?, ?)",
        )
        .bind(payment.id)
        .bind(payment.idempotency_key)
        .bind(payment.code.as_str())
        .bind(payment.amount.tyiyn())
        .bind(payment.brand.as_str())
        .bind(payment.first_six)
        .bind(payment.last_four)
        .bind(payment.cardholder)
        .bind(payment.at)
        .bind(payment.at)
        .bind(i64::from(payment.privacy_policy_edition))
        .bind(i64::from(payment.user_agreement_edition))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
             VALUES (?, NULL, 'created', 'form submitted', ?),
                    (?, 'created', 'authorising', 'sending to the acquirer', ?)",
        )
        .bind(payment.id)
        .bind(payment.at)
        .bind(payment.id)
        .bind(payment.at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn move_payment(
        &self,
        id: &str,
        from: PaymentState,
        to: PaymentState,
        change: &Change<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.writer.begin().await?;
        Self::transition(&mut tx, id, from, to, change, at).await?;
        if to == PaymentState::Succeeded {
            sqlx::query(
                "UPDATE payment_requests SET status = 'paid'
                 WHERE code = (SELECT code FROM payments WHERE id = ?)
                   AND status = 'awaiting_payment'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// PostgreSQL changes several tables in one statement (data-modifying CTEs),
/// which is one round trip and atomic without an explicit transaction.
impl PostgresStore {
    async fn insert_authorising(&self, payment: &NewPayment<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "WITH p AS (
               INSERT INTO payments
                 (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
                  card_first6, card_last4, cardholder_name, status, created_at, updated_at,
                  privacy_policy_edition, user_agreement_edition)
               VALUES ($1, $2, $3, $4, 'KGS', $5, $6, $7, $8, 'authorising', $9, $9, $10, $11)
               RETURNING id)
             INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
             SELECT p.id, e.from_state, e.to_state, e.reason, $9
             FROM p CROSS JOIN (VALUES
               (1, NULL::text, 'created', 'form submitted'),
               (2, 'created', 'authorising', 'sending to the acquirer')
             ) AS e (n, from_state, to_state, reason)
             ORDER BY e.n",
        )
        .bind(payment.id)
        .bind(payment.idempotency_key)
        .bind(payment.code.as_str())
        .bind(payment.amount.tyiyn())
        .bind(payment.brand.as_str())
        .bind(payment.first_six)
        .bind(payment.last_four)
        .bind(payment.cardholder)
        .bind(payment.at)
        .bind(i64::from(payment.privacy_policy_edition))
        .bind(i64::from(payment.user_agreement_edition))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn move_payment(
        &self,
        id: &str,
        from: PaymentState,
        to: PaymentState,
        change: &Change<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let moved: i64 = sqlx::query_scalar(
            "WITH moved AS (
               UPDATE payments
               SET status = $1, updated_at = $2,
                   decline_reason = COALESCE($3, decline_reason),
                   processor_reference = COALESCE($4, processor_reference),
                   challenge_url = COALESCE($5, challenge_url),
                   completed_at = CASE WHEN $6 THEN $2 ELSE completed_at END
               WHERE id = $7 AND status = $8
               RETURNING id, code),
             event AS (
               INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
               SELECT id, $8, $1, $9, $2 FROM moved),
             paid AS (
               UPDATE payment_requests SET status = 'paid'
               WHERE $1 = 'succeeded' AND status = 'awaiting_payment'
                 AND code IN (SELECT code FROM moved))
             SELECT COUNT(*) FROM moved",
        )
        .bind(to.as_str())
        .bind(at)
        .bind(change.decline_reason)
        .bind(change.reference)
        .bind(change.challenge_url)
        .bind(to.is_final())
        .bind(id)
        .bind(from.as_str())
        .bind(change.reason)
        .fetch_one(&self.writer)
        .await?;
        if moved != 1 {
            return Err(StoreError::StateChanged { expected: from });
        }
        Ok(())
    }
}

sql_store!(
    SqliteStore,
    sqlx::Sqlite,
    sqlx::sqlite::SqliteRow,
    "sqlite",
    as_written
);
sql_store!(
    PostgresStore,
    sqlx::Postgres,
    sqlx::postgres::PgRow,
    "postgres",
    numbered
);

#[cfg(test)]
mod placeholder_tests {
    use super::numbered;

    #[test]
    fn question_marks_become_numbered_parameters() {
        assert_eq!(
            numbered("UPDATE t SET a = ? WHERE b = ? AND c = 'x'"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c = 'x'"
        );
    }
}
