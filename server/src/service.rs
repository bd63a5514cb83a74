//! The payment service: looks up payment requests, charges cards through the
//! configured processor and records every payment. It is what the pages and
//! the `pay` server function call, through `app::backend::PaymentService`,
//! and what the reconciliation worker drives.
//!
//! The rules it keeps:
//! - a payment is `authorising` in the database before the acquirer hears of
//!   it, so a crash leaves a trace that reconciliation settles;
//! - one idempotency key is one attempt: repeats get the first outcome and
//!   never reach the acquirer again;
//! - a payment code is held by at most one live payment (a unique index);
//! - an answer that may hide a charge is `unknown`, never a failure.

use crate::documents::Documents;
use crate::processor::{Authorisation, CardProcessor, Outcome, ProcessorError};
use crate::storage::FeedbackRecord;
use crate::storage::{Change, NewPayment, PaymentRecord, PaymentStore, StoreError};
use app::backend::{
    ChargeOutcome, DeclineReason, DocumentKind, DocumentView, EditionRef, EditionsInForce,
    EditionsShown, Feedback, PaymentRequestView, PaymentService, PaymentStatusView, ReceiptView,
    ServiceError, SupportContacts,
};
use app::card_form::CheckedCard;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{BrandTable, PaymentCode, PaymentState, RequestStatus, mask_person_name};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Timings of settling payments, from configuration.
#[derive(Clone, Debug)]
pub struct Timings {
    /// An `authorising` payment older than this has lost its server or its
    /// answer; it must exceed the acquirer client's request timeout.
    pub stale_after: chrono::Duration,
    /// Payments left in `created` or at a challenge expire after this.
    pub abandon_after: chrono::Duration,
    /// How long the status page waits before asking the acquirer again.
    pub recheck_after: chrono::Duration,
    /// How long a repeated submit waits for the first one's answer.
    pub replay_wait: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            stale_after: chrono::Duration::seconds(60),
            abandon_after: chrono::Duration::minutes(90),
            recheck_after: chrono::Duration::seconds(2),
            replay_wait: Duration::from_secs(5),
        }
    }
}

/// A new payment id or idempotency key: a UUID version 7 in simple form.
///
/// Its first 48 bits are the time in milliseconds, so new ids land at the
/// end of the tables' indexes instead of on a random page each, and a
/// commit writes a few index pages rather than one per payment. The other
/// 74 bits are random (a CSPRNG): a payment id is also the receipt's
/// address, and knowing roughly when someone paid leaves 2^74 to guess.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// Feedback messages one client may send in an hour.
const FEEDBACK_PER_HOUR: i64 = 5;

pub struct Payments {
    /// This service itself, for the tasks it starts.
    pub me: std::sync::Weak<Payments>,
    pub store: Arc<dyn PaymentStore>,
    /// The document editions, kept in memory.
    pub documents: Arc<Documents>,
    pub processor: Arc<dyn CardProcessor>,
    pub brand_table: BrandTable,
    pub elcart_prefix: String,
    pub contacts: SupportContacts,
    pub clock: Clock,
    /// Prefix of the URL the issuer's challenge returns the browser to
    /// (empty: same origin as the challenge page).
    pub public_url: String,
    pub timings: Timings,
}

/// A storage error as the citizen hears of it: "busy, try again in a
/// moment" when no connection came free in time (already logged, once a
/// second, by the store), otherwise our failure, logged here.
fn internal(context: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |error| match error {
        StoreError::Busy => ServiceError::Busy,
        error => {
            tracing::error!(%error, context, "storage failed");
            ServiceError::Internal
        }
    }
}

/// What a payment becomes after an acquirer's answer.
struct Settlement {
    to: PaymentState,
    reason: String,
    reference: Option<String>,
    decline: Option<DeclineReason>,
    challenge_url: Option<String>,
}

impl Settlement {
    fn to(to: PaymentState, reason: impl Into<String>) -> Settlement {
        Settlement {
            to,
            reason: reason.into(),
            reference: None,
            decline: None,
            challenge_url: None,
        }
    }

    fn from_outcome(outcome: Outcome, source: &str) -> Settlement {
        match outcome {
            Outcome::Approved { reference } => Settlement {
                reference: Some(reference),
                ..Settlement::to(PaymentState::Succeeded, format!("{source}: approved"))
            },
            Outcome::Declined { reason, reference } => Settlement {
                reference: Some(reference),
                decline: Some(reason),
                ..Settlement::to(
                    PaymentState::Declined,
                    format!("{source}: declined, {}", reason.as_str()),
                )
            },
            Outcome::ChallengeRequired { url } => Settlement {
                challenge_url: Some(url),
                ..Settlement::to(
                    PaymentState::ThreeDsRequired,
                    format!("{source}: challenge"),
                )
            },
        }
    }

    /// The answer to an authorisation or a challenge completion.
    fn from_answer(answer: Result<Outcome, ProcessorError>, source: &str) -> Settlement {
        match answer {
            Ok(outcome) => Settlement::from_outcome(outcome, source),
            Err(ProcessorError::NotProcessed(why)) => Settlement::to(
                PaymentState::Failed,
                format!("{source}: not processed: {why}"),
            ),
            Err(ProcessorError::Unknown(why)) => {
                Settlement::to(PaymentState::Unknown, format!("{source}: no answer: {why}"))
            }
        }
    }
}

/// The outcome a submit reports for a payment in `record`'s state.
fn outcome_of(record: &PaymentRecord) -> Result<ChargeOutcome, ServiceError> {
    outcome_in(&record.id, record.state, Some(decline_of(record)))
}

/// The outcome a submit reports for payment `id` in `state`.
fn outcome_in(
    id: &str,
    state: PaymentState,
    decline: Option<DeclineReason>,
) -> Result<ChargeOutcome, ServiceError> {
    match state {
        PaymentState::Succeeded => Ok(ChargeOutcome::Paid {
            receipt_id: id.to_string(),
        }),
        PaymentState::Declined => Ok(ChargeOutcome::Declined {
            reason: decline.unwrap_or(DeclineReason::DoNotHonour),
        }),
        PaymentState::Failed => Err(ServiceError::ProcessorUnavailable),
        PaymentState::Created
        | PaymentState::Authorising
        | PaymentState::ThreeDsRequired
        | PaymentState::Unknown
        | PaymentState::Expired => Ok(ChargeOutcome::Continue {
            payment_id: id.to_string(),
        }),
    }
}

fn decline_of(record: &PaymentRecord) -> DeclineReason {
    record
        .decline_reason
        .as_deref()
        .and_then(DeclineReason::from_str_opt)
        .unwrap_or(DeclineReason::DoNotHonour)
}

/// What reconciliation did in one pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    pub settled: usize,
    pub still_unsettled: usize,
    pub expired: usize,
}

impl Payments {
    /// The service's clock (tests move it).
    pub fn now_utc(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// Applies a settlement to a payment still in `from`. When someone else
    /// moved it first (a notification, another server), their move stands.
    async fn settle(
        &self,
        id: &str,
        from: PaymentState,
        settlement: Settlement,
    ) -> Result<bool, StoreError> {
        let change = Change {
            reason: &settlement.reason,
            reference: settlement.reference.as_deref(),
            decline_reason: settlement.decline.map(DeclineReason::as_str),
            challenge_url: settlement.challenge_url.as_deref(),
        };
        match self
            .store
            .advance(id, from, settlement.to, change, self.now())
            .await
        {
            Ok(()) => {
                tracing::info!(payment_id = %id, from = %from, to = %settlement.to, reason = %settlement.reason, "payment moved");
                Ok(true)
            }
            Err(StoreError::StateChanged { .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// The payment an idempotency key started, if any.
    async fn attempt(&self, key: &str) -> Result<Option<PaymentRecord>, ServiceError> {
        self.store
            .payment_by_key(key)
            .await
            .map_err(internal("find by key"))
    }

    async fn record(&self, id: &str) -> Result<Option<PaymentRecord>, ServiceError> {
        self.store
            .payment(id)
            .await
            .map_err(internal("load payment"))
    }

    /// A repeated submit of an attempt that exists: the first outcome, once
    /// the first submit has it (or the status page, if it takes too long).
    async fn replay(
        &self,
        mut existing: PaymentRecord,
        code: &PaymentCode,
        card: &CheckedCard,
    ) -> Result<ChargeOutcome, ServiceError> {
        let same_attempt = existing.code == *code
            && existing.first_six == card.number.first_six()
            && existing.last_four == card.number.last_four()
            && existing.cardholder == card.cardholder.as_str();
        if !same_attempt {
            tracing::warn!(payment_id = %existing.id, "idempotency key reused with other details");
            return Err(ServiceError::StaleForm);
        }
        let deadline = tokio::time::Instant::now() + self.timings.replay_wait;
        while matches!(
            existing.state,
            PaymentState::Created | PaymentState::Authorising
        ) && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(25)).await;
            existing = self
                .record(&existing.id)
                .await?
                .ok_or(ServiceError::Internal)?;
        }
        tracing::info!(payment_id = %existing.id, state = %existing.state, "repeated submit answered from the first");
        outcome_of(&existing)
    }

    /// Asks the acquirer about a payment whose outcome we do not know and
    /// records the answer. Returns whether the payment moved.
    pub async fn reconcile(&self, record: &PaymentRecord) -> Result<bool, ServiceError> {
        let from = record.state;
        if !matches!(from, PaymentState::Unknown | PaymentState::Authorising) {
            return Ok(false);
        }
        let answer = self.processor.status(&record.id).await;
        let _ = self.store.mark_checked(&record.id, self.now()).await;
        let settlement = match answer {
            Ok(Some(outcome)) => Settlement::from_outcome(outcome, "acquirer status"),
            Ok(None) => Settlement::to(
                PaymentState::Failed,
                "acquirer status: no such order, nothing was charged",
            ),
            Err(error) => {
                tracing::warn!(payment_id = %record.id, %error, "status query failed; will retry");
                return Ok(false);
            }
        };
        self.settle(&record.id, from, settlement)
            .await
            .map_err(internal("reconcile"))
    }

    /// Sends an `authorising` payment to the acquirer and records its answer.
    async fn authorise_and_settle(
        &self,
        id: String,
        code: PaymentCode,
        amount: domain::Money,
        card: CheckedCard,
    ) -> Result<ChargeOutcome, ServiceError> {
        let return_url = format!("{}/payment/{id}/3ds", self.public_url);
        let answer = self
            .processor
            .authorise(Authorisation {
                order_id: &id,
                amount,
                card: &card,
                return_url: &return_url,
            })
            .await;
        drop(card);
        if let Err(error) = &answer {
            tracing::warn!(payment_id = %id, %error, "acquirer gave no clear answer");
        }
        let settlement = Settlement::from_answer(answer, "authorise");
        let (to, decline) = (settlement.to, settlement.decline);
        match self
            .settle(&id, PaymentState::Authorising, settlement)
            .await
        {
            Ok(true) => {
                tracing::info!(payment_id = %id, code = %code, state = %to, "payment submitted");
                outcome_in(&id, to, decline)
            }
            // A notification or another server settled it first: theirs stands.
            Ok(false) => outcome_of(&self.record(&id).await?.ok_or(ServiceError::Internal)?),
            Err(error) => {
                // The acquirer may have charged: reconciliation settles it, and
                // the citizen waits on the status page rather than being told
                // (perhaps wrongly) that nothing happened.
                tracing::error!(payment_id = %id, %error, "could not record the acquirer's answer");
                Ok(ChargeOutcome::Continue { payment_id: id })
            }
        }
    }

    /// One pass of the reconciliation worker: settles unknown and stale
    /// payments with the acquirer and expires abandoned ones.
    pub async fn reconcile_all(&self) -> Result<ReconcileReport, ServiceError> {
        let now = self.now();
        let mut report = ReconcileReport::default();
        let unsettled = self
            .store
            .unsettled_payments(now - self.timings.stale_after, 500)
            .await
            .map_err(internal("unsettled payments"))?;
        for record in &unsettled {
            if self.reconcile(record).await? {
                report.settled += 1;
            } else {
                report.still_unsettled += 1;
            }
        }
        let abandoned = self
            .store
            .abandoned_payments(now - self.timings.abandon_after, 500)
            .await
            .map_err(internal("abandoned payments"))?;
        for record in &abandoned {
            let settlement = Settlement::to(PaymentState::Expired, "abandoned by the citizen");
            if self
                .settle(&record.id, record.state, settlement)
                .await
                .map_err(internal("expire"))?
            {
                report.expired += 1;
            }
        }
        Ok(report)
    }

    /// Applies the acquirer's own notification of an order's outcome (its
    /// signature was checked by the caller). Duplicates and late ones change
    /// nothing; a charge we had given up on is refunded.
    pub async fn apply_notification(
        &self,
        order_id: &str,
        outcome: Outcome,
    ) -> Result<(), ServiceError> {
        let Some(record) = self.record(order_id).await? else {
            tracing::warn!(order_id, "notification for an unknown order");
            return Ok(());
        };
        match record.state {
            // A challenged payment moves only by our own completion call.
            PaymentState::Authorising | PaymentState::Unknown
                if !matches!(outcome, Outcome::ChallengeRequired { .. }) =>
            {
                self.settle(
                    &record.id,
                    record.state,
                    Settlement::from_outcome(outcome, "notification"),
                )
                .await
                .map_err(internal("notification"))?;
            }
            PaymentState::Failed | PaymentState::Expired | PaymentState::Declined
                if matches!(outcome, Outcome::Approved { .. }) =>
            {
                tracing::error!(payment_id = %record.id, state = %record.state, "acquirer charged a payment we closed: refunding");
                match self.processor.refund(&record.id, record.amount).await {
                    Ok(reference) => {
                        tracing::warn!(payment_id = %record.id, %reference, "refunded")
                    }
                    Err(error) => {
                        tracing::error!(payment_id = %record.id, %error, "refund failed: needs an operator")
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[async_trait]
impl PaymentService for Payments {
    async fn find_request(
        &self,
        code: &PaymentCode,
    ) -> Result<Option<PaymentRequestView>, ServiceError> {
        let now = self.now();
        let request = self
            .store
            .find_request(code)
            .await
            .map_err(internal("find request"))?;
        Ok(request.map(|r| PaymentRequestView {
            status: if r.status == RequestStatus::AwaitingPayment && r.expires_at <= now {
                RequestStatus::Expired
            } else {
                r.status
            },
            applicant_masked: mask_person_name(&r.applicant_name),
            code: r.code,
            service: r.service,
            amount: r.amount,
            expires_at: r.expires_at,
        }))
    }

    async fn charge(
        &self,
        code: &PaymentCode,
        idempotency_key: &str,
        accepted: EditionsShown,
        card: CheckedCard,
    ) -> Result<ChargeOutcome, ServiceError> {
        // The hot path reads nothing first: the insert itself checks the key,
        // the request and the editions, and only a refusal is looked into.
        let id = new_id();
        let begun = self
            .store
            .begin_payment(NewPayment {
                id: &id,
                idempotency_key,
                code,
                brand: card.number.brand(),
                first_six: card.number.first_six(),
                last_four: card.number.last_four(),
                cardholder: card.cardholder.as_str(),
                privacy_policy_edition: accepted.privacy_policy,
                user_agreement_edition: accepted.user_agreement,
                at: self.now(),
            })
            .await;
        let amount = match begun {
            Ok(amount) => amount,
            Err(StoreError::DuplicateKey) => {
                let existing = self
                    .attempt(idempotency_key)
                    .await?
                    .ok_or(ServiceError::Internal)?;
                return self.replay(existing, code, &card).await;
            }
            Err(StoreError::NotPayable) => {
                let request = self
                    .find_request(code)
                    .await?
                    .ok_or(ServiceError::UnknownCode)?;
                tracing::info!(code = %code, status = request.status.as_str(), "payment refused: request not payable");
                return Err(if request.status.is_payable() {
                    // It became payable again since the insert looked.
                    ServiceError::InProgress
                } else {
                    ServiceError::NotPayable(request.status)
                });
            }
            // Paying accepts the editions the form named: if one changed
            // since, nothing is charged until the citizen has seen the new one.
            Err(StoreError::EditionsChanged) => {
                tracing::info!(code = %code, "payment held: a document edition changed since the form was shown");
                // The form shown next must name the new edition, even if
                // another server published it since this one last looked.
                if let Err(error) = self.documents.refresh().await {
                    tracing::warn!(%error, "could not reload the document editions");
                }
                return Err(ServiceError::EditionsChanged);
            }
            Err(StoreError::CodeBusy) => {
                tracing::info!(code = %code, "payment refused: another payment holds the code");
                return match self.find_request(code).await? {
                    Some(r) if r.status == RequestStatus::Paid => {
                        Err(ServiceError::NotPayable(RequestStatus::Paid))
                    }
                    _ => Err(ServiceError::InProgress),
                };
            }
            Err(error) => return Err(internal("begin payment")(error)),
        };

        // From here on the payment is the acquirer's business: it goes on in
        // a task of its own, so a citizen who hangs up (or a request that
        // times out) never leaves it `authorising` with the answer unheard.
        let Some(payments) = self.me.upgrade() else {
            return Err(ServiceError::Internal);
        };
        let code = code.clone();
        let finish =
            tokio::spawn(
                async move { payments.authorise_and_settle(id, code, amount, card).await },
            );
        finish.await.unwrap_or_else(|error| {
            tracing::error!(%error, "a payment's task ended abnormally");
            Err(ServiceError::Internal)
        })
    }

    async fn payment_status(&self, id: &str) -> Result<Option<PaymentStatusView>, ServiceError> {
        if !app::backend::is_hex_id(id) {
            return Ok(None);
        }
        let Some(mut record) = self.record(id).await? else {
            return Ok(None);
        };
        let now = self.now();
        let quiet_since = record.last_checked_at.unwrap_or(record.updated_at);
        if record.state == PaymentState::Unknown
            && now - quiet_since >= self.timings.recheck_after
            && self.reconcile(&record).await?
        {
            record = self.record(id).await?.ok_or(ServiceError::Internal)?;
        }
        let request = self
            .store
            .find_request(&record.code)
            .await
            .map_err(internal("find request"))?
            .ok_or(ServiceError::Internal)?;
        Ok(Some(PaymentStatusView {
            decline: (record.state == PaymentState::Declined).then(|| decline_of(&record)),
            id: record.id,
            code: record.code,
            service: request.service,
            amount: record.amount,
            state: record.state,
            challenge_url: record.challenge_url,
        }))
    }

    async fn complete_challenge(&self, id: &str, cres: &str) -> Result<(), ServiceError> {
        let Some(record) = self.record(id).await? else {
            return Ok(());
        };
        if record.state != PaymentState::ThreeDsRequired {
            // Answered before (a repeated post) or expired: nothing to do.
            return Ok(());
        }
        let claimed = self
            .settle(
                id,
                PaymentState::ThreeDsRequired,
                Settlement::to(PaymentState::Authorising, "challenge answered"),
            )
            .await
            .map_err(internal("claim challenge"))?;
        if !claimed {
            return Ok(());
        }
        let answer = self.processor.complete_challenge(id, cres).await;
        if let Err(error) = &answer {
            tracing::warn!(payment_id = %id, %error, "challenge completion gave no clear answer");
        }
        let settlement = Settlement::from_answer(answer, "challenge");
        self.settle(id, PaymentState::Authorising, settlement)
            .await
            .map_err(internal("finish challenge"))?;
        Ok(())
    }

    fn new_idempotency_key(&self) -> String {
        new_id()
    }

    async fn receipt(&self, receipt_id: &str) -> Result<Option<ReceiptView>, ServiceError> {
        if !app::backend::is_hex_id(receipt_id) {
            return Ok(None);
        }
        let payment = self
            .store
            .approved_payment(receipt_id)
            .await
            .map_err(internal("receipt"))?;
        let Some(p) = payment else { return Ok(None) };
        let library = self.documents.library();
        let accepted = [
            (DocumentKind::PrivacyPolicy, p.privacy_policy_edition),
            (DocumentKind::UserAgreement, p.user_agreement_edition),
        ]
        .into_iter()
        .filter_map(|(kind, edition)| Some((kind, library.edition(kind, edition?)?)))
        .collect();
        Ok(Some(ReceiptView {
            receipt_number: format!("TLM-{:08}", p.receipt_number),
            paid_at: p.completed_at,
            service: p.request.service,
            code: p.request.code,
            applicant_masked: mask_person_name(&p.request.applicant_name),
            amount: p.amount,
            brand: p.brand,
            masked_card: format!("{}******{}", p.first_six, p.last_four),
            cardholder: p.cardholder,
            processor_reference: p.reference,
            accepted,
        }))
    }

    async fn editions_in_force(&self) -> Result<EditionsInForce, ServiceError> {
        self.documents
            .library()
            .in_force(self.now())
            .map_err(internal("editions in force"))
    }

    async fn document(
        &self,
        kind: DocumentKind,
        edition: Option<u32>,
        language: &str,
    ) -> Result<Option<DocumentView>, ServiceError> {
        Ok(self
            .documents
            .library()
            .document(kind, edition, language, self.now()))
    }

    async fn document_editions(&self, kind: DocumentKind) -> Result<Vec<EditionRef>, ServiceError> {
        Ok(self.documents.library().in_effect(kind, self.now()))
    }

    async fn send_feedback(&self, feedback: Feedback) -> Result<(), ServiceError> {
        let now = self.now();
        // The address is kept only as a salted hash, and only to count.
        let client =
            hex::encode(&Sha256::digest(format!("tolem-feedback:{}", feedback.client))[..16]);
        let recent = self
            .store
            .feedback_count_since(&client, now - chrono::Duration::hours(1))
            .await
            .map_err(internal("feedback count"))?;
        if recent >= FEEDBACK_PER_HOUR {
            tracing::info!("feedback refused: rate limit");
            return Err(ServiceError::RateLimited);
        }
        self.store
            .insert_feedback(&FeedbackRecord {
                topic: feedback.topic,
                message: feedback.message,
                reply_email: feedback.reply_email,
                receipt_number: feedback.receipt_number,
                language: feedback.language,
                client,
                at: now,
            })
            .await
            .map_err(internal("store feedback"))?;
        tracing::info!("feedback stored");
        Ok(())
    }

    fn support_contacts(&self) -> &SupportContacts {
        &self.contacts
    }

    fn brand_table(&self) -> &BrandTable {
        &self.brand_table
    }

    fn elcart_prefix(&self) -> &str {
        &self.elcart_prefix
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}
