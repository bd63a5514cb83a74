//! Durable storage of payment requests, payments, document editions and
//! feedback. Everything the services need goes through [`PaymentStore`],
//! implemented once ([`store`]) over a [`backend::Backend`]: SQLite (one
//! file, zero setup: [`sqlite`]) or PostgreSQL (several servers behind a
//! load balancer: [`postgres`]). The SQL and its row decoders are in
//! [`queries`]; payment writes share commits through [`group_commit`].
//!
//! A payment only ever moves by a guarded update (`... WHERE status = <from>`)
//! checked against `domain::PaymentState`, and every move writes an event.
//! No caller ever holds a connection: database work runs on the backend's
//! own threads or tasks, and a wait for it is short and bounded.

mod agencies;
mod asked_refunds;
mod backend;
mod backlog;
#[cfg(test)]
mod busy_tests;
mod changes;
mod csp_reports;
mod group_commit;
mod inbox;
mod issued;
mod overview;
mod postgres;
mod pressure;
mod queries;
mod receipts;
mod refunds;
mod search;
mod sqlite;
mod staff;
mod store;
#[cfg(test)]
mod tests;
mod values;
mod velocity;
mod webhooks;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    CardBrand, IdempotencyKey, InvalidTransition, Money, PaymentCode, PaymentId, PaymentState,
    RequestStatus, ServiceKind,
};
use std::sync::Arc;

pub use agencies::{AgencyRecord, AgencyStore, ApiKeyRecord, WebhookEndpoint, services_text};
pub use asked_refunds::{AskedRefund, AskedRefunds};
pub use backend::{Connections, StoreOptions};
pub use backlog::{Backlog, BacklogStore};
pub use csp_reports::{CspReport, CspReportStore};
pub use inbox::{FeedbackInbox, FeedbackItem};
pub use issued::{
    Issued, IssuedRequest, IssuedStore, KeptAnswer, RequestEventRecord, RequestFilter, StoredAnswer,
};
pub use overview::{OverviewRow, OverviewStore, RefundDay};
use postgres::PostgresBackend;
pub use receipts::ReceiptLookup;
pub use refunds::{NewRefund, RefundEvent, RefundMove, RefundRecord, RefundStore};
pub use search::{PageAfter, PaymentFilter, PaymentRow, PaymentSearch, Totals};
use sqlite::SqliteBackend;
pub use staff::{AuditEntry, AuditFilter, StaffChange, StaffRecord, StaffStore};
use store::SqlStore;
pub use velocity::{Tallies, Tally, VelocityStore};
pub use webhooks::{
    AttemptRecord, AttemptRow, Delivery, FailingEndpoint, FailingEvent, WebhookStore,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// No connection came free within the store's wait: the site is busy
    /// and the citizen is asked to try again in a moment.
    #[error("the database is busy")]
    Busy,
    /// A database thread or task could not start or ended abnormally.
    #[error("database worker: {0}")]
    Thread(String),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored value is not valid: {0}")]
    Corrupt(&'static str),
    #[error("{0}")]
    InvalidTransition(#[from] InvalidTransition),
    /// The payment was not in the state the transition starts from: someone
    /// else moved it first.
    #[error("payment is no longer {expected}")]
    StateChanged { expected: PaymentState },
    /// A payment with this idempotency key already exists.
    #[error("a payment with this idempotency key exists")]
    DuplicateKey,
    /// Another payment for this code is in progress or has succeeded.
    #[error("another payment holds this payment code")]
    CodeBusy,
    /// The payment request does not exist, is not awaiting payment or has
    /// expired.
    #[error("the payment request is not payable")]
    NotPayable,
    /// The editions the citizen accepted are no longer the ones in force.
    #[error("a document edition changed since the form was shown")]
    EditionsChanged,
    /// The group-commit worker is gone (the server is shutting down).
    #[error("the database writer has stopped")]
    WriterStopped,
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
}

/// Opens the database named by `url` (SQLite file or PostgreSQL server) and
/// applies its migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn PaymentStore>, StoreError> {
    connect_with(url, &StoreOptions::default()).await
}

/// [`connect`] with the given connections and wait.
pub async fn connect_with(
    url: &str,
    options: &StoreOptions,
) -> Result<Arc<dyn PaymentStore>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let backend = PostgresBackend::connect(url, options).await?;
        Ok(Arc::new(SqlStore::new(backend)))
    } else if url.starts_with("sqlite:") {
        let backend = SqliteBackend::connect(url, options).await?;
        Ok(Arc::new(SqlStore::new(backend)))
    } else {
        Err(StoreError::UnsupportedUrl)
    }
}

/// What identifies the set of editions in the database: it changes whenever
/// one is added (editions are never changed or deleted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditionsStamp {
    pub count: i64,
    pub last_published: Option<DateTime<Utc>>,
    pub last_effective: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    pub code: PaymentCode,
    pub service: ServiceKind,
    pub applicant_name: String,
    pub amount: Money,
    pub status: RequestStatus,
    pub expires_at: DateTime<Utc>,
}

/// A payment as first written, before the processor is called. Its amount
/// is the one its payment request asks at that moment.
pub struct NewPayment<'a> {
    pub id: &'a PaymentId,
    pub idempotency_key: &'a IdempotencyKey,
    pub code: &'a PaymentCode,
    pub brand: CardBrand,
    pub first_six: &'a str,
    pub last_four: &'a str,
    pub cardholder: &'a str,
    /// The editions of the privacy policy and the user agreement the citizen
    /// accepted by paying.
    pub privacy_policy_edition: u32,
    pub user_agreement_edition: u32,
    pub at: DateTime<Utc>,
    /// Who made the attempt, as the limits on card testing count it.
    pub subjects: Subjects<'a>,
}

/// The pseudonyms an attempt is counted under (`crate::abuse`); `None`
/// where nothing is known (a browser without the cookie).
#[derive(Clone, Copy, Debug, Default)]
pub struct Subjects<'a> {
    pub client: Option<&'a str>,
    pub browser: Option<&'a str>,
    pub card_fingerprint: Option<&'a str>,
}

/// One language of one edition of a policy document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditionRecord {
    pub document: String,
    pub edition: u32,
    pub language: String,
    pub effective_from: DateTime<Utc>,
    /// Markdown.
    pub source: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
}

/// A message from the feedback form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackRecord {
    pub topic: String,
    pub message: String,
    pub reply_email: Option<String>,
    pub receipt_number: Option<String>,
    pub language: String,
    pub client: String,
    pub at: DateTime<Utc>,
}

/// A payment as stored: never more card data than brand, first six and last four.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub idempotency_key: IdempotencyKey,
    pub code: PaymentCode,
    pub amount: Money,
    pub brand: CardBrand,
    pub first_six: String,
    pub last_four: String,
    pub cardholder: String,
    pub state: PaymentState,
    pub decline_reason: Option<String>,
    pub reference: Option<String>,
    pub challenge_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_checked_at: Option<DateTime<Utc>>,
}

/// One guarded move of a payment, with what the acquirer said about it.
#[derive(Clone, Debug, Default)]
pub struct Change<'a> {
    pub reason: &'a str,
    pub reference: Option<&'a str>,
    pub decline_reason: Option<&'a str>,
    pub challenge_url: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentEvent {
    pub from: Option<PaymentState>,
    pub to: PaymentState,
    pub reason: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedPayment {
    pub receipt_number: i64,
    pub request: PaymentRequest,
    pub amount: Money,
    pub brand: CardBrand,
    pub first_six: String,
    pub last_four: String,
    pub cardholder: String,
    pub reference: String,
    pub completed_at: DateTime<Utc>,
    pub privacy_policy_edition: Option<u32>,
    pub user_agreement_edition: Option<u32>,
}

/// Everything the services store; refunds and status leases are
/// [`RefundStore`]'s part, the tallies of attempts [`VelocityStore`]'s,
/// agencies and keys [`AgencyStore`]'s, their requests [`IssuedStore`]'s,
/// the webhook outbox [`WebhookStore`]'s, staff and the audit log
/// [`StaffStore`]'s, the back office's search [`PaymentSearch`]'s and its
/// feedback inbox [`FeedbackInbox`]'s.
#[async_trait]
pub trait PaymentStore:
    RefundStore
    + AskedRefunds
    + VelocityStore
    + AgencyStore
    + IssuedStore
    + WebhookStore
    + StaffStore
    + PaymentSearch
    + FeedbackInbox
    + OverviewStore
    + ReceiptLookup
    + CspReportStore
    + BacklogStore
    + Send
    + Sync
{
    /// "sqlite" or "postgres", for logs and reports.
    fn backend(&self) -> &'static str;
    /// Writes this process has made to the database so far (committed or
    /// not): what a page rendered once is kept against.
    fn writes(&self) -> u64;
    async fn find_request(&self, code: &PaymentCode) -> Result<Option<PaymentRequest>, StoreError>;
    async fn insert_request(
        &self,
        request: &PaymentRequest,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn count_requests(&self) -> Result<i64, StoreError>;
    /// Records a new payment and moves it to `authorising`, the lock held
    /// while the processor is called, in one atomic write that also checks
    /// that the request is payable and that the accepted editions are in
    /// force; answers the amount to charge. Fails, in this order of
    /// precedence, with [`StoreError::DuplicateKey`] when the key was used
    /// before, [`StoreError::NotPayable`], [`StoreError::EditionsChanged`],
    /// and [`StoreError::CodeBusy`] when another payment holds the code.
    async fn begin_payment(&self, payment: NewPayment<'_>) -> Result<Money, StoreError>;
    async fn payment(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, StoreError>;
    async fn payment_by_key(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<PaymentRecord>, StoreError>;
    /// Moves the payment from `from` to `to` if the state machine allows it and
    /// the payment is still in `from`; records the event. Success marks the
    /// payment request paid in the same transaction.
    async fn advance(
        &self,
        id: &PaymentId,
        from: PaymentState,
        to: PaymentState,
        change: Change<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Payments left in `created` or `three_ds_required` since before `before`.
    async fn abandoned_payments(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PaymentRecord>, StoreError>;
    async fn payments_in_state(
        &self,
        state: PaymentState,
    ) -> Result<Vec<PaymentRecord>, StoreError>;
    async fn events(&self, id: &PaymentId) -> Result<Vec<PaymentEvent>, StoreError>;
    async fn approved_payment(&self, id: &PaymentId)
    -> Result<Option<ApprovedPayment>, StoreError>;

    /// Adds an edition; false when that document, edition and language exist.
    async fn insert_edition(&self, edition: &EditionRecord) -> Result<bool, StoreError>;
    /// Every edition of every document in every language, with its text.
    async fn all_editions(&self) -> Result<Vec<EditionRecord>, StoreError>;
    /// Changes whenever an edition is added, by any server.
    async fn editions_stamp(&self) -> Result<EditionsStamp, StoreError>;

    async fn insert_feedback(&self, feedback: &FeedbackRecord) -> Result<(), StoreError>;
    /// Messages from `client` since `since`, for rate limiting.
    async fn feedback_count_since(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError>;

    /// The secret stored under `name`, storing `candidate` first if there is
    /// none: every server gets the same one.
    async fn shared_secret(
        &self,
        name: &str,
        candidate: &str,
        at: DateTime<Utc>,
    ) -> Result<String, StoreError>;

    /// Writes and reads back a row within the store's wait: whether this
    /// server can serve citizens now.
    async fn check_ready(&self, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// The connections reads go through, and how many are free now.
    fn connections(&self) -> Connections;
}
