//! Notifications: the signed `POST` the engine sends the merchant when an
//! order reaches its final status, as a real acquirer's server-to-server
//! callback does, so the merchant learns outcomes its own request never saw
//! (a timed-out answer, a challenge the browser never came back from). A
//! notification the merchant could not take (no answer, a 5xx) is sent
//! again a few times, as a real acquirer retries its callbacks.

use super::Engine;
use crate::protocol::{self, Notification};
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;

/// For one attempt, connecting and reading the answer included.
const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts per notification; the wait between them starts at
/// [`NOTIFY_BACKOFF`] and doubles, so a merchant that is down for a few
/// seconds still hears of the order.
const NOTIFY_ATTEMPTS: u32 = 4;
const NOTIFY_BACKOFF: Duration = Duration::from_millis(200);

/// Where the engine posts [`Notification`]s, and the key it signs them with.
#[derive(Clone)]
pub struct NotifyConfig {
    pub url: String,
    pub key: Vec<u8>,
}

impl fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("url", &self.url)
            .field("key", &"<redacted>")
            .finish()
    }
}

pub(super) struct Notifier {
    http: reqwest::Client,
    pub(super) url: reqwest::Url,
    /// The path (and query) the notification is signed with.
    path: String,
    key: Vec<u8>,
}

/// How to deliver one notification.
#[derive(Clone, Copy, Default)]
pub(super) struct Delivery {
    pub(super) duplicate: bool,
    pub(super) late: bool,
    /// Not before this instant: a late-recorded charge is notified when it
    /// is recorded, never while the order is still nowhere to be seen.
    pub(super) not_before: Option<Instant>,
}

/// One notification, ready to send: signed afresh at each attempt.
struct Send {
    http: reqwest::Client,
    url: reqwest::Url,
    path: String,
    key: Vec<u8>,
    body: Vec<u8>,
    order_id: String,
}

impl Engine {
    /// Posts the notification in the background (see [`Send::deliver`] for
    /// the retries).
    pub(super) fn notify(&self, notification: Notification, delivery: Delivery) {
        let Some(send) = self.prepare(&notification) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(order_id = %notification.order_id, "no async runtime: notification not sent");
            return;
        };
        let delay = if delivery.late {
            Duration::from_millis(self.fault_state().plan.late_notification_ms)
        } else {
            Duration::ZERO
        };
        let times = if delivery.duplicate { 2 } else { 1 };
        runtime.spawn(async move {
            if let Some(at) = delivery.not_before {
                tokio::time::sleep_until(at).await;
            }
            tokio::time::sleep(delay).await;
            for _ in 0..times {
                send.deliver().await;
            }
        });
    }

    /// Delivers the notification before returning (retries included, so
    /// bounded by [`NOTIFY_ATTEMPTS`] attempts of at most [`NOTIFY_TIMEOUT`]
    /// each); whether the merchant took it.
    pub(super) async fn notify_now(&self, notification: Notification) -> bool {
        match self.prepare(&notification) {
            Some(send) => send.deliver().await,
            None => false,
        }
    }

    fn prepare(&self, notification: &Notification) -> Option<Send> {
        let notifier = self.notifier.as_ref()?;
        let Ok(body) = serde_json::to_vec(notification) else {
            tracing::warn!(order_id = %notification.order_id, "notification not serialisable");
            return None;
        };
        Some(Send {
            http: notifier.http.clone(),
            url: notifier.url.clone(),
            path: notifier.path.clone(),
            key: notifier.key.clone(),
            body,
            order_id: notification.order_id.clone(),
        })
    }
}

impl Send {
    /// Posts until the merchant takes it, answers a final refusal (a 4xx
    /// other than 408 and 429: a bad signature is not cured by sending it
    /// again), or [`NOTIFY_ATTEMPTS`] attempts have failed. A merchant that
    /// could not record what it must do answers 5xx so that it is asked
    /// again, as a real acquirer would.
    async fn deliver(&self) -> bool {
        let order_id = &self.order_id;
        let mut backoff = NOTIFY_BACKOFF;
        for attempt in 1..=NOTIFY_ATTEMPTS {
            let timestamp = protocol::now_unix();
            let signature = protocol::sign(&self.key, timestamp, "POST", &self.path, &self.body);
            let sent = self
                .http
                .post(self.url.clone())
                .header(protocol::TIMESTAMP_HEADER, timestamp.to_string())
                .header(protocol::SIGNATURE_HEADER, signature)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(self.body.clone())
                .send()
                .await;
            match sent {
                Ok(response) if response.status().is_success() => {
                    tracing::debug!(%order_id, attempt, "notification delivered");
                    return true;
                }
                Ok(response) => {
                    let status = response.status();
                    tracing::warn!(%order_id, attempt, status = status.as_u16(), "notification refused");
                    let again = status.is_server_error()
                        || status == reqwest::StatusCode::REQUEST_TIMEOUT
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    if !again {
                        return false;
                    }
                }
                Err(error) => {
                    tracing::warn!(%order_id, attempt, timeout = error.is_timeout(), connect = error.is_connect(), "notification failed");
                }
            }
            if attempt < NOTIFY_ATTEMPTS {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
        false
    }
}

pub(super) fn build_notifier(config: NotifyConfig) -> Option<Notifier> {
    let Ok(url) = reqwest::Url::parse(&config.url) else {
        tracing::error!("the notification URL is not a valid URL; notifications are off");
        return None;
    };
    if !matches!(url.scheme(), "http" | "https") {
        tracing::error!("the notification URL is not http(s); notifications are off");
        return None;
    }
    let http = match reqwest::Client::builder().timeout(NOTIFY_TIMEOUT).build() {
        Ok(http) => http,
        Err(_) => {
            tracing::error!("could not build the notification HTTP client; notifications are off");
            return None;
        }
    };
    let path = protocol::path_and_query(&url);
    Some(Notifier {
        http,
        url,
        path,
        key: config.key,
    })
}
