//! What is waiting to be finished, for monitoring: payments whose outcome
//! is not settled yet (the reconciliation worker's backlog) and webhook
//! events not yet delivered (the courier's), each with its oldest. Both
//! read partial indexes of what is pending, so a scrape costs little
//! however many payments are settled.

use super::StoreError;
use super::backend::Backend;
use super::queries::unsettled;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// How much is waiting, and since when.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Payments not yet succeeded, declined, failed or expired.
    pub unsettled_payments: i64,
    pub oldest_unsettled: Option<DateTime<Utc>>,
    /// Webhook events waiting for delivery (retrying included).
    pub pending_webhooks: i64,
    pub oldest_pending_webhook: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait BacklogStore: Send + Sync {
    async fn backlog(&self) -> Result<Backlog, StoreError>;
}

const UNSETTLED: &str = concat!(
    "SELECT COUNT(*), MIN(created_at) FROM payments WHERE ",
    unsettled!()
);
const PENDING_WEBHOOKS: &str =
    "SELECT COUNT(*), MIN(pending_since) FROM request_events WHERE delivery = 'pending'";

fn waiting(row: &dyn Row) -> Result<(i64, Option<DateTime<Utc>>), StoreError> {
    Ok((required(row.int(0)?, "count")?, row.time(1)?))
}

#[async_trait]
impl<B: Backend> BacklogStore for SqlStore<B> {
    async fn backlog(&self) -> Result<Backlog, StoreError> {
        let read = |sql: &'static str| async move {
            self.backend()
                .fetch(statement!(sql), waiting)
                .await
                .map(|rows| rows.into_iter().next().unwrap_or((0, None)))
        };
        let (unsettled_payments, oldest_unsettled) = read(UNSETTLED).await?;
        let (pending_webhooks, oldest_pending_webhook) = read(PENDING_WEBHOOKS).await?;
        Ok(Backlog {
            unsettled_payments,
            oldest_unsettled,
            pending_webhooks,
            oldest_pending_webhook,
        })
    }
}
