//! The 3-D Secure challenge: the state an order keeps while the cardholder
//! answers on the challenge page ([`crate::http::acs_router`]), and the two
//! calls that move it on: the cardholder's answer, then the merchant's
//! completion, which alone charges (as with a real ACS, the page's verdict
//! reaches the acquirer only through the merchant), except under the
//! `early_notification` fault: there a pass charges at once, and the page
//! sends the browser back only once the approved notification has reached
//! the merchant, so the merchant hears of the charge first.

use super::notify::Delivery;
use super::orders::{ChallengeOutcome, Order};
use super::{Engine, EngineError};
use crate::protocol::{DeclineCode, OrderResponse, OrderStatus};
use tokio::time::Instant;

/// What the cardholder did on the challenge page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChallengeAction {
    Confirm { code: String },
    Cancel,
}

/// What the challenge page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeView {
    pub token: String,
    pub order_id: String,
    pub amount_minor: i64,
    pub currency: String,
    /// `400000******3220`.
    pub masked_card: String,
    /// The one-time code; a sandbox shows it on the page.
    pub code: String,
    pub return_url: String,
    /// `None` until the cardholder answers.
    pub outcome: Option<ChallengeOutcome>,
}

impl Order {
    fn challenge_view(&self) -> Option<ChallengeView> {
        let challenge = self.challenge.as_ref()?;
        Some(ChallengeView {
            token: challenge.token.clone(),
            order_id: self.order_id.clone(),
            amount_minor: self.amount_minor,
            currency: self.currency.clone(),
            masked_card: self.card_masked.clone(),
            code: challenge.code.clone(),
            return_url: challenge.return_url.clone(),
            outcome: challenge.outcome,
        })
    }
}

impl Engine {
    /// The merchant's call after the browser came back with `cres`: charges a
    /// passed challenge, declines a failed one. Idempotent: an order already
    /// settled (by an earlier call, or by an early notification) answers as
    /// it stands.
    pub async fn complete_challenge(
        &self,
        order_id: &str,
        cres: &str,
    ) -> Result<OrderResponse, EngineError> {
        self.latency().await;
        let (response, notification) = {
            let mut state = self.state();
            let index = state
                .find(order_id, Instant::now())
                .ok_or(EngineError::NotFound)?;
            let order = state.order_mut(index);
            let Some(challenge) = &order.challenge else {
                return Err(EngineError::Conflict);
            };
            if challenge.token != cres {
                return Err(EngineError::Invalid(
                    "cres does not belong to this order".to_owned(),
                ));
            }
            if order.status != OrderStatus::ChallengeRequired {
                return Ok(order.response(&self.acs_base_url));
            }
            match challenge.outcome {
                None => return Err(EngineError::NotReady),
                Some(ChallengeOutcome::Passed) => order.settle(OrderStatus::Approved, None),
                Some(ChallengeOutcome::Failed) => {
                    order.settle(OrderStatus::Declined, Some(DeclineCode::ThreeDsFailed));
                }
            }
            tracing::info!(order_id = %order.order_id, status = ?order.status, "challenge completed");
            (order.response(&self.acs_base_url), order.notification())
        };
        self.notify(notification, Delivery::default());
        Ok(response)
    }

    /// The challenge page's view of a token; `None` for an unknown token.
    pub fn challenge(&self, token: &str) -> Option<ChallengeView> {
        let state = self.state();
        let index = *state.by_token.get(token)?;
        state.order(index).challenge_view()
    }

    /// Records the cardholder's answer. One attempt: a wrong code fails the
    /// challenge. Answering again changes nothing and returns the first
    /// answer. `None` for an unknown token. Never charges, except a pass
    /// under the `early_notification` fault: that settles the order as
    /// approved and returns only once the notification has been delivered
    /// (or its bounded retries given up), so that the merchant hears of the
    /// charge before the browser comes back.
    pub async fn answer_challenge(
        &self,
        token: &str,
        action: ChallengeAction,
    ) -> Option<ChallengeView> {
        let (view, early) = {
            let mut state = self.state();
            let index = *state.by_token.get(token)?;
            let order = state.order_mut(index);
            let mut early = None;
            if let Some(challenge) = order.challenge.as_mut()
                && challenge.outcome.is_none()
            {
                let outcome = match action {
                    ChallengeAction::Confirm { code } if code.trim() == challenge.code => {
                        ChallengeOutcome::Passed
                    }
                    ChallengeAction::Confirm { .. } | ChallengeAction::Cancel => {
                        ChallengeOutcome::Failed
                    }
                };
                challenge.outcome = Some(outcome);
                let settle_now = challenge.early_notification
                    && outcome == ChallengeOutcome::Passed
                    && order.status == OrderStatus::ChallengeRequired;
                tracing::info!(order_id = %order.order_id, ?outcome, settle_now, "challenge answered");
                if settle_now {
                    order.settle(OrderStatus::Approved, None);
                    early = Some(order.notification());
                }
            }
            (order.challenge_view(), early)
        };
        if let Some(notification) = early {
            let order_id = notification.order_id.clone();
            let delivered = self.notify_now(notification).await;
            tracing::info!(%order_id, delivered, "early notification sent before the return");
        }
        view
    }
}
