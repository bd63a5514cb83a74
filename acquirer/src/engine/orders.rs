//! The order ledger: what the engine keeps of each order, how an order
//! answers (response, ledger entry, notification), and the calls that read
//! orders or refund them. An order never holds the full card number or the
//! CVV (see the engine's docs for what it keeps instead).

use super::faults::random_u64;
use super::validate::brand;
use super::{Engine, EngineError};
use crate::protocol::{
    AuthoriseRequest, Challenge, DeclineCode, LedgerEntry, Notification, OrderResponse,
    OrderStatus, ThreeDsMode,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

pub(super) struct Order {
    pub(super) order_id: String,
    pub(super) amount_minor: i64,
    pub(super) currency: String,
    /// Keyed hash of the card number: recognises a repeated request without
    /// keeping the number.
    pub(super) card_fingerprint: String,
    card_first6: String,
    card_last4: String,
    pub(super) card_masked: String,
    card_brand: &'static str,
    pub(super) status: OrderStatus,
    reference: Option<String>,
    pub(super) decline_code: Option<DeclineCode>,
    pub(super) three_ds: Option<ThreeDsMode>,
    pub(super) challenge: Option<ChallengeState>,
    refunded_minor: Option<i64>,
    charged: bool,
    created_at: DateTime<Utc>,
}

/// Every order, with the indexes the calls look orders up by.
#[derive(Default)]
pub(super) struct State {
    pub(super) orders: Vec<Order>,
    pub(super) by_id: HashMap<String, usize>,
    pub(super) by_token: HashMap<String, usize>,
    pub(super) authorise_requests: usize,
}

impl Order {
    /// A new order for a decided request, with nothing charged yet: the
    /// caller settles it, or attaches a challenge that settles it later.
    pub(super) fn new(
        request: &AuthoriseRequest,
        card_fingerprint: String,
        status: OrderStatus,
        three_ds: Option<ThreeDsMode>,
    ) -> Self {
        // `validate` has made the number 12 to 19 ASCII digits.
        let number = &request.card.number;
        Order {
            order_id: request.order_id.clone(),
            amount_minor: request.amount_minor,
            currency: request.currency.clone(),
            card_fingerprint,
            card_first6: number[..6].to_owned(),
            card_last4: number[number.len() - 4..].to_owned(),
            card_masked: request.card.masked(),
            card_brand: brand(number),
            status,
            reference: None,
            decline_code: None,
            three_ds,
            challenge: None,
            refunded_minor: None,
            charged: false,
            created_at: Utc::now(),
        }
    }

    pub(super) fn response(&self, acs_base_url: &str) -> OrderResponse {
        let challenge = match (&self.challenge, self.status) {
            (Some(challenge), OrderStatus::ChallengeRequired) => Some(Challenge {
                url: format!("{acs_base_url}/{}", challenge.token),
            }),
            _ => None,
        };
        OrderResponse {
            order_id: self.order_id.clone(),
            status: self.status,
            amount_minor: self.amount_minor,
            currency: self.currency.clone(),
            reference: self.reference.clone(),
            decline_code: self.decline_code,
            challenge,
            three_ds: self.three_ds,
        }
    }

    pub(super) fn ledger_entry(&self) -> LedgerEntry {
        LedgerEntry {
            order_id: self.order_id.clone(),
            amount_minor: self.amount_minor,
            currency: self.currency.clone(),
            status: self.status,
            reference: self.reference.clone(),
            card_first6: self.card_first6.clone(),
            card_last4: self.card_last4.clone(),
            card_brand: self.card_brand.to_owned(),
            three_ds: self.three_ds,
            created_at: self.created_at,
        }
    }

    pub(super) fn notification(&self) -> Notification {
        Notification {
            order_id: self.order_id.clone(),
            status: self.status,
            reference: self.reference.clone(),
            decline_code: self.decline_code,
        }
    }

    /// Moves a decided order to its final status.
    pub(super) fn settle(&mut self, status: OrderStatus, decline_code: Option<DeclineCode>) {
        self.status = status;
        self.decline_code = decline_code;
        self.charged = status == OrderStatus::Approved;
        self.reference = Some(new_reference());
    }
}

/// The response for a request that left nothing behind.
pub(super) fn echo(request: &AuthoriseRequest) -> OrderResponse {
    OrderResponse {
        order_id: request.order_id.clone(),
        status: OrderStatus::Declined,
        amount_minor: request.amount_minor,
        currency: request.currency.clone(),
        reference: None,
        decline_code: None,
        challenge: None,
        three_ds: None,
    }
}

fn new_reference() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("SBX{}", id[..12].to_ascii_uppercase())
}

impl Engine {
    pub fn order(&self, order_id: &str) -> Option<OrderResponse> {
        let state = self.state();
        let index = *state.by_id.get(order_id)?;
        Some(state.orders[index].response(&self.acs_base_url))
    }

    /// Refunds an approved order (whole or in part, once). Idempotent for the
    /// same amount.
    pub fn refund(&self, order_id: &str, amount_minor: i64) -> Result<OrderResponse, EngineError> {
        let mut state = self.state();
        let index = *state.by_id.get(order_id).ok_or(EngineError::NotFound)?;
        let order = &mut state.orders[index];
        if amount_minor <= 0 || amount_minor > order.amount_minor {
            return Err(EngineError::Invalid(
                "amount_minor must be positive and at most the order's amount".to_owned(),
            ));
        }
        match order.status {
            OrderStatus::Approved => {
                order.status = OrderStatus::Refunded;
                order.refunded_minor = Some(amount_minor);
                tracing::info!(order_id, amount_minor, "refunded");
            }
            OrderStatus::Refunded if order.refunded_minor == Some(amount_minor) => {}
            OrderStatus::Refunded => {
                return Err(EngineError::Conflict);
            }
            OrderStatus::Declined | OrderStatus::ChallengeRequired => {
                return Err(EngineError::Conflict);
            }
        }
        Ok(order.response(&self.acs_base_url))
    }

    /// Every charge: orders approved, or approved and later refunded, oldest first.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.state()
            .orders
            .iter()
            .filter(|order| order.charged)
            .map(Order::ledger_entry)
            .collect()
    }

    /// Every order kept, charged or not, oldest first.
    pub fn all_orders(&self) -> Vec<LedgerEntry> {
        self.state()
            .orders
            .iter()
            .map(Order::ledger_entry)
            .collect()
    }

    /// Every authorisation that reached the engine, repeats and invalid ones included.
    pub fn authorise_requests(&self) -> usize {
        self.state().authorise_requests
    }

    /// How many orders were charged.
    pub fn charges(&self) -> usize {
        self.state().orders.iter().filter(|o| o.charged).count()
    }
}

/// The issuer's challenge of an order, while it lasts.
pub(super) struct ChallengeState {
    pub(super) token: String,
    pub(super) code: String,
    pub(super) return_url: String,
    pub(super) outcome: Option<ChallengeOutcome>,
}

impl ChallengeState {
    /// A fresh challenge with a random token (also the `cres`) and a
    /// six-digit one-time code.
    pub(super) fn new(return_url: &str) -> Self {
        Self {
            token: uuid::Uuid::new_v4().simple().to_string(),
            code: format!("{:06}", random_u64() % 1_000_000),
            return_url: return_url.to_owned(),
            outcome: None,
        }
    }
}

/// How the cardholder answered a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeOutcome {
    Passed,
    Failed,
}
