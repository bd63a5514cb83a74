//! The webhook outbox as the delivery worker sees it: events claimed for a
//! while by one server (a lease in the database's time, so two servers
//! never send the same event at once, and a server that dies mid-delivery
//! leaves it to another once the lease runs out), only the first pending
//! event of each payment request (so they arrive in order), and every
//! attempt written down with what came of it.

use super::StoreError;
use super::agencies::WebhookEndpoint;
use super::backend::Backend;
use super::issued::RequestEventRecord;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A claimed event, with where it goes.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub event: RequestEventRecord,
    pub agency_id: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub pending_since: DateTime<Utc>,
    /// `None`: the agency has since removed its endpoint.
    pub endpoint: Option<WebhookEndpoint>,
}

/// One delivery attempt and what follows from it.
#[derive(Clone, Debug)]
pub struct AttemptRecord<'a> {
    pub event_id: &'a str,
    pub attempt: u32,
    pub agency_id: &'a str,
    pub url: &'a str,
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<&'a str>,
    pub latency_ms: i64,
    /// `delivered`, `pending` (tried again at `next_attempt_at`) or `dead`.
    pub outcome: &'a str,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// An attempt as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptRow {
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: i64,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// An endpoint whose deliveries are failing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingEndpoint {
    pub agency_id: String,
    pub agency_name: String,
    pub url: Option<String>,
    /// Events being retried after a failure, and given up on.
    pub retrying: i64,
    pub dead: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
}

/// An event whose delivery failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingEvent {
    pub id: String,
    pub code: String,
    pub kind: String,
    pub at: DateTime<Utc>,
    /// `pending` (retrying) or `dead`.
    pub delivery: String,
    pub attempts: i64,
    /// The last attempt's HTTP status or error.
    pub last_answer: Option<String>,
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Leases up to `limit` due events to `owner` until `until`.
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// Writes the attempt down and, while `owner` still holds the lease,
    /// the event's new delivery state.
    async fn record_attempt(
        &self,
        owner: &str,
        attempt: &AttemptRecord<'_>,
    ) -> Result<(), StoreError>;
    /// Sends an event again from now; false when there is no such event of
    /// an agency with an endpoint.
    async fn redeliver(&self, event_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError>;
    /// The delivery state of an event (`none`, `pending`, `delivered`, `dead`).
    async fn delivery_state(&self, event_id: &str) -> Result<Option<String>, StoreError>;
    async fn delivery_attempts(&self, event_id: &str) -> Result<Vec<AttemptRow>, StoreError>;
    async fn failing_endpoints(&self) -> Result<Vec<FailingEndpoint>, StoreError>;
    /// An agency's events whose delivery failed (retrying or given up),
    /// newest first, with the last attempt's answer.
    async fn failing_events(
        &self,
        agency_id: &str,
        limit: i64,
    ) -> Result<Vec<FailingEvent>, StoreError>;
    /// A refund's amount in tyiyn, for its events.
    async fn refund_amount(&self, refund_id: &str) -> Result<Option<i64>, StoreError>;
}

const CLAIM: &str = "UPDATE request_events SET lease_owner = ?, lease_until = ?
     WHERE seq IN (
         SELECT e.seq FROM request_events e
         WHERE e.delivery = 'pending' AND e.next_attempt_at <= ?
           AND (e.lease_until IS NULL OR e.lease_until <= ?)
           AND NOT EXISTS (SELECT 1 FROM request_events o
                           WHERE o.code = e.code AND o.seq < e.seq AND o.delivery = 'pending')
         ORDER BY e.next_attempt_at LIMIT ?)
       AND delivery = 'pending' AND (lease_until IS NULL OR lease_until <= ?)";
const CLAIMED: &str = "SELECT e.id, e.code, e.type, e.refund_id, e.at, e.agency_id, e.attempts,
            e.pending_since, a.webhook_url, a.webhook_secret, a.previous_webhook_secret,
            a.previous_secret_until
     FROM request_events e LEFT JOIN agencies a ON a.id = e.agency_id
     WHERE e.lease_owner = ? AND e.delivery = 'pending' ORDER BY e.seq";
const INSERT_ATTEMPT: &str = "INSERT INTO webhook_attempts
       (event_id, attempt, agency_id, url, at, status_code, error, latency_ms, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
const SETTLE: &str = "UPDATE request_events
     SET delivery = ?, attempts = attempts + 1, next_attempt_at = COALESCE(?, next_attempt_at),
         delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,
         lease_owner = NULL, lease_until = NULL
     WHERE id = ? AND lease_owner = ? AND delivery = 'pending'";
const REDELIVER: &str = "UPDATE request_events
     SET delivery = 'pending', next_attempt_at = ?, pending_since = ?,
         lease_owner = NULL, lease_until = NULL
     WHERE id = ? AND delivery <> 'pending'
       AND EXISTS (SELECT 1 FROM agencies a
                   WHERE a.id = request_events.agency_id AND a.webhook_url IS NOT NULL)";
const DUE: &str = "SELECT seq FROM request_events
     WHERE delivery = 'pending' AND next_attempt_at <= ? LIMIT 1";
const REFUND_AMOUNT: &str = "SELECT amount_tyiyn FROM refunds WHERE id = ?";
const DELIVERY_STATE: &str = "SELECT delivery FROM request_events WHERE id = ?";
const ATTEMPTS: &str = "SELECT attempt, status_code, error, latency_ms, next_attempt_at
     FROM webhook_attempts WHERE event_id = ? ORDER BY attempt";
const FAILING: &str = "SELECT a.id, a.name, a.webhook_url,
            SUM(CASE WHEN e.delivery = 'pending' THEN 1 ELSE 0 END),
            SUM(CASE WHEN e.delivery = 'dead' THEN 1 ELSE 0 END),
            MIN(CASE WHEN e.delivery = 'pending' THEN e.pending_since END)
     FROM agencies a JOIN request_events e ON e.agency_id = a.id
     WHERE (e.delivery = 'pending' AND e.attempts > 0) OR e.delivery = 'dead'
     GROUP BY a.id, a.name, a.webhook_url ORDER BY a.id";
const FAILING_EVENTS: &str = "SELECT e.id, e.code, e.type, e.at, e.delivery, e.attempts,
            (SELECT COALESCE(CAST(w.status_code AS TEXT), w.error) FROM webhook_attempts w
             WHERE w.event_id = e.id ORDER BY w.attempt DESC LIMIT 1)
     FROM request_events e
     WHERE e.agency_id = ? AND (e.delivery = 'dead' OR (e.delivery = 'pending' AND e.attempts > 0))
     ORDER BY e.seq DESC LIMIT ?";

fn failing_event(row: &dyn Row) -> Result<FailingEvent, StoreError> {
    Ok(FailingEvent {
        id: required(row.text(0)?, "event id")?,
        code: required(row.text(1)?, "event code")?,
        kind: required(row.text(2)?, "event type")?,
        at: required(row.time(3)?, "event time")?,
        delivery: required(row.text(4)?, "delivery")?,
        attempts: row.int(5)?.unwrap_or(0),
        last_answer: row.text(6)?,
    })
}

fn delivery(row: &dyn Row) -> Result<Delivery, StoreError> {
    let endpoint = match (row.text(8)?, row.text(9)?) {
        (Some(url), Some(secret)) => Some(WebhookEndpoint {
            url,
            secret,
            previous_secret: row.text(10)?,
            previous_until: row.time(11)?,
        }),
        _ => None,
    };
    Ok(Delivery {
        event: super::issued::decode_event(row)?,
        agency_id: required(row.text(5)?, "event agency")?,
        attempts: u32::try_from(required(row.int(6)?, "attempts")?)
            .map_err(|_| StoreError::Corrupt("attempts"))?,
        pending_since: required(row.time(7)?, "pending since")?,
        endpoint,
    })
}

fn attempt(row: &dyn Row) -> Result<AttemptRow, StoreError> {
    Ok(AttemptRow {
        attempt: u32::try_from(required(row.int(0)?, "attempt")?)
            .map_err(|_| StoreError::Corrupt("attempt"))?,
        status_code: row.int(1)?.and_then(|c| u16::try_from(c).ok()),
        error: row.text(2)?,
        latency_ms: required(row.int(3)?, "latency")?,
        next_attempt_at: row.time(4)?,
    })
}

fn failing(row: &dyn Row) -> Result<FailingEndpoint, StoreError> {
    Ok(FailingEndpoint {
        agency_id: required(row.text(0)?, "agency id")?,
        agency_name: required(row.text(1)?, "agency name")?,
        url: row.text(2)?,
        retrying: row.int(3)?.unwrap_or(0),
        dead: row.int(4)?.unwrap_or(0),
        oldest_pending: row.time(5)?,
    })
}

#[async_trait]
impl<B: Backend> WebhookStore for SqlStore<B> {
    async fn claim_deliveries(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        // A read first: most rounds find nothing due, and a read costs the
        // writer nothing.
        let due = self
            .backend()
            .fetch(statement!(DUE, now), super::queries::count)
            .await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let claimed = self
            .backend()
            .execute(statement!(CLAIM, owner, until, now, now, limit, now))
            .await?;
        if claimed == 0 {
            return Ok(Vec::new());
        }
        self.backend()
            .fetch(statement!(CLAIMED, owner), delivery)
            .await
    }

    async fn record_attempt(&self, owner: &str, a: &AttemptRecord<'_>) -> Result<(), StoreError> {
        self.backend()
            .execute_all(vec![
                statement!(
                    INSERT_ATTEMPT,
                    a.event_id,
                    i64::from(a.attempt),
                    a.agency_id,
                    a.url,
                    a.at,
                    a.status_code.map(i64::from),
                    a.error,
                    a.latency_ms,
                    a.next_attempt_at,
                ),
                statement!(
                    SETTLE,
                    a.outcome,
                    a.next_attempt_at,
                    a.outcome,
                    a.at,
                    a.event_id,
                    owner,
                ),
            ])
            .await
            .map(drop)
    }

    async fn redeliver(&self, event_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .backend()
            .execute(statement!(REDELIVER, now, now, event_id))
            .await?;
        Ok(changed == 1)
    }

    async fn delivery_state(&self, event_id: &str) -> Result<Option<String>, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(DELIVERY_STATE, event_id), super::queries::text)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn delivery_attempts(&self, event_id: &str) -> Result<Vec<AttemptRow>, StoreError> {
        self.backend()
            .fetch(statement!(ATTEMPTS, event_id), attempt)
            .await
    }

    async fn failing_endpoints(&self) -> Result<Vec<FailingEndpoint>, StoreError> {
        self.backend().fetch(statement!(FAILING), failing).await
    }

    async fn failing_events(
        &self,
        agency_id: &str,
        limit: i64,
    ) -> Result<Vec<FailingEvent>, StoreError> {
        self.backend()
            .fetch(statement!(FAILING_EVENTS, agency_id, limit), failing_event)
            .await
    }

    async fn refund_amount(&self, refund_id: &str) -> Result<Option<i64>, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(REFUND_AMOUNT, refund_id), super::queries::count)
            .await?;
        Ok(rows.into_iter().next())
    }
}
