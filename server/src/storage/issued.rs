//! Payment requests issued by agencies, as the agency API reads and changes
//! them: issuing one (with its `created` event and, for an idempotent
//! POST, the answer to replay, in one transaction), a page of an agency's
//! requests, cancelling and expiring (each with its event, which is the
//! webhook's outbox entry), a request's events, and the answers kept for
//! `Idempotency-Key`s. Written once over the [`Backend`] contract.

use super::backend::Backend;
use super::queries::{delivery_for, live_payment_for};
use super::store::SqlStore;
use super::values::{Row, Statement, required, statement};
use super::{StoreError, queries};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Money, PaymentCode, RequestStatus, ServiceKind};

/// A payment request an agency issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedRequest {
    pub code: PaymentCode,
    pub agency_id: String,
    pub service: ServiceKind,
    pub applicant_name: String,
    pub amount: Money,
    pub status: RequestStatus,
    pub expires_at: DateTime<Utc>,
    pub reference: String,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When it was paid, and the receipt's number.
    pub paid_at: Option<DateTime<Utc>>,
    pub receipt_number: Option<i64>,
}

/// An event of a payment request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestEventRecord {
    pub id: String,
    pub code: PaymentCode,
    /// `payment_request.paid`, ...
    pub kind: String,
    pub refund_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// The first answer to an idempotent POST.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub fingerprint: String,
    pub status: u16,
    pub body: String,
}

/// An answer to keep under an `Idempotency-Key`; one older than
/// `fresh_since` under the same key is replaced.
#[derive(Clone, Copy, Debug)]
pub struct KeptAnswer<'a> {
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub status: u16,
    pub body: &'a str,
    pub fresh_since: DateTime<Utc>,
}

/// What issuing did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issued {
    Created,
    /// The idempotency key already holds an answer: nothing was written.
    KeyTaken,
}

/// Which of an agency's requests to list: newest first, created in
/// `[from, to)`, before the cursor `(created_at, code)` when given.
#[derive(Clone, Debug)]
pub struct RequestFilter {
    pub reference: Option<String>,
    pub status: Option<RequestStatus>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub before: Option<(DateTime<Utc>, String)>,
    pub limit: i64,
}

#[async_trait]
pub trait IssuedStore: Send + Sync {
    /// Writes the request and its `created` event (`event_id`), and with
    /// `answer` keeps it under its key, all in one transaction; nothing
    /// when the key already holds an answer.
    async fn issue_request(
        &self,
        request: &IssuedRequest,
        event_id: &str,
        answer: Option<KeptAnswer<'_>>,
    ) -> Result<Issued, StoreError>;
    async fn issued_request(
        &self,
        agency_id: &str,
        code: &PaymentCode,
    ) -> Result<Option<IssuedRequest>, StoreError>;
    async fn issued_requests(
        &self,
        agency_id: &str,
        filter: &RequestFilter,
    ) -> Result<Vec<IssuedRequest>, StoreError>;
    /// Cancels the request if it awaits payment and none is under way, with
    /// its event; answers the request as it then is.
    async fn cancel_request(
        &self,
        agency_id: &str,
        code: &PaymentCode,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<IssuedRequest>, StoreError>;
    /// Marks expired (with their events) up to `limit` requests whose
    /// window closed by `now` and for which no payment is under way;
    /// `new_id` names each event. Answers how many it expired.
    async fn expire_requests(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        new_id: &(dyn Fn() -> String + Sync),
    ) -> Result<u64, StoreError>;
    async fn request_events(
        &self,
        agency_id: &str,
        code: &PaymentCode,
    ) -> Result<Vec<RequestEventRecord>, StoreError>;
    async fn stored_answer(
        &self,
        agency_id: &str,
        key: &str,
        fresh_since: DateTime<Utc>,
    ) -> Result<Option<StoredAnswer>, StoreError>;
    /// Keeps an answer unless the key holds a fresh one.
    async fn keep_answer(
        &self,
        agency_id: &str,
        answer: KeptAnswer<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Drops answers kept since before `before`.
    async fn forget_answers(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

macro_rules! issued_columns {
    () => {
        "SELECT r.code, r.agency_id, r.service_kind, r.applicant_name, r.amount_tyiyn, r.status,
                r.expires_at, r.reference, r.description, r.created_at, p.completed_at,
                p.receipt_number
         FROM payment_requests r
         LEFT JOIN payments p ON p.code = r.code
           AND p.status IN ('created', 'authorising', 'three_ds_required', 'unknown', 'succeeded')
           AND p.status = 'succeeded' "
    };
}

const ISSUED: &str = concat!(issued_columns!(), "WHERE r.code = ? AND r.agency_id = ?");
const ISSUED_PAGE: &str = concat!(
    issued_columns!(),
    "WHERE r.agency_id = ?
       AND (CAST(? AS TEXT) IS NULL OR r.reference = ?)
       AND (CAST(? AS TEXT) IS NULL OR r.status = ?)
       AND r.created_at >= ?
       AND (r.created_at < ? OR (r.created_at = ? AND r.code < ?))
     ORDER BY r.created_at DESC, r.code DESC LIMIT ?"
);
const FORGET_STALE_ANSWER: &str =
    "DELETE FROM api_idempotency WHERE agency_id = ? AND key = ? AND created_at < ?";
const KEEP_ANSWER: &str = "INSERT INTO api_idempotency
       (agency_id, key, fingerprint, status, body, created_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
const INSERT_ISSUED: &str = "INSERT INTO payment_requests
       (code, service_kind, applicant_name, amount_tyiyn, currency, status, expires_at,
        created_at, agency_id, reference, description)
     VALUES (?, ?, ?, ?, 'KGS', 'awaiting_payment', ?, ?, ?, ?, ?)";
/// The same, only when the key's answer is the one this request keeps.
const INSERT_ISSUED_WITH_KEY: &str = "INSERT INTO payment_requests
       (code, service_kind, applicant_name, amount_tyiyn, currency, status, expires_at,
        created_at, agency_id, reference, description)
     SELECT ?, ?, ?, ?, 'KGS', 'awaiting_payment', ?, ?, ?, ?, ?
     WHERE EXISTS (SELECT 1 FROM api_idempotency WHERE agency_id = ? AND key = ? AND body = ?)";
const INSERT_CREATED_EVENT: &str = "INSERT INTO request_events
       (id, code, agency_id, type, at, delivery, next_attempt_at, pending_since)
     SELECT ?, code, agency_id, 'payment_request.created', created_at, 'none', created_at,
            created_at
     FROM payment_requests WHERE code = ? AND agency_id = ?";
/// Waits for a payment being written for the request, so that the next
/// statement sees it: on PostgreSQL a new payment's foreign key holds a
/// key-share lock on its request until it commits, which `FOR UPDATE`
/// waits for (a payment that began in the very instant before, on a
/// snapshot that still saw the request open, is refunded if it succeeds:
/// see the payment batches). SQLite has one writer: nothing to wait for.
const LOCK_REQUEST_POSTGRES: &str = "SELECT code FROM payment_requests WHERE code = ? FOR UPDATE";
const LOCK_REQUEST_SQLITE: &str = "UPDATE payment_requests SET status = status WHERE code = ?";
const CANCEL: &str = concat!(
    "UPDATE payment_requests SET status = 'cancelled'
     WHERE code = ? AND agency_id = ? AND status = 'awaiting_payment' AND NOT ",
    live_payment_for!("payment_requests.code")
);
const EXPIRING: &str = "SELECT code FROM payment_requests
     WHERE status = 'awaiting_payment' AND expires_at <= ? ORDER BY expires_at LIMIT ?";
const EXPIRE: &str = concat!(
    "UPDATE payment_requests SET status = 'expired'
     WHERE code = ? AND status = 'awaiting_payment' AND expires_at <= ? AND NOT ",
    live_payment_for!("payment_requests.code")
);
/// The event of a status a request has just taken, once.
const INSERT_STATUS_EVENT: &str = concat!(
    "INSERT INTO request_events
       (id, code, agency_id, type, at, delivery, next_attempt_at, pending_since)
     SELECT ?, r.code, r.agency_id, ?, ?, ",
    delivery_for!("r.agency_id"),
    ", ?, ?
     FROM payment_requests r
     WHERE r.code = ? AND r.status = ? AND r.agency_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM request_events e WHERE e.code = r.code AND e.type = ?)"
);
const EVENTS: &str = "SELECT id, code, type, refund_id, at FROM request_events
     WHERE code = ? AND agency_id = ? ORDER BY seq";
const STORED_ANSWER: &str = "SELECT fingerprint, status, body FROM api_idempotency
     WHERE agency_id = ? AND key = ? AND created_at >= ?";
const FORGET_ANSWERS: &str = "DELETE FROM api_idempotency WHERE created_at < ?";

fn issued(row: &dyn Row) -> Result<IssuedRequest, StoreError> {
    Ok(IssuedRequest {
        code: PaymentCode::parse(&required(row.text(0)?, "code")?)
            .map_err(|_| StoreError::Corrupt("payment code"))?,
        agency_id: required(row.text(1)?, "agency")?,
        service: ServiceKind::from_str_opt(&required(row.text(2)?, "service kind")?)
            .ok_or(StoreError::Corrupt("service kind"))?,
        applicant_name: required(row.text(3)?, "applicant")?,
        amount: Money::from_tyiyn(required(row.int(4)?, "amount")?)
            .map_err(|_| StoreError::Corrupt("amount"))?,
        status: RequestStatus::from_str_opt(&required(row.text(5)?, "status")?)
            .ok_or(StoreError::Corrupt("status"))?,
        expires_at: required(row.time(6)?, "expiry")?,
        reference: row.text(7)?.unwrap_or_default(),
        description: row.text(8)?,
        created_at: required(row.time(9)?, "created")?,
        paid_at: row.time(10)?,
        receipt_number: row.int(11)?,
    })
}

fn event(row: &dyn Row) -> Result<RequestEventRecord, StoreError> {
    Ok(RequestEventRecord {
        id: required(row.text(0)?, "event id")?,
        code: PaymentCode::parse(&required(row.text(1)?, "code")?)
            .map_err(|_| StoreError::Corrupt("payment code"))?,
        kind: required(row.text(2)?, "event type")?,
        refund_id: row.text(3)?,
        at: required(row.time(4)?, "event time")?,
    })
}

fn answer(row: &dyn Row) -> Result<StoredAnswer, StoreError> {
    Ok(StoredAnswer {
        fingerprint: required(row.text(0)?, "fingerprint")?,
        status: u16::try_from(required(row.int(1)?, "status")?)
            .map_err(|_| StoreError::Corrupt("status"))?,
        body: required(row.text(2)?, "body")?,
    })
}

/// The statements that give `code` the status `to` with its event.
fn status_change(
    backend: &'static str,
    change: Statement,
    code: &str,
    event_id: &str,
    to: &str,
    at: DateTime<Utc>,
) -> [Statement; 3] {
    let kind = format!("payment_request.{to}");
    let lock = if backend == "postgres" {
        LOCK_REQUEST_POSTGRES
    } else {
        LOCK_REQUEST_SQLITE
    };
    [
        statement!(lock, code),
        change,
        statement!(
            INSERT_STATUS_EVENT,
            event_id,
            kind.as_str(),
            at,
            at,
            at,
            code,
            to,
            kind.as_str(),
        ),
    ]
}

#[async_trait]
impl<B: Backend> IssuedStore for SqlStore<B> {
    async fn issue_request(
        &self,
        r: &IssuedRequest,
        event_id: &str,
        answer: Option<KeptAnswer<'_>>,
    ) -> Result<Issued, StoreError> {
        let code = r.code.as_str();
        let columns = |sql| {
            statement!(
                sql,
                code,
                r.service.as_str(),
                r.applicant_name.as_str(),
                r.amount.tyiyn(),
                r.expires_at,
                r.created_at,
                r.agency_id.as_str(),
                r.reference.as_str(),
                r.description.as_deref(),
            )
        };
        let mut statements = Vec::with_capacity(4);
        if let Some(kept) = answer {
            statements.push(statement!(
                FORGET_STALE_ANSWER,
                r.agency_id.as_str(),
                kept.key,
                kept.fresh_since
            ));
            statements.push(statement!(
                KEEP_ANSWER,
                r.agency_id.as_str(),
                kept.key,
                kept.fingerprint,
                i64::from(kept.status),
                kept.body,
                r.created_at,
            ));
            let mut insert = columns(INSERT_ISSUED_WITH_KEY);
            insert.args.extend([
                r.agency_id.as_str().into(),
                kept.key.into(),
                kept.body.into(),
            ]);
            statements.push(insert);
        } else {
            statements.push(columns(INSERT_ISSUED));
        }
        statements.push(statement!(
            INSERT_CREATED_EVENT,
            event_id,
            code,
            r.agency_id.as_str()
        ));
        let changed = self.backend().execute_all(statements).await?;
        if answer.is_some() && changed.get(1) != Some(&1) {
            return Ok(Issued::KeyTaken);
        }
        Ok(Issued::Created)
    }

    async fn issued_request(
        &self,
        agency_id: &str,
        code: &PaymentCode,
    ) -> Result<Option<IssuedRequest>, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(ISSUED, code.as_str(), agency_id), issued)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn issued_requests(
        &self,
        agency_id: &str,
        f: &RequestFilter,
    ) -> Result<Vec<IssuedRequest>, StoreError> {
        let status = f.status.map(RequestStatus::as_str);
        let (before_at, before_code) = match &f.before {
            Some((at, code)) => (*at, code.as_str()),
            // Every request created before `to`: the code compared last is
            // past any code.
            None => (f.to, ""),
        };
        let before_at = before_at.min(f.to);
        self.backend()
            .fetch(
                statement!(
                    ISSUED_PAGE,
                    agency_id,
                    f.reference.as_deref(),
                    f.reference.as_deref(),
                    status,
                    status,
                    f.from,
                    before_at,
                    before_at,
                    before_code,
                    f.limit,
                ),
                issued,
            )
            .await
    }

    async fn cancel_request(
        &self,
        agency_id: &str,
        code: &PaymentCode,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<IssuedRequest>, StoreError> {
        let cancel = statement!(CANCEL, code.as_str(), agency_id);
        let statements = status_change(
            self.backend().name(),
            cancel,
            code.as_str(),
            event_id,
            "cancelled",
            at,
        );
        self.backend().execute_all(statements.into()).await?;
        self.issued_request(agency_id, code).await
    }

    async fn expire_requests(
        &self,
        now: DateTime<Utc>,
        limit: i64,
        new_id: &(dyn Fn() -> String + Sync),
    ) -> Result<u64, StoreError> {
        let codes = self
            .backend()
            .fetch(statement!(EXPIRING, now, limit), queries::text)
            .await?;
        let mut expired = 0;
        for code in codes {
            let expire = statement!(EXPIRE, code.as_str(), now);
            let statements = status_change(
                self.backend().name(),
                expire,
                &code,
                &new_id(),
                "expired",
                now,
            );
            let changed = self.backend().execute_all(statements.into()).await?;
            expired += changed.get(1).copied().unwrap_or(0);
        }
        Ok(expired)
    }

    async fn request_events(
        &self,
        agency_id: &str,
        code: &PaymentCode,
    ) -> Result<Vec<RequestEventRecord>, StoreError> {
        self.backend()
            .fetch(statement!(EVENTS, code.as_str(), agency_id), event)
            .await
    }

    async fn stored_answer(
        &self,
        agency_id: &str,
        key: &str,
        fresh_since: DateTime<Utc>,
    ) -> Result<Option<StoredAnswer>, StoreError> {
        let rows = self
            .backend()
            .fetch(
                statement!(STORED_ANSWER, agency_id, key, fresh_since),
                answer,
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn keep_answer(
        &self,
        agency_id: &str,
        kept: KeptAnswer<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.backend()
            .execute_all(vec![
                statement!(FORGET_STALE_ANSWER, agency_id, kept.key, kept.fresh_since),
                statement!(
                    KEEP_ANSWER,
                    agency_id,
                    kept.key,
                    kept.fingerprint,
                    i64::from(kept.status),
                    kept.body,
                    at,
                ),
            ])
            .await
            .map(drop)
    }

    async fn forget_answers(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.backend()
            .execute(statement!(FORGET_ANSWERS, before))
            .await
    }
}
