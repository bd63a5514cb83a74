//! [`PaymentStore`] over any [`Backend`], written once: the queries of
//! [`super::queries`], the payment writes through group commit, and the
//! reading of why a new payment was refused.

use super::backend::{Backend, Connections};
use super::changes::Counted;
use super::group_commit::{BeginPayment, MovePayment, Write};
use super::queries::{self as q};
use super::values::statement;
use super::*;
use async_trait::async_trait;
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a payment write waits for the commit that holds it. A commit
/// takes milliseconds; this only bounds a database that stopped answering.
const COMMIT_WAIT: Duration = Duration::from_secs(15);

pub struct SqlStore<B> {
    backend: Counted<B>,
}

impl<B: Backend> SqlStore<B> {
    pub fn new(backend: B) -> SqlStore<B> {
        SqlStore {
            backend: Counted::new(backend),
        }
    }

    pub(super) fn backend(&self) -> &Counted<B> {
        &self.backend
    }

    async fn one<T: Send + 'static>(
        &self,
        statement: super::values::Statement,
        decode: super::values::Decode<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self
            .backend
            .fetch(statement, decode)
            .await?
            .into_iter()
            .next())
    }

    /// Queues a payment write and waits for the commit that holds it.
    async fn committed<T>(
        &self,
        write: Write,
        answer: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.backend.push(write).await?;
        let result = match tokio::time::timeout(COMMIT_WAIT, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(StoreError::WriterStopped),
            Err(_) => Err(StoreError::Busy),
        };
        self.backend.count();
        result
    }

    /// Why the insert of `payment` was refused, found by reading what it
    /// depended on; the first reason that holds is the answer.
    async fn why_refused(&self, payment: &NewPayment<'_>) -> Result<Money, StoreError> {
        if let Some(existing) = self.payment_by_key(payment.idempotency_key).await? {
            // A batch written again one by one after an error finds its own
            // first attempt if that was committed after all.
            return if existing.id == *payment.id {
                Ok(existing.amount)
            } else {
                Err(StoreError::DuplicateKey)
            };
        }
        let payable = self
            .find_request(payment.code)
            .await?
            .is_some_and(|request| {
                request.status == RequestStatus::AwaitingPayment && request.expires_at > payment.at
            });
        if !payable {
            return Err(StoreError::NotPayable);
        }
        let in_force = self
            .one(
                statement!(q::EDITIONS_IN_FORCE_AT, payment.at, payment.at),
                q::edition_pair,
            )
            .await?
            .unwrap_or((None, None));
        let accepted = (
            Some(i64::from(payment.privacy_policy_edition)),
            Some(i64::from(payment.user_agreement_edition)),
        );
        if in_force != accepted {
            return Err(StoreError::EditionsChanged);
        }
        Err(StoreError::CodeBusy)
    }
}

#[async_trait]
impl<B: Backend> PaymentStore for SqlStore<B> {
    fn backend(&self) -> &'static str {
        self.backend.name()
    }

    fn writes(&self) -> u64 {
        self.backend.writes()
    }

    async fn find_request(&self, code: &PaymentCode) -> Result<Option<PaymentRequest>, StoreError> {
        self.one(statement!(q::REQUEST_BY_CODE, code.as_str()), q::request)
            .await
    }

    async fn insert_request(
        &self,
        request: &PaymentRequest,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.backend
            .execute(statement!(
                q::INSERT_REQUEST,
                request.code.as_str(),
                request.service.as_str(),
                request.applicant_name.as_str(),
                request.amount.tyiyn(),
                request.status.as_str(),
                request.expires_at,
                at,
            ))
            .await
            .map(drop)
    }

    async fn count_requests(&self) -> Result<i64, StoreError> {
        Ok(self
            .one(statement!(q::COUNT_REQUESTS), q::count)
            .await?
            .unwrap_or(0))
    }

    async fn begin_payment(&self, payment: NewPayment<'_>) -> Result<Money, StoreError> {
        PaymentState::Created.transition_to(PaymentState::Authorising)?;
        let (reply, answer) = oneshot::channel();
        let write = Write::Begin(BeginPayment::from(&payment), reply);
        match self.committed(write, answer).await? {
            Some(amount) => Ok(amount),
            None => self.why_refused(&payment).await,
        }
    }

    async fn payment(&self, id: &PaymentId) -> Result<Option<PaymentRecord>, StoreError> {
        self.one(statement!(q::PAYMENT_BY_ID, id.as_str()), q::payment)
            .await
    }

    async fn payment_by_key(
        &self,
        key: &IdempotencyKey,
    ) -> Result<Option<PaymentRecord>, StoreError> {
        self.one(statement!(q::PAYMENT_BY_KEY, key.as_str()), q::payment)
            .await
    }

    async fn advance(
        &self,
        id: &PaymentId,
        from: PaymentState,
        to: PaymentState,
        change: Change<'_>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        from.transition_to(to)?;
        let write = MovePayment {
            id: id.to_string(),
            from,
            to,
            reason: change.reason.to_owned(),
            reference: change.reference.map(str::to_owned),
            decline_reason: change.decline_reason.map(str::to_owned),
            challenge_url: change.challenge_url.map(str::to_owned),
            at,
        };
        let (reply, answer) = oneshot::channel();
        if self.committed(Write::Move(write, reply), answer).await? {
            Ok(())
        } else {
            Err(StoreError::StateChanged { expected: from })
        }
    }

    async fn abandoned_payments(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        self.backend
            .fetch(statement!(q::ABANDONED_PAYMENTS, before, limit), q::payment)
            .await
    }

    async fn payments_in_state(
        &self,
        state: PaymentState,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        self.backend
            .fetch(statement!(q::PAYMENTS_IN_STATE, state.as_str()), q::payment)
            .await
    }

    async fn events(&self, id: &PaymentId) -> Result<Vec<PaymentEvent>, StoreError> {
        self.backend
            .fetch(statement!(q::EVENTS, id.as_str()), q::event)
            .await
    }

    async fn approved_payment(
        &self,
        id: &PaymentId,
    ) -> Result<Option<ApprovedPayment>, StoreError> {
        self.one(
            statement!(q::APPROVED_PAYMENT, id.as_str()),
            q::approved_payment,
        )
        .await
    }

    async fn insert_edition(&self, edition: &EditionRecord) -> Result<bool, StoreError> {
        let inserted = self
            .backend
            .execute(statement!(
                q::INSERT_EDITION,
                edition.document.as_str(),
                i64::from(edition.edition),
                edition.language.as_str(),
                edition.effective_from,
                edition.source.as_str(),
                edition.published_by.as_str(),
                edition.published_at,
            ))
            .await?;
        Ok(inserted == 1)
    }

    async fn all_editions(&self) -> Result<Vec<EditionRecord>, StoreError> {
        self.backend
            .fetch(statement!(q::ALL_EDITIONS), q::edition)
            .await
    }

    async fn editions_stamp(&self) -> Result<EditionsStamp, StoreError> {
        Ok(self
            .one(statement!(q::EDITIONS_STAMP), q::editions_stamp)
            .await?
            .unwrap_or_default())
    }

    async fn insert_feedback(&self, feedback: &FeedbackRecord) -> Result<(), StoreError> {
        self.backend
            .execute(statement!(
                q::INSERT_FEEDBACK,
                feedback.topic.as_str(),
                feedback.message.as_str(),
                feedback.reply_email.as_deref(),
                feedback.receipt_number.as_deref(),
                feedback.language.as_str(),
                feedback.client.as_str(),
                feedback.at,
            ))
            .await
            .map(drop)
    }

    async fn feedback_count_since(
        &self,
        client: &str,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        Ok(self
            .one(statement!(q::FEEDBACK_COUNT_SINCE, client, since), q::count)
            .await?
            .unwrap_or(0))
    }

    async fn shared_secret(
        &self,
        name: &str,
        candidate: &str,
        at: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        self.backend
            .execute(statement!(q::INSERT_SECRET, name, candidate, at))
            .await?;
        self.one(statement!(q::SECRET, name), q::text)
            .await?
            .ok_or(StoreError::Corrupt("a secret just written is missing"))
    }

    async fn check_ready(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        let written = self
            .backend
            .execute(statement!(q::TOUCH_READINESS, at))
            .await?;
        if written != 1 {
            return Err(StoreError::Corrupt("the readiness row was not written"));
        }
        match self.one(statement!(q::READ_READINESS), q::time).await? {
            Some(_) => Ok(()),
            None => Err(StoreError::Corrupt("the readiness row cannot be read")),
        }
    }

    fn connections(&self) -> Connections {
        self.backend.connections()
    }
}
