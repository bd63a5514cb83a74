//! The body of the `pay` server function, run by the island's call and by
//! the no-JavaScript form post alike: the same checks as the browser's, then
//! the charge, its outcome as the wire names it.

use crate::api::{CardFormValues, PayError, PayResult};
use crate::card_form::check_card_form;
use crate::messages::Msg;
use crate::paths;
use crate::services::{ChargeOutcome, Client, ServiceError, Services, current_month};
use domain::{EditionsShown, IdempotencyKey, PaymentCode, RequestStatus};

/// The message that explains why a request cannot be paid.
pub fn not_payable(status: RequestStatus) -> Msg {
    match status {
        RequestStatus::Paid => Msg::LookupPaid,
        RequestStatus::Expired => Msg::LookupExpired,
        RequestStatus::Cancelled => Msg::LookupCancelled,
        RequestStatus::AwaitingPayment => Msg::InternalError,
    }
}

fn refused(msg: Msg) -> PayError {
    PayError::NotPayable {
        reason_key: msg.key().into(),
    }
}

pub async fn pay(
    services: &Services,
    form: CardFormValues,
    client: &Client,
) -> Result<PayResult, PayError> {
    let payments = services.payments.as_ref();
    let code = PaymentCode::parse(&form.code).map_err(|_| refused(Msg::LookupUnknown))?;
    let today = current_month(services.settings.now());
    let card =
        check_card_form(&form, &services.settings.brand_table, today).map_err(PayError::Invalid)?;
    let Ok(key) = IdempotencyKey::parse(&form.idempotency_key) else {
        return Err(PayError::StaleForm {
            next_key: payments.new_idempotency_key(),
        });
    };
    let shown = EditionsShown {
        privacy_policy: form.privacy_policy_edition.trim().parse().unwrap_or(0),
        user_agreement: form.user_agreement_edition.trim().parse().unwrap_or(0),
    };
    drop(form);
    match payments.charge(&code, &key, shown, card, client).await {
        Ok(ChargeOutcome::Paid { receipt_id }) => Ok(PayResult::Paid { receipt_id }),
        Ok(ChargeOutcome::Declined { reason }) => Ok(PayResult::Declined {
            reason_key: reason.key().into(),
            next_key: payments.new_idempotency_key(),
        }),
        Ok(ChargeOutcome::Continue { payment_id }) => Ok(PayResult::Continue {
            url: paths::payment(&payment_id),
        }),
        Err(ServiceError::UnknownCode) => Err(refused(Msg::LookupUnknown)),
        Err(ServiceError::NotPayable(status)) => Err(refused(not_payable(status))),
        Err(ServiceError::InProgress) => Err(refused(Msg::PayInProgress)),
        Err(ServiceError::StaleForm) => Err(PayError::StaleForm {
            next_key: payments.new_idempotency_key(),
        }),
        Err(ServiceError::EditionsChanged) => Err(PayError::EditionsChanged),
        Err(ServiceError::ProcessorUnavailable) => Err(PayError::ProcessorUnavailable {
            next_key: payments.new_idempotency_key(),
        }),
        Err(ServiceError::Busy) => Err(PayError::Busy),
        Err(ServiceError::TooManyAttempts { retry_after_secs }) => {
            Err(PayError::TooManyAttempts { retry_after_secs })
        }
        Err(ServiceError::Internal | ServiceError::RateLimited) => Err(PayError::Internal),
    }
}
