//! Payment requests issued by agencies, as the agency API reads and changes
//! them: issuing one (with its `created` event and, for an idempotent
//! POST, the answer to replay, in one transaction), a page of an agency's
//! requests, cancelling and expiring (each with its event, which is the
//! webhook's outbox entry), a request's events, and the answers kept for
//! `Idempotency-Key`s. Written once over the [`Backend`] contract.

mod sql;

use super::backend::Backend;
use super::store::SqlStore;
use super::values::statement;
use super::{StoreError, queries};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Money, PaymentCode, RequestStatus, ServiceKind};
use sql::*;

/// Decodes the first five columns of a row as a request's event (id, code,
/// type, refund id, time), for the outbox's reads too.
pub(in crate::storage) use sql::event as decode_event;

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
