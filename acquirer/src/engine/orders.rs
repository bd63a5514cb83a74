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
use std::collections::{HashMap, VecDeque};
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

/// How many orders the engine keeps, the oldest going first. The sandbox
/// runs for weeks inside a server in test mode, and keeping every order
/// would grow its memory with every payment (about half a kilobyte each);
/// the merchant asks about recent orders only (status, challenge, refund),
/// and an order forgotten answers "no such order", as for any unknown id.
pub const ORDERS_KEPT: usize = 2_000;

/// The orders kept, numbered in the order they came (the oldest kept is
/// number `first`), with the indexes the calls look orders up by.
pub(super) struct State {
    orders: VecDeque<Order>,
    first: usize,
    capacity: usize,
    pub(super) by_id: HashMap<String, usize>,
    pub(super) by_token: HashMap<String, usize>,
    pub(super) authorise_requests: usize,
    /// Status queries and refund calls per order id, known or not: tests
    /// count how often the merchant asked (reconciliation must not flood the
    /// acquirer), including the questions answered "no such order".
    pub(super) status_requests: HashMap<String, usize>,
    pub(super) refund_requests: HashMap<String, usize>,
}

impl Default for State {
    fn default() -> Self {
        State::keeping(ORDERS_KEPT)
    }
}

impl State {
    /// A state that keeps at most `capacity` orders (at least one).
    pub(super) fn keeping(capacity: usize) -> State {
        State {
            orders: VecDeque::new(),
            first: 0,
            capacity: capacity.max(1),
            by_id: HashMap::new(),
            by_token: HashMap::new(),
            authorise_requests: 0,
            status_requests: HashMap::new(),
            refund_requests: HashMap::new(),
        }
    }

    /// The number of an order that exists at `now`.
    pub(super) fn find(&self, order_id: &str, now: Instant) -> Option<usize> {
        let number = *self.by_id.get(order_id)?;
        self.order(number).visible(now).then_some(number)
    }

    /// The order of a number the indexes gave (they name kept orders only).
    pub(super) fn order(&self, number: usize) -> &Order {
        &self.orders[number - self.first]
    }

    pub(super) fn order_mut(&mut self, number: usize) -> &mut Order {
        &mut self.orders[number - self.first]
    }

    /// The number the next order will have.
    pub(super) fn next_number(&self) -> usize {
        self.first + self.orders.len()
    }

    /// Keeps `order` under its id; forgets the oldest order, with what is
    /// counted about it, when more than the capacity are kept.
    pub(super) fn keep(&mut self, order: Order) -> usize {
        let number = self.next_number();
        self.by_id.insert(order.order_id.clone(), number);
        self.orders.push_back(order);
        while self.orders.len() > self.capacity {
            let Some(old) = self.orders.pop_front() else {
                break;
            };
            self.first += 1;
            self.by_id.remove(&old.order_id);
            if let Some(challenge) = &old.challenge {
                self.by_token.remove(&challenge.token);
            }
            self.status_requests.remove(&old.order_id);
            self.refund_requests.remove(&old.order_id);
        }
        number
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::CardData;

    fn order(id: &str) -> Order {
        let request = AuthoriseRequest {
            order_id: id.to_owned(),
            amount_minor: 100,
            currency: "KGS".to_owned(),
            card: CardData {
                number: String::from("4111111111111111").into(),
                exp_month: 12,
                exp_year: 2030,
                cvv: String::from("123").into(),
                holder: "AIBEK ASANOV".to_owned(),
            },
            return_url: "/return".to_owned(),
        };
        Order::new(&request, String::new(), OrderStatus::Approved, None)
    }

    #[test]
    fn the_oldest_orders_are_forgotten_beyond_the_capacity() {
        let mut state = State::keeping(2);
        let now = Instant::now();
        for id in ["a", "b", "c"] {
            state.status_requests.insert(id.to_owned(), 1);
            let number = state.next_number();
            assert_eq!(state.keep(order(id)), number);
        }
        assert_eq!(state.find("a", now), None, "forgotten");
        assert!(!state.status_requests.contains_key("a"));
        let b = state.find("b", now).expect("kept");
        assert_eq!(state.order(b).order_id, "b");
        let c = state.find("c", now).expect("kept");
        state.order_mut(c).refund_calls = 7;
        assert_eq!(state.order(c).refund_calls, 7);
        assert_eq!(state.visible(now).count(), 2);
        assert_eq!(state.by_id.len(), 2);
    }
}
