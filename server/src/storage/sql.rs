//! The SQL of [`PaymentStore`], written once for SQLite and PostgreSQL.
//!
//! sqlx's compile-time checked macros are tied to one database, so the store
//! uses runtime queries with `?` placeholders; [`numbered`] turns them into
//! PostgreSQL's `$1, $2, ...`. A macro stamps the same method bodies out for
//! each backend, and the storage tests run against both.
//!
//! The two writes of every payment (begin and move) are not run by their
//! caller: they are queued as [`Write`]s, and [`commit`] hands each batch
//! to the backend's [`BatchWriter`] ([`super::sqlite`], [`super::postgres`]),
//! answering every writer once the commit holding its write is durable.

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::*;
use async_trait::async_trait;
use sqlx::Row;
use std::borrow::Cow;
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
}

impl From<&NewPayment<'_>> for BeginPayment {
    fn from(payment: &NewPayment<'_>) -> Self {
        BeginPayment {
            id: payment.id.to_owned(),
            idempotency_key: payment.idempotency_key.to_owned(),
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

pub(super) const INSERT_REQUEST: &str = "INSERT INTO payment_requests
       (code, service_kind, applicant_name, amount_tyiyn, currency, status, expires_at,
        created_at)
     VALUES (?, ?, ?, ?, 'KGS', ?, ?, ?)";

pub(super) const MARK_CHECKED: &str = "UPDATE payments SET last_checked_at = ? WHERE id = ?";

/// Adds an edition unless that document, edition and language exist.
pub(super) const INSERT_EDITION: &str = "INSERT INTO document_editions
       (document, edition, language, effective_from, source, published_by, published_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (document, edition, language) DO NOTHING";

pub(super) const INSERT_FEEDBACK: &str = "INSERT INTO feedback
       (topic, message, reply_email, receipt_number, language, client, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)";

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

/// The editions a payment's citizen accepted must be the ones in force at
/// the moment it begins: the latest authoritative (Russian) edition that has
/// taken effect, as `documents::editions_in_force` reads it for the form.
/// Used in the insert itself, so the check and the lock are one step.
macro_rules! edition_in_force {
    ($document:literal, $at:literal) => {
        concat!(
            "(SELECT MAX(edition) FROM document_editions WHERE document = '",
            $document,
            "' AND language = 'ru' AND effective_from <= ",
            $at,
            ")"
        )
    };
}
pub(super) use edition_in_force;

fn as_written(sql: &'static str) -> Cow<'static, str> {
    Cow::Borrowed(sql)
}

/// `?` placeholders as PostgreSQL's numbered ones. The store's SQL has no `?`
/// anywhere else (no string literals containing one).
pub(super) fn numbered(sql: &'static str) -> Cow<'static, str> {
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

/// The condition of the partial index `payments_unsettled`, word for word as
/// the migration has it: SQLite uses a partial index only for a query that
/// names its condition exactly.
macro_rules! unsettled {
    () => {
        "status IN ('created', 'authorising', 'three_ds_required', 'unknown')"
    };
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

            /// Why the insert of `payment` was refused, found by reading what
            /// it depended on; the first reason that holds is the answer.
            async fn why_refused(&self, payment: &NewPayment<'_>) -> Result<Money, StoreError> {
                if let Some(existing) = self.payment_by_key(payment.idempotency_key).await? {
                    // A batch written again one by one after an error finds
                    // its own first attempt if that was committed after all.
                    return if existing.id == payment.id {
                        Ok(existing.amount)
                    } else {
                        Err(StoreError::DuplicateKey)
                    };
                }
                let payable = self.find_request(payment.code).await?.is_some_and(|request| {
                    request.status == RequestStatus::AwaitingPayment
                        && request.expires_at > payment.at
                });
                if !payable {
                    return Err(StoreError::NotPayable);
                }
                let in_force: (Option<i64>, Option<i64>) = sqlx::query_as(&$sql(concat!(
                    "SELECT ",
                    edition_in_force!("privacy-policy", "?"),
                    ", ",
                    edition_in_force!("user-agreement", "?")
                )))
                .bind(payment.at)
                .bind(payment.at)
                .fetch_one(&self.pool)
                .await?;
                if in_force
                    != (
                        Some(i64::from(payment.privacy_policy_edition)),
                        Some(i64::from(payment.user_agreement_edition)),
                    )
                {
                    return Err(StoreError::EditionsChanged);
                }
                Err(StoreError::CodeBusy)
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
                self.write_request(request, at).await
            }

            async fn count_requests(&self) -> Result<i64, StoreError> {
                Ok(sqlx::query_scalar("SELECT COUNT(*) FROM payment_requests")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn begin_payment(&self, payment: NewPayment<'_>) -> Result<Money, StoreError> {
                PaymentState::Created.transition_to(PaymentState::Authorising)?;
                let (reply, answer) = oneshot::channel();
                self.writes
                    .push(Write::Begin(BeginPayment::from(&payment), reply))
                    .await?;
                match answer.await.map_err(|_| StoreError::WriterStopped)?? {
                    Some(amount) => Ok(amount),
                    None => self.why_refused(&payment).await,
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
                let write = MovePayment {
                    id: id.to_owned(),
                    from,
                    to,
                    reason: change.reason.to_owned(),
                    reference: change.reference.map(str::to_owned),
                    decline_reason: change.decline_reason.map(str::to_owned),
                    challenge_url: change.challenge_url.map(str::to_owned),
                    at,
                };
                let (reply, answer) = oneshot::channel();
                self.writes.push(Write::Move(write, reply)).await?;
                if answer.await.map_err(|_| StoreError::WriterStopped)?? {
                    Ok(())
                } else {
                    Err(StoreError::StateChanged { expected: from })
                }
            }

            async fn mark_checked(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
                self.write_checked(id, at).await
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
                          WHERE ",
                        unsettled!(),
                        " AND (status = 'unknown' OR (status = 'authorising' AND updated_at < ?))
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
                          WHERE ",
                        unsettled!(),
                        " AND status IN ('created', 'three_ds_required') AND updated_at < ?
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
                self.write_edition(edition).await
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
                self.write_feedback(feedback).await
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

#[cfg(test)]
mod batch_driver_tests {
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
