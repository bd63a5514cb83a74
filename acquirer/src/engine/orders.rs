//! What the engine keeps of each order and how an order answers (response,
//! ledger entry, notification); `ledger` holds the calls that read orders
//! or refund them. An order never holds the full card number or the CVV
//! (see the engine's docs for what it keeps instead).

use super::cards::{CardBehaviour, card_behaviour};
use super::faults::random_u64;
use super::refunds::OrderRefund;
use super::validate::brand;
use crate::protocol::{
    AuthoriseRequest, Challenge, DeclineCode, LedgerEntry, Notification, OrderResponse,
    OrderStatus, ThreeDsMode,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use tokio::time::Instant;

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
    /// Every refund asked for, declined ones included, in order.
    pub(super) refunds: Vec<OrderRefund>,
    /// What the card does to refunds (its test card).
    pub(super) refund_behaviour: CardBehaviour,
    pub(super) charged: bool,
    created_at: DateTime<Utc>,
    /// A late-recorded charge (`late_charge`, `in_flight_not_found`) exists
    /// only from this instant on: every read filters on it, so the order is
    /// kept (and a repeated request recognised) while it is in flight,
    /// without a task that has to insert it on time.
    pub(super) visible_from: Option<Instant>,
    /// Refund calls that reached this order, for `FaultPlan::refund_failures`.
    pub(super) refund_calls: u32,
}

/// Every order, with the indexes the calls look orders up by.
#[derive(Default)]
pub(super) struct State {
    pub(super) orders: Vec<Order>,
    pub(super) by_id: HashMap<String, usize>,
    pub(super) by_token: HashMap<String, usize>,
    pub(super) authorise_requests: usize,
    /// Status queries and refund calls per order id, known or not: tests
    /// count how often the merchant asked (reconciliation must not flood the
    /// acquirer), including the questions answered "no such order".
    pub(super) status_requests: HashMap<String, usize>,
    pub(super) refund_requests: HashMap<String, usize>,
}

impl State {
    /// The index of an order that exists at `now`.
    pub(super) fn find(&self, order_id: &str, now: Instant) -> Option<usize> {
        let index = *self.by_id.get(order_id)?;
        self.orders[index].visible(now).then_some(index)
    }

    /// The orders that exist at `now`, oldest first.
    pub(super) fn visible(&self, now: Instant) -> impl Iterator<Item = &Order> {
        self.orders.iter().filter(move |order| order.visible(now))
    }
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
            refunds: Vec::new(),
            refund_behaviour: card_behaviour(number),
            charged: false,
            created_at: Utc::now(),
            visible_from: None,
            refund_calls: 0,
        }
    }

    /// The sum of the refunds that succeeded; `None` before any did.
    pub(super) fn refunded_minor(&self) -> Option<i64> {
        self.refunds
            .iter()
            .filter(|refund| refund.succeeded())
            .map(|refund| refund.amount_minor)
            .reduce(|a, b| a + b)
    }

    /// Whether the order has been recorded by `now`.
    pub(super) fn visible(&self, now: Instant) -> bool {
        self.visible_from.is_none_or(|from| now >= from)
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
            refunded_minor: self.refunded_minor(),
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

pub(super) fn new_reference() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("SBX{}", id[..12].to_ascii_uppercase())
}

/// The issuer's challenge of an order, while it lasts.
pub(super) struct ChallengeState {
    pub(super) token: String,
    pub(super) code: String,
    pub(super) return_url: String,
    pub(super) outcome: Option<ChallengeOutcome>,
    /// The `early_notification` fault: a pass charges at once and the page
    /// waits for the notification's delivery before sending the browser back.
    pub(super) early_notification: bool,
}

impl ChallengeState {
    /// A fresh challenge with a random token (also the `cres`) and a
    /// six-digit one-time code.
    pub(super) fn new(return_url: &str, early_notification: bool) -> Self {
        Self {
            token: uuid::Uuid::new_v4().simple().to_string(),
            code: format!("{:06}", random_u64() % 1_000_000),
            return_url: return_url.to_owned(),
            outcome: None,
            early_notification,
        }
    }
}

/// How the cardholder answered a challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeOutcome {
    Passed,
    Failed,
}
