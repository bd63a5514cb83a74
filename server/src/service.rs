//! The payment service: looks up payment requests, charges cards through the
//! configured processor and records every payment. It is what the pages and
//! the `pay` server function call, through `app::backend::PaymentService`.

use crate::processor::{Authorisation, AuthorisationResult, CardProcessor};
use crate::storage::{NewPayment, PaymentResult, PaymentStore, StoreError};
use app::backend::{
    ChargeOutcome, DocumentView, PaymentRequestView, PaymentService, ReceiptView, ServiceError,
    SupportContacts,
};
use app::card_form::CheckedCard;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{BrandTable, PaymentCode, RequestStatus, mask_person_name};
use std::sync::Arc;

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

pub struct Payments {
    pub store: Arc<dyn PaymentStore>,
    pub processor: Arc<dyn CardProcessor>,
    pub brand_table: BrandTable,
    pub elcart_prefix: String,
    pub contacts: SupportContacts,
    pub privacy_policy: DocumentView,
    pub clock: Clock,
}

fn internal(context: &'static str) -> impl Fn(StoreError) -> ServiceError {
    move |error| {
        tracing::error!(%error, context, "storage failed");
        ServiceError::Internal
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
        card: CheckedCard,
    ) -> Result<ChargeOutcome, ServiceError> {
        let request = self
            .find_request(code)
            .await?
            .ok_or(ServiceError::UnknownCode)?;
        if !request.status.is_payable() {
            tracing::info!(code = %code, status = request.status.as_str(), "payment refused: request not payable");
            return Err(ServiceError::NotPayable(request.status));
        }
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.store
            .begin_payment(NewPayment {
                id: &id,
                code,
                amount: request.amount,
                brand: card.number.brand(),
                first_six: card.number.first_six(),
                last_four: card.number.last_four(),
                cardholder: card.cardholder.as_str(),
                at: self.now(),
            })
            .await
            .map_err(internal("begin payment"))?;

        let answer = self
            .processor
            .authorise(Authorisation {
                order_id: &id,
                amount: request.amount,
                card: &card,
            })
            .await;
        drop(card);
        let (result, outcome) = match answer {
            Ok(AuthorisationResult::Approved { reference }) => (
                PaymentResult::Approved { reference },
                Ok(ChargeOutcome::Paid {
                    receipt_id: id.clone(),
                }),
            ),
            Ok(AuthorisationResult::Declined { reason, reference }) => (
                PaymentResult::Declined {
                    reason: reason.as_str(),
                    reference,
                },
                Ok(ChargeOutcome::Declined { reason }),
            ),
            Err(error) => {
                tracing::warn!(payment_id = %id, %error, "processor failed");
                (
                    PaymentResult::Failed,
                    Err(ServiceError::ProcessorUnavailable),
                )
            }
        };
        self.store
            .finish_payment(&id, code, &result, self.now())
            .await
            .map_err(internal("finish payment"))?;
        let label = match &result {
            PaymentResult::Approved { .. } => "approved",
            PaymentResult::Declined { reason, .. } => reason,
            PaymentResult::Failed => "failed",
        };
        tracing::info!(payment_id = %id, code = %code, outcome = label, "payment finished");
        outcome
    }

    async fn receipt(&self, receipt_id: &str) -> Result<Option<ReceiptView>, ServiceError> {
        // Receipt ids are 32 hex digits; anything else cannot exist.
        if receipt_id.len() != 32 || !receipt_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let payment = self
            .store
            .approved_payment(receipt_id)
            .await
            .map_err(internal("receipt"))?;
        Ok(payment.map(|p| ReceiptView {
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
        }))
    }

    fn privacy_policy(&self) -> DocumentView {
        self.privacy_policy.clone()
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
