//! Refunds as stored: each with its state ([`domain::RefundState`]), its
//! attempts and when it is next due, and an event for every move; plus the
//! per-payment lease that lets one server at a time ask the acquirer about
//! a payment. Written once over the [`Backend`] contract, like the store.

use super::backend::Backend;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use super::{PaymentRecord, StoreError, queries};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{Money, PaymentId, RefundCause, RefundState};

/// A refund as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: String,
    pub payment_id: PaymentId,
    pub amount: Money,
    pub state: RefundState,
    pub cause: RefundCause,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub reference: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// For a refund a person asked for: the staff member (email) and reason.
    pub asked_by: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundEvent {
    pub refund_id: String,
    pub from: Option<RefundState>,
    pub to: RefundState,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A refund owed, recorded in `required`.
#[derive(Clone, Debug)]
pub struct NewRefund<'a> {
    pub id: &'a str,
    pub payment_id: &'a PaymentId,
    pub amount: Money,
    pub cause: RefundCause,
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

/// One guarded move of a refund.
#[derive(Clone, Debug)]
pub struct RefundMove<'a> {
    pub from: RefundState,
    pub to: RefundState,
    pub reason: &'a str,
    pub reference: Option<&'a str>,
    /// When the worker may next look at it.
    pub next_attempt_at: DateTime<Utc>,
    /// Whether this move sends it (counts an attempt).
    pub attempt: bool,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait RefundStore: Send + Sync {
    /// Records a refund owed, with its first event, in one transaction;
    /// false when an automatic refund for that payment exists already.
    async fn require_refund(&self, refund: NewRefund<'_>) -> Result<bool, StoreError>;
    /// Moves a refund still in `change.from`, with its event; false when
    /// someone else moved it first.
    async fn move_refund(&self, id: &str, change: RefundMove<'_>) -> Result<bool, StoreError>;
    /// Refunds not final whose next attempt is due by `now`, oldest due first.
    async fn due_refunds(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<RefundRecord>, StoreError>;
    async fn refunds_of(&self, payment: &PaymentId) -> Result<Vec<RefundRecord>, StoreError>;
    /// Every refund's events of a payment, in order.
    async fn refund_events(&self, payment: &PaymentId) -> Result<Vec<RefundEvent>, StoreError>;
    /// Every refund, for reports and tests.
    async fn all_refunds(&self) -> Result<Vec<RefundRecord>, StoreError>;

    /// The database's time: the clock every server shares.
    async fn database_now(&self) -> Result<DateTime<Utc>, StoreError>;
    /// Takes the right to ask the acquirer about a payment until `hold` has
    /// passed (in the database's time); false while another holds it.
    async fn claim_status_check(
        &self,
        id: &PaymentId,
        hold: chrono::Duration,
    ) -> Result<bool, StoreError>;
    /// Records that the acquirer answered about the payment at `at`, and
    /// leaves it alone for `quiet` (in the database's time).
    async fn mark_checked(
        &self,
        id: &PaymentId,
        at: DateTime<Utc>,
        quiet: chrono::Duration,
    ) -> Result<(), StoreError>;
    /// Payments whose outcome only the acquirer knows: every `unknown` one
    /// and `authorising` ones unchanged since `stale_before`; those asked
    /// about longest ago first, so payments whose queries keep failing
    /// cannot starve the rest.
    async fn unsettled_payments(
        &self,
        stale_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PaymentRecord>, StoreError>;
}

macro_rules! refund_columns {
    () => {
        "SELECT id, payment_id, amount_tyiyn, status, cause, attempts, next_attempt_at,
                processor_reference, created_at, updated_at, asked_by, note
         FROM refunds "
    };
}

const INSERT_REFUND: &str = "INSERT INTO refunds
       (id, payment_id, amount_tyiyn, status, cause, attempts, next_attempt_at,
        created_at, updated_at)
     VALUES (?, ?, ?, 'required', ?, 0, ?, ?, ?)
     ON CONFLICT DO NOTHING";
/// The event of a move, written only if the move was (the refund is in its
/// new state, changed at this very time).
pub(super) const INSERT_REFUND_EVENT: &str = "INSERT INTO refund_events
       (refund_id, payment_id, from_state, to_state, reason, at)
     SELECT id, payment_id, ?, ?, ?, ? FROM refunds
     WHERE id = ? AND status = ? AND updated_at = ?";
/// The agency's event of a refund's outcome, written with the move that
/// reached it (the refund is in that state, changed at this very time).
const INSERT_REFUND_OUTCOME_EVENT: &str = concat!(
    "INSERT INTO request_events
       (id, code, agency_id, type, refund_id, at, delivery, next_attempt_at, pending_since)
     SELECT ?, r.code, r.agency_id, ?, f.id, ?, ",
    queries::delivery_for!("r.agency_id"),
    ", ?, ?
     FROM refunds f JOIN payments p ON p.id = f.payment_id
       JOIN payment_requests r ON r.code = p.code
     WHERE f.id = ? AND f.status = ? AND f.updated_at = ? AND r.agency_id IS NOT NULL"
);
/// An asked refund that failed gives back what it held of the payment,
/// with the move that failed it (the refund is failed, changed at this
/// very time).
const RELEASE_FAILED_REFUND: &str = "UPDATE payments
     SET refunds_tyiyn = refunds_tyiyn - (SELECT amount_tyiyn FROM refunds
       WHERE id = ? AND cause = 'requested' AND status = 'failed' AND updated_at = ?)
     WHERE id = (SELECT payment_id FROM refunds
       WHERE id = ? AND cause = 'requested' AND status = 'failed' AND updated_at = ?)";
const MOVE_REFUND: &str = "UPDATE refunds
     SET status = ?, processor_reference = COALESCE(?, processor_reference),
         next_attempt_at = ?, attempts = attempts + ?, updated_at = ?
     WHERE id = ? AND status = ?";
const DUE_REFUNDS: &str = concat!(
    refund_columns!(),
    "WHERE status IN ('required', 'submitted', 'unknown') AND next_attempt_at <= ?
     ORDER BY next_attempt_at LIMIT ?"
);
const REFUNDS_OF: &str = concat!(
    refund_columns!(),
    "WHERE payment_id = ? ORDER BY created_at"
);
const ALL_REFUNDS: &str = concat!(refund_columns!(), "ORDER BY created_at");
const REFUND_EVENTS: &str = "SELECT refund_id, from_state, to_state, reason, at
     FROM refund_events WHERE payment_id = ? ORDER BY seq";
const CLAIM_STATUS_CHECK: &str = "UPDATE payments SET check_lease_until = ?
     WHERE id = ? AND status IN ('authorising', 'unknown')
       AND (check_lease_until IS NULL OR check_lease_until <= ?)";
const MARK_CHECKED: &str =
    "UPDATE payments SET last_checked_at = ?, check_lease_until = ? WHERE id = ?";
const UNSETTLED_PAYMENTS: &str = concat!(
    queries::payment_columns!(),
    "WHERE ",
    queries::unsettled!(),
    " AND (status = 'unknown' OR (status = 'authorising' AND updated_at < ?))
     ORDER BY COALESCE(last_checked_at, updated_at) LIMIT ?"
);

fn refund(row: &dyn Row) -> Result<RefundRecord, StoreError> {
    Ok(RefundRecord {
        id: required(row.text(0)?, "refund id")?,
        payment_id: PaymentId::parse(&required(row.text(1)?, "refund's payment")?)
            .map_err(|_| StoreError::Corrupt("refund's payment"))?,
        amount: Money::from_tyiyn(required(row.int(2)?, "refund amount")?)
            .map_err(|_| StoreError::Corrupt("refund amount"))?,
        state: refund_state(row.text(3)?)?,
        cause: RefundCause::from_str_opt(&required(row.text(4)?, "refund cause")?)
            .ok_or(StoreError::Corrupt("refund cause"))?,
        attempts: u32::try_from(required(row.int(5)?, "refund attempts")?)
            .map_err(|_| StoreError::Corrupt("refund attempts"))?,
        next_attempt_at: required(row.time(6)?, "refund due")?,
        reference: row.text(7)?,
        created_at: required(row.time(8)?, "refund created")?,
        updated_at: required(row.time(9)?, "refund updated")?,
        asked_by: row.text(10)?,
        note: row.text(11)?,
    })
}

fn refund_state(text: Option<String>) -> Result<RefundState, StoreError> {
    RefundState::from_str_opt(&required(text, "refund status")?)
        .ok_or(StoreError::Corrupt("refund status"))
}

fn refund_event(row: &dyn Row) -> Result<RefundEvent, StoreError> {
    Ok(RefundEvent {
        refund_id: required(row.text(0)?, "refund id")?,
        from: row.text(1)?.map(|s| refund_state(Some(s))).transpose()?,
        to: refund_state(row.text(2)?)?,
        reason: required(row.text(3)?, "refund event reason")?,
        at: required(row.time(4)?, "refund event time")?,
    })
}

#[async_trait]
impl<B: Backend> RefundStore for SqlStore<B> {
    async fn require_refund(&self, refund: NewRefund<'_>) -> Result<bool, StoreError> {
        let changed = self
            .backend()
            .execute_all(vec![
                statement!(
                    INSERT_REFUND,
                    refund.id,
                    refund.payment_id.as_str(),
                    refund.amount.tyiyn(),
                    refund.cause.as_str(),
                    refund.at,
                    refund.at,
                    refund.at,
                ),
                statement!(
                    INSERT_REFUND_EVENT,
                    None::<&str>,
                    RefundState::Required.as_str(),
                    refund.reason,
                    refund.at,
                    refund.id,
                    RefundState::Required.as_str(),
                    refund.at,
                ),
            ])
            .await?;
        Ok(changed.first() == Some(&1))
    }

    async fn move_refund(&self, id: &str, change: RefundMove<'_>) -> Result<bool, StoreError> {
        if !change.from.can_transition_to(change.to) {
            return Err(StoreError::Corrupt("a refund cannot make that move"));
        }
        let mut statements = vec![
            statement!(
                MOVE_REFUND,
                change.to.as_str(),
                change.reference,
                change.next_attempt_at,
                i64::from(change.attempt),
                change.at,
                id,
                change.from.as_str(),
            ),
            statement!(
                INSERT_REFUND_EVENT,
                change.from.as_str(),
                change.to.as_str(),
                change.reason,
                change.at,
                id,
                change.to.as_str(),
                change.at,
            ),
        ];
        let outcome = match change.to {
            RefundState::Refunded => Some("refund.succeeded"),
            RefundState::Failed => Some("refund.failed"),
            _ => None,
        };
        if let Some(kind) = outcome {
            let event = format!("evt_{}", uuid::Uuid::new_v4().simple());
            statements.push(statement!(
                INSERT_REFUND_OUTCOME_EVENT,
                event,
                kind,
                change.at,
                change.at,
                change.at,
                id,
                change.to.as_str(),
                change.at,
            ));
        }
        if change.to == RefundState::Failed {
            statements.push(statement!(
                RELEASE_FAILED_REFUND,
                id,
                change.at,
                id,
                change.at
            ));
        }
        let changed = self.backend().execute_all(statements).await?;
        Ok(changed.first() == Some(&1))
    }

    async fn due_refunds(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<RefundRecord>, StoreError> {
        self.backend()
            .fetch(statement!(DUE_REFUNDS, now, limit), refund)
            .await
    }

    async fn refunds_of(&self, payment: &PaymentId) -> Result<Vec<RefundRecord>, StoreError> {
        self.backend()
            .fetch(statement!(REFUNDS_OF, payment.as_str()), refund)
            .await
    }

    async fn refund_events(&self, payment: &PaymentId) -> Result<Vec<RefundEvent>, StoreError> {
        self.backend()
            .fetch(statement!(REFUND_EVENTS, payment.as_str()), refund_event)
            .await
    }

    async fn all_refunds(&self) -> Result<Vec<RefundRecord>, StoreError> {
        self.backend().fetch(statement!(ALL_REFUNDS), refund).await
    }

    async fn database_now(&self) -> Result<DateTime<Utc>, StoreError> {
        self.backend().now().await
    }

    async fn claim_status_check(
        &self,
        id: &PaymentId,
        hold: chrono::Duration,
    ) -> Result<bool, StoreError> {
        let now = self.backend().now().await?;
        let claimed = self
            .backend()
            .execute(statement!(CLAIM_STATUS_CHECK, now + hold, id.as_str(), now))
            .await?;
        Ok(claimed == 1)
    }

    async fn mark_checked(
        &self,
        id: &PaymentId,
        at: DateTime<Utc>,
        quiet: chrono::Duration,
    ) -> Result<(), StoreError> {
        let now = self.backend().now().await?;
        self.backend()
            .execute(statement!(MARK_CHECKED, at, now + quiet, id.as_str()))
            .await
            .map(drop)
    }

    async fn unsettled_payments(
        &self,
        stale_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PaymentRecord>, StoreError> {
        self.backend()
            .fetch(
                statement!(UNSETTLED_PAYMENTS, stale_before, limit),
                queries::payment,
            )
            .await
    }
}
