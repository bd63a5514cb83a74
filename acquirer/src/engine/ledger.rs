//! The calls that read orders, and the per-order counters
//! tests use to see how often the merchant asked.
//!
//! Every read goes through the state's `find` or `visible` (`orders`), so
//! an order whose charge is still being recorded (the `late_charge` and
//! `in_flight_not_found` faults) is nowhere to be seen: no such order, not
//! in the ledger, not refundable (`refunds` reads through `find` too), as a real acquirer that has not yet
//! written the charge down would answer.

use super::Engine;
use super::orders::Order;
use crate::protocol::{LedgerEntry, OrderResponse};
use tokio::time::Instant;

impl Engine {
    /// The order as it stands, for inspection: counts nothing (see
    /// [`Engine::status`] for the merchant's status query).
    pub fn order(&self, order_id: &str) -> Option<OrderResponse> {
        let state = self.state();
        let index = state.find(order_id, Instant::now())?;
        Some(state.order(index).response(&self.acs_base_url))
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
        Some(state.order(index).response(&self.acs_base_url))
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
