//! Refunds: part or all of an approved order returned, in as many refunds
//! as the merchant asks for, each idempotent on the merchant's refund id,
//! their sum never more than was charged. Two test cards (`cards`) make a
//! card's refunds declined for good, or their answers late; the fault plan's
//! `refund_failures` makes the first calls on every order answer 503.

use super::orders::new_reference;
use super::{CardBehaviour, Engine, EngineError};
use crate::protocol::{OrderStatus, RefundOutcome, RefundResponse};
use tokio::time::Instant;

/// The longest refund id the engine keeps.
const MAX_REFUND_ID: usize = 64;

/// One refund of an order, as the engine keeps it.
#[derive(Clone, Debug)]
pub(super) struct OrderRefund {
    refund_id: String,
    pub(super) amount_minor: i64,
    status: RefundOutcome,
    reference: Option<String>,
    decline_reason: Option<String>,
}

impl OrderRefund {
    pub(super) fn succeeded(&self) -> bool {
        self.status == RefundOutcome::Succeeded
    }

    fn response(&self, order_id: &str) -> RefundResponse {
        RefundResponse {
            refund_id: self.refund_id.clone(),
            order_id: order_id.to_owned(),
            status: self.status,
            amount_minor: self.amount_minor,
            reference: self.reference.clone(),
            decline_reason: self.decline_reason.clone(),
        }
    }
}

/// A refund's answer, and whether the transport must hold it past the
/// client's timeout (the refund is recorded either way).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundAnswer {
    pub response: RefundResponse,
    pub held: bool,
}

impl Engine {
    /// Returns `amount_minor` of an approved order under the merchant's
    /// `refund_id`. The same id with the same amount answers the refund
    /// already made (another amount is a conflict); the refunds that
    /// succeeded never add up to more than the order's amount. With
    /// [`FaultPlan::refund_failures`](super::FaultPlan) set to N, the first N
    /// calls on each order answer [`EngineError::Unavailable`] and refund
    /// nothing.
    pub fn refund(
        &self,
        order_id: &str,
        refund_id: &str,
        amount_minor: i64,
    ) -> Result<RefundAnswer, EngineError> {
        // Read before taking the state lock: `authorise` takes the two
        // locks in the other order.
        let failures = self.faults().refund_failures;
        let mut state = self.state();
        *state
            .refund_requests
            .entry(order_id.to_owned())
            .or_default() += 1;
        let index = state
            .find(order_id, Instant::now())
            .ok_or(EngineError::NotFound)?;
        let order = state.order_mut(index);
        order.refund_calls = order.refund_calls.saturating_add(1);
        if order.refund_calls <= failures {
            tracing::info!(
                order_id,
                call = order.refund_calls,
                "refund refused (fault plan)"
            );
            return Err(EngineError::Unavailable(
                "the acquirer cannot process refunds right now; try again later".to_owned(),
            ));
        }
        if refund_id.is_empty()
            || refund_id.len() > MAX_REFUND_ID
            || refund_id.chars().any(|c| c.is_control())
        {
            return Err(EngineError::Invalid(format!(
                "refund_id must be 1 to {MAX_REFUND_ID} characters"
            )));
        }
        if amount_minor <= 0 || amount_minor > order.amount_minor {
            return Err(EngineError::Invalid(
                "amount_minor must be positive and at most the order's amount".to_owned(),
            ));
        }
        let held = order.refund_behaviour == CardBehaviour::RefundsTimeOut;
        if let Some(made) = order.refunds.iter().find(|r| r.refund_id == refund_id) {
            if made.amount_minor != amount_minor {
                return Err(EngineError::Conflict);
            }
            let response = made.response(order_id);
            return Ok(RefundAnswer { response, held });
        }
        if !matches!(order.status, OrderStatus::Approved | OrderStatus::Refunded) {
            return Err(EngineError::Conflict);
        }
        let refund = if order.refund_behaviour == CardBehaviour::RefundsDeclined {
            tracing::info!(order_id, refund_id, amount_minor, "refund declined");
            OrderRefund {
                refund_id: refund_id.to_owned(),
                amount_minor,
                status: RefundOutcome::Declined,
                reference: None,
                decline_reason: Some("the issuer does not accept refunds to this card".into()),
            }
        } else {
            let refunded = order.refunded_minor().unwrap_or(0);
            if refunded + amount_minor > order.amount_minor {
                return Err(EngineError::Invalid(
                    "the refunds would return more than the order's amount".to_owned(),
                ));
            }
            if refunded + amount_minor == order.amount_minor {
                order.status = OrderStatus::Refunded;
            }
            tracing::info!(order_id, refund_id, amount_minor, "refunded");
            OrderRefund {
                refund_id: refund_id.to_owned(),
                amount_minor,
                status: RefundOutcome::Succeeded,
                reference: Some(new_reference()),
                decline_reason: None,
            }
        };
        let response = refund.response(order_id);
        order.refunds.push(refund);
        Ok(RefundAnswer { response, held })
    }

    /// One refund of an order as the acquirer knows it; `None` when there is
    /// no such order or no such refund of it.
    pub fn refund_status(&self, order_id: &str, refund_id: &str) -> Option<RefundResponse> {
        let state = self.state();
        let index = state.find(order_id, Instant::now())?;
        let order = state.order(index);
        order
            .refunds
            .iter()
            .find(|refund| refund.refund_id == refund_id)
            .map(|refund| refund.response(order_id))
    }

    /// How much of an order has been refunded: `None` for no such order (or
    /// one still in flight), `Some(0)` when nothing was refunded.
    pub fn refunded_minor(&self, order_id: &str) -> Option<i64> {
        let state = self.state();
        let index = state.find(order_id, Instant::now())?;
        Some(state.order(index).refunded_minor().unwrap_or(0))
    }
}
