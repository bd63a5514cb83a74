//! The calls that read orders or refund them, and the per-order counters
//! tests use to see how often the merchant asked.
//!
//! Every read goes through the state's `find` or `visible` (`orders`), so
//! an order whose charge is still being recorded (the `late_charge` and
//! `in_flight_not_found` faults) is nowhere to be seen: no such order, not
//! in the ledger, not refundable, as a real acquirer that has not yet
//! written the charge down would answer.

use super::orders::Order;
use super::{Engine, EngineError};
use crate::protocol::{LedgerEntry, OrderResponse, OrderStatus};
use tokio::time::Instant;

impl Engine {
    /// The order as it stands, for inspection: counts nothing (see
    /// [`Engine::status`] for the merchant's status query).
    pub fn order(&self, order_id: &str) -> Option<OrderResponse> {
        let state = self.state();
        let index = state.find(order_id, Instant::now())?;
        Some(state.orders[index].response(&self.acs_base_url))
    }

    /// The merchant's status query (`GET /v1/orders/{id}`): the order, or
    /// `None` for no such order, counted in [`Engine::status_requests`]
    /// either way. An in-process merchant should ask through this too.
    pub fn status(&self, order_id: &str) -> Option<OrderResponse> {
        let mut state = self.state();
        *state
            .status_requests
            .entry(order_id.to_owned())
            .or_default() += 1;
        let index = state.find(order_id, Instant::now())?;
        Some(state.orders[index].response(&self.acs_base_url))
    }

    /// Refunds an approved order (whole or in part, once). Idempotent for the
    /// same amount. With [`FaultPlan::refund_failures`](super::FaultPlan)
    /// set to N, the first N calls on each order answer
    /// [`EngineError::Unavailable`] whatever they ask, and refund nothing.
    pub fn refund(&self, order_id: &str, amount_minor: i64) -> Result<OrderResponse, EngineError> {
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
        let order = &mut state.orders[index];
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

    /// How much of an order has been refunded: `None` for no such order (or
    /// one still in flight), `Some(0)` when nothing was refunded.
    pub fn refunded_minor(&self, order_id: &str) -> Option<i64> {
        let state = self.state();
        let index = state.find(order_id, Instant::now())?;
        Some(state.orders[index].refunded_minor.unwrap_or(0))
    }

    /// Every charge: orders approved, or approved and later refunded, oldest first.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.state()
            .visible(Instant::now())
            .filter(|order| order.charged)
            .map(Order::ledger_entry)
            .collect()
    }

    /// Every order kept, charged or not, oldest first.
    pub fn all_orders(&self) -> Vec<LedgerEntry> {
        self.state()
            .visible(Instant::now())
            .map(Order::ledger_entry)
            .collect()
    }

    /// Every authorisation that reached the engine, repeats and invalid ones included.
    pub fn authorise_requests(&self) -> usize {
        self.state().authorise_requests
    }

    /// How many status queries ([`Engine::status`]) asked about this order
    /// id, those answered "no such order" included.
    pub fn status_requests(&self, order_id: &str) -> usize {
        let state = self.state();
        state.status_requests.get(order_id).copied().unwrap_or(0)
    }

    /// How many refund calls named this order id, refused ones included.
    pub fn refund_requests(&self, order_id: &str) -> usize {
        let state = self.state();
        state.refund_requests.get(order_id).copied().unwrap_or(0)
    }

    /// How many orders were charged.
    pub fn charges(&self) -> usize {
        self.state()
            .visible(Instant::now())
            .filter(|order| order.charged)
            .count()
    }
}
