//! Delivery of agencies' webhooks from the outbox (`request_events`, whose
//! rows are written in the transaction of the change they report): each
//! server's [`Courier`] claims due events for a while (a lease in the
//! database, so two servers never send one at once and a server that dies
//! mid-delivery leaves it to the next once the lease runs out), posts each
//! signed ([`signing`]) to its agency's endpoint, and writes down every
//! attempt. Delivery is at least once and in order per payment request;
//! a failure is retried with exponential backoff and jitter until
//! `give_up_after` has passed, then the event is dead-lettered (`server
//! webhook redeliver` sends it again). The courier also closes requests
//! whose payment window has passed (each with its `expired` event) and
//! forgets idempotent answers older than a day.

pub mod payload;
pub mod signing;

use crate::agencies::keys;
use crate::config::WebhookSettings;
use crate::storage::{AttemptRecord, Delivery, PaymentStore, StoreError};
use app::services::Clock;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Notify;

/// An endpoint's address, checked: `https://`, or in test mode plain http
/// to a loopback address (a receiver on the same machine).
pub fn endpoint_url(text: &str, test_mode: bool) -> Result<String, String> {
    let url = url::Url::parse(text.trim()).map_err(|e| format!("{text:?} is not a URL ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(host)) => host == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url.into()),
        "http" if test_mode && loopback => Ok(url.into()),
        "http" if loopback => Err("plain http is allowed only in test mode".into()),
        _ => Err("a webhook endpoint must be an https:// URL".into()),
    }
}

/// How often requests past their window are closed.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// How often old idempotent answers are forgotten.
const FORGET_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// One server's webhook deliverer.
pub struct Courier {
    pub store: Arc<dyn PaymentStore>,
    pub clock: Clock,
    pub settings: WebhookSettings,
    pub test_mode: bool,
    pub site_url: String,
    pub client: reqwest::Client,
    /// Wakes the courier when this server wrote an event.
    pub wake: Arc<Notify>,
    /// This server's name in the leases it takes.
    pub name: String,
}

impl Courier {
    pub fn new(
        store: Arc<dyn PaymentStore>,
        clock: Clock,
        settings: WebhookSettings,
        test_mode: bool,
        site_url: String,
        wake: Arc<Notify>,
    ) -> Result<Courier, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("tolem-webhooks/1")
            .build()?;
        Ok(Courier {
            store,
            clock,
            settings,
            test_mode,
            site_url,
            client,
            wake,
            name: keys::new_id("srv"),
        })
    }

    /// Delivers until the task is aborted.
    pub async fn run(self: Arc<Self>) {
        let mut swept = Instant::now() - SWEEP_EVERY;
        let mut forgot = Instant::now();
        loop {
            if swept.elapsed() >= SWEEP_EVERY {
                swept = Instant::now();
                self.sweep().await;
            }
            if forgot.elapsed() >= FORGET_EVERY {
                forgot = Instant::now();
                let before = (self.clock)() - Duration::hours(24);
                if let Err(error) = self.store.forget_answers(before).await {
                    tracing::warn!(%error, "cannot forget old idempotent answers");
                }
            }
            match self.round().await {
                // More may be due at once: go on without waiting.
                Ok(sent) if sent > 0 => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "webhook round failed"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.settings.poll) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    async fn sweep(&self) {
        let new_id = || keys::new_id("evt");
        match self
            .store
            .expire_requests((self.clock)(), 100, &new_id)
            .await
        {
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "payment requests expired"),
            Err(error) => tracing::warn!(%error, "cannot expire payment requests"),
        }
    }

    /// Claims what is due and sends it; answers how many were sent.
    pub async fn round(self: &Arc<Self>) -> Result<usize, StoreError> {
        // The server's clock is the database's (`crate::clock`): leases
        // compare alike on every server, and an idle round costs one read.
        let now = (self.clock)();
        // Outlasts a delivery that takes the whole timeout and its record;
        // a server that dies mid-delivery holds its events no longer.
        let lease = Duration::from_std(self.settings.timeout * 2).unwrap_or(Duration::MAX)
            + Duration::seconds(1);
        let owner = format!("{}:{}", self.name, uuid::Uuid::new_v4().simple());
        let limit = i64::try_from(self.settings.concurrency).unwrap_or(16);
        let claimed = self
            .store
            .claim_deliveries(&owner, now, now + lease, limit)
            .await?;
        let sent = claimed.len();
        let mut deliveries = tokio::task::JoinSet::new();
        for delivery in claimed {
            let courier = self.clone();
            let owner = owner.clone();
            deliveries.spawn(async move { courier.deliver(delivery, &owner).await });
        }
        while deliveries.join_next().await.is_some() {}
        Ok(sent)
    }

    /// The wait before attempt `attempts + 1`: doubling from the first
    /// retry's up to the longest, each drawn between its half and itself.
    fn backoff(&self, attempts: u32) -> Duration {
        let first = self.settings.first_retry.as_millis() as u64;
        let longest = self.settings.longest_wait.as_millis() as u64;
        let wait = first.saturating_mul(1u64 << attempts.min(40)).min(longest);
        let drawn = rand::thread_rng().gen_range(wait / 2..=wait.max(1));
        Duration::milliseconds(i64::try_from(drawn).unwrap_or(i64::MAX))
    }

    async fn deliver(&self, delivery: Delivery, owner: &str) {
        let started = Instant::now();
        let at = (self.clock)();
        let event_id = delivery.event.id.clone();
        let result = self.send(&delivery, at).await;
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error) = match &result {
            Ok(status) => (Some(*status), None),
            Err(Failure::Refused(error)) => (None, Some(error.clone())),
            Err(Failure::Status(status)) => (Some(*status), None),
        };
        let delivered = matches!(result, Ok(status) if (200..300).contains(&status));
        let next = at + self.backoff(delivery.attempts);
        let give_up_at = delivery.pending_since
            + Duration::from_std(self.settings.give_up_after).unwrap_or(Duration::MAX);
        let permanent =
            matches!(result, Err(Failure::Refused(ref e)) if e.starts_with("no endpoint"));
        let (outcome, next_attempt_at) = if delivered {
            ("delivered", None)
        } else if permanent || next > give_up_at {
            ("dead", None)
        } else {
            ("pending", Some(next))
        };
        let url = delivery
            .endpoint
            .as_ref()
            .map(|e| e.url.as_str())
            .unwrap_or("");
        let record = AttemptRecord {
            event_id: &event_id,
            attempt: delivery.attempts + 1,
            agency_id: &delivery.agency_id,
            url,
            at,
            status_code,
            error: error.as_deref(),
            latency_ms,
            outcome,
            next_attempt_at,
        };
        log_attempt(&record, &delivery.event.kind);
        if let Err(error) = self.store.record_attempt(owner, &record).await {
            // The lease runs out and the event is sent again: at least once.
            tracing::warn!(%error, event = %event_id, "cannot record a webhook attempt");
        }
    }

    async fn send(&self, delivery: &Delivery, now: DateTime<Utc>) -> Result<u16, Failure> {
        let Some(endpoint) = &delivery.endpoint else {
            return Err(Failure::Refused(
                "no endpoint: the agency removed it".into(),
            ));
        };
        let url = endpoint_url(&endpoint.url, self.test_mode)
            .map_err(|e| Failure::Refused(format!("no endpoint: {e}")))?;
        let request = self
            .store
            .issued_request(&delivery.agency_id, &delivery.event.code)
            .await
            .map_err(|e| Failure::Refused(format!("cannot read the request: {e}")))?
            .ok_or_else(|| Failure::Refused("no endpoint: the request is gone".into()))?;
        let refund_amount = match &delivery.event.refund_id {
            Some(id) => self.store.refund_amount(id).await.unwrap_or(None),
            None => None,
        };
        let body = payload::body(delivery, &request, refund_amount, &self.site_url)
            .ok_or_else(|| Failure::Refused("no endpoint: an event of an unknown type".into()))?;
        let timestamp = now.timestamp();
        let signature =
            signing::signature_header(endpoint, &delivery.event.id, timestamp, &body, now)
                .ok_or_else(|| Failure::Refused("no endpoint: the secret is malformed".into()))?;
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.event.id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| Failure::Refused(describe(&e)))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(status)
        } else {
            Err(Failure::Status(status))
        }
    }
}

enum Failure {
    /// Nothing was answered (or nothing could be sent).
    Refused(String),
    /// The endpoint answered, but not 2xx.
    Status(u16),
}

/// A transport error in a few words (never the body or the signature).
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        "the connection failed".into()
    }
}

fn log_attempt(record: &AttemptRecord<'_>, kind: &str) {
    let status = record.status_code.map(i64::from).unwrap_or(0);
    let next = record.next_attempt_at.map(|at| at.to_rfc3339());
    match record.outcome {
        "delivered" => tracing::info!(
            event = record.event_id,
            kind,
            attempt = record.attempt,
            status,
            latency_ms = record.latency_ms,
            "webhook delivered"
        ),
        "dead" => tracing::error!(
            event = record.event_id,
            kind,
            attempt = record.attempt,
            status,
            error = record.error,
            latency_ms = record.latency_ms,
            "webhook given up on: dead-lettered"
        ),
        _ => tracing::warn!(
            event = record.event_id,
            kind,
            attempt = record.attempt,
            status,
            error = record.error,
            latency_ms = record.latency_ms,
            next_try = next,
            "webhook failed; will retry"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::endpoint_url;

    #[test]
    fn endpoints_are_https_or_loopback_in_test_mode() {
        assert!(endpoint_url("https://agency.gov.kg/hooks", false).is_ok());
        assert!(endpoint_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(endpoint_url("http://localhost:9000/hook", true).is_ok());
        assert!(endpoint_url("http://127.0.0.1:9000/hook", false).is_err());
        assert!(endpoint_url("http://agency.gov.kg/hooks", true).is_err());
        assert!(endpoint_url("ftp://agency.gov.kg/", true).is_err());
        assert!(endpoint_url("not a url", true).is_err());
    }
}
