//! The receipts service (`app::services::ReceiptService`): a succeeded
//! payment's receipt with its verification code, what a verification code
//! vouches for, and the receipt of a payment code and receipt number.

use super::signing::ReceiptSigner;
use crate::documents::Documents;
use crate::payments::internal;
use crate::storage::PaymentStore;
use app::services::{
    ReceiptRefund, ReceiptService, ReceiptView, RefundStage, ServiceError, VerifiedReceipt,
};
use async_trait::async_trait;
use domain::{
    DocumentKind, PaymentCode, PaymentId, ReceiptNumber, RefundState, VerificationCode,
    mask_person_name,
};
use std::sync::Arc;

pub struct Receipts {
    pub store: Arc<dyn PaymentStore>,
    pub documents: Arc<Documents>,
    pub signer: ReceiptSigner,
}

fn stage(state: RefundState) -> RefundStage {
    match state {
        RefundState::Refunded => RefundStage::Returned,
        RefundState::Failed => RefundStage::Refused,
        _ => RefundStage::Pending,
    }
}

#[async_trait]
impl ReceiptService for Receipts {
    async fn receipt(&self, id: &PaymentId) -> Result<Option<ReceiptView>, ServiceError> {
        let Some(p) = self
            .store
            .approved_payment(id)
            .await
            .map_err(internal("receipt"))?
        else {
            return Ok(None);
        };
        let number =
            ReceiptNumber::from_sequence(p.receipt_number).ok_or(ServiceError::Internal)?;
        let verification = self.signer.code(number).ok_or(ServiceError::Internal)?;
        let refunds = self
            .store
            .refunds_of(id)
            .await
            .map_err(internal("receipt's refunds"))?
            .into_iter()
            .map(|r| ReceiptRefund {
                asked_at: r.created_at,
                amount: r.amount,
                stage: stage(r.state),
            })
            .collect();
        let library = self.documents.library();
        let accepted = [
            (DocumentKind::PrivacyPolicy, p.privacy_policy_edition),
            (DocumentKind::UserAgreement, p.user_agreement_edition),
        ]
        .into_iter()
        .filter_map(|(kind, edition)| Some((kind, library.edition(kind, edition?)?)))
        .collect();
        Ok(Some(ReceiptView {
            id: id.clone(),
            receipt_number: number,
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
            refunds,
            verification,
        }))
    }

    async fn verify(
        &self,
        code: &VerificationCode,
    ) -> Result<Option<VerifiedReceipt>, ServiceError> {
        if !self.signer.genuine(code) {
            return Ok(None);
        }
        let Some(receipt) = self.receipt_of_number(code.number()).await? else {
            // A genuine code of a payment that is gone: the store was
            // restored from an older backup, or the key is another site's.
            tracing::warn!(receipt = %code.number(), "a genuine verification code names no payment");
            return Ok(None);
        };
        Ok(Some(receipt.verified()))
    }

    async fn find(
        &self,
        code: &PaymentCode,
        number: ReceiptNumber,
    ) -> Result<Option<PaymentId>, ServiceError> {
        self.store
            .receipt_of_code(code, number.value())
            .await
            .map_err(internal("find receipt"))
    }
}

impl Receipts {
    async fn receipt_of_number(
        &self,
        number: ReceiptNumber,
    ) -> Result<Option<ReceiptView>, ServiceError> {
        let id = self
            .store
            .receipt_payment(number.value())
            .await
            .map_err(internal("receipt by number"))?;
        match id {
            Some(id) => self.receipt(&id).await,
            None => Ok(None),
        }
    }
}
