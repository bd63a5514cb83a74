//! Charging a card (`app::services::PaymentService`): the lookup, the
//! charge with its idempotent replays, the status page's view with its
//! check on unknown outcomes and the 3-D Secure return.

use super::outcome::{Settlement, decline_of, outcome_in, outcome_of};
use super::{Payments, REPLAY_POLL, internal, new_idempotency_key, new_payment_id};
use crate::abuse::velocity::{AdmitError, Attempt};
use crate::processor::Authorisation;
use crate::storage::{NewPayment, PaymentRecord, StoreError};
use app::paths;
use app::services::{
    ChargeOutcome, Client, PaymentRequestView, PaymentService, PaymentStatusView, ServiceError,
};
use async_trait::async_trait;
use domain::{
    CheckedCard, EditionsShown, IdempotencyKey, Money, PaymentCode, PaymentId, PaymentState,
    RequestStatus, mask_person_name,
};

impl Payments {
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
            tokio::time::sleep(REPLAY_POLL).await;
            existing = self
                .record(&existing.id)
                .await?
                .ok_or(ServiceError::Internal)?;
        }
        tracing::info!(payment_id = %existing.id, state = %existing.state, "repeated submit answered from the first");
        outcome_of(&existing)
    }

    /// A charge from the limits to the acquirer's first answer.
    async fn charge_card(
        &self,
        code: &PaymentCode,
        idempotency_key: &IdempotencyKey,
        accepted: EditionsShown,
        card: CheckedCard,
        client: &Client,
    ) -> Result<ChargeOutcome, ServiceError> {
        // The limits on card testing come first: a refused attempt leaves
        // no record and never reaches the acquirer.
        let attempt = self.guard.attempt(client, &card.number);
        match self.guard.admit(attempt.as_ref(), code).await {
            Ok(()) => {}
            Err(AdmitError::Refused(refused)) => {
                tracing::warn!(code = %code, over = ?refused.over, "payment attempt refused: over the limits on card testing");
                return Err(ServiceError::TooManyAttempts {
                    retry_after_secs: refused.retry_after.as_secs(),
                });
            }
            Err(AdmitError::Store(error)) => return Err(internal("attempt limits")(error)),
        }
        // The hot path reads nothing else first: the insert itself checks
        // the key, the request and the editions, and only a refusal is
        // looked into.
        let id = new_payment_id();
        let begun_at = self.now();
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
                at: begun_at,
                subjects: attempt.as_ref().map(Attempt::subjects).unwrap_or_default(),
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

        // The acquirer's processing window counts from the record's time: an
        // authorisation must not leave long after it.
        if self.now() - begun_at > self.timings.send_deadline {
            tracing::warn!(payment_id = %id, "the payment's record took too long to commit; not sent");
            self.settle(
                &id,
                PaymentState::Authorising,
                Settlement::to(PaymentState::Failed, "not sent: recorded too late"),
            )
            .await
            .map_err(internal("give up a late payment"))?;
            return Err(ServiceError::ProcessorUnavailable);
        }

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

    /// Sends an `authorising` payment to the acquirer and records its answer.
    async fn authorise_and_settle(
        &self,
        id: PaymentId,
        code: PaymentCode,
        amount: Money,
        card: CheckedCard,
    ) -> Result<ChargeOutcome, ServiceError> {
        let return_url = format!("{}{}", self.public_url, paths::challenge_return(&id));
        let brand = card.number.brand();
        let answer = self
            .processor
            .authorise(Authorisation {
                order_id: id.as_str(),
                amount,
                card: &card,
                return_url: &return_url,
            })
            .await;
        drop(card);
        record_answer(brand, &answer);
        if let Err(error) = &answer {
            tracing::warn!(payment_id = %id, %error, "acquirer gave no clear answer");
        }
        let settlement = Settlement::from_answer(answer, "authorise");
        let (to, decline) = (settlement.to, settlement.decline);
        match self
            .settle_answer(&id, PaymentState::Authorising, settlement)
            .await
        {
            Ok(true) => {
                // The precise reason of a decline is the operator's; the
                // citizen reads one message for those that help a tester.
                tracing::info!(payment_id = %id, code = %code, state = %to, decline = decline.map(|d| d.as_str()), "payment submitted");
                if to == PaymentState::Declined {
                    self.guard.saw_decline();
                }
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
        idempotency_key: &IdempotencyKey,
        accepted: EditionsShown,
        card: CheckedCard,
        client: &Client,
    ) -> Result<ChargeOutcome, ServiceError> {
        let started = std::time::Instant::now();
        let outcome = self
            .charge_card(code, idempotency_key, accepted, card, client)
            .await;
        let outcome_label = match &outcome {
            Ok(ChargeOutcome::Paid { .. }) => "paid",
            Ok(ChargeOutcome::Declined { .. }) => "declined",
            Ok(ChargeOutcome::Continue { .. }) => "continues",
            Err(_) => "refused",
        };
        metrics::histogram!(crate::monitoring::PAYMENT_SECONDS, "outcome" => outcome_label)
            .record(started.elapsed().as_secs_f64());
        outcome
    }

    async fn payment_status(
        &self,
        id: &PaymentId,
    ) -> Result<Option<PaymentStatusView>, ServiceError> {
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

    async fn complete_challenge(&self, id: &PaymentId, cres: &str) -> Result<(), ServiceError> {
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
        let answer = self.processor.complete_challenge(id.as_str(), cres).await;
        if let Err(error) = &answer {
            tracing::warn!(payment_id = %id, %error, "challenge completion gave no clear answer");
        }
        let settlement = Settlement::from_answer(answer, "challenge");
        self.settle_answer(id, PaymentState::Authorising, settlement)
            .await
            .map_err(internal("finish challenge"))?;
        Ok(())
    }

    fn new_idempotency_key(&self) -> IdempotencyKey {
        new_idempotency_key()
    }
}

/// Counts a payment's first answer by card brand.
fn record_answer(
    brand: domain::CardBrand,
    answer: &Result<crate::processor::Outcome, crate::processor::ProcessorError>,
) {
    use crate::processor::{Outcome, ProcessorError};
    let answer = match answer {
        Ok(Outcome::Approved { .. }) => "approved",
        Ok(Outcome::Declined { .. }) => "declined",
        Ok(Outcome::ChallengeRequired { .. }) => "challenge",
        Err(ProcessorError::NotProcessed(_)) => "not_processed",
        Err(ProcessorError::Unknown(_)) => "unknown",
    };
    metrics::counter!(crate::monitoring::PAYMENT_ANSWERS, "brand" => brand.as_str(), "answer" => answer)
        .increment(1);
}
