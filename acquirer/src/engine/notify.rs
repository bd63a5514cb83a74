//! Notifications: the signed `POST` the engine sends the merchant when an
//! order reaches its final status, as a real acquirer's server-to-server
//! callback does, so the merchant learns outcomes its own request never saw
//! (a timed-out answer, a challenge the browser never came back from).

use super::Engine;
use crate::protocol::{self, Notification};
use std::fmt;
use std::time::Duration;

const NOTIFY_TIMEOUT: Duration = Duration::from_secs(5);

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
}

impl Engine {
    /// Posts the notification in the background; failures are logged, never retried.
    pub(super) fn notify(&self, notification: Notification, delivery: Delivery) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(order_id = %notification.order_id, "no async runtime: notification not sent");
            return;
        };
        let body = match serde_json::to_vec(&notification) {
            Ok(body) => body,
            Err(_) => {
                tracing::warn!(order_id = %notification.order_id, "notification not serialisable");
                return;
            }
        };
        let http = notifier.http.clone();
        let url = notifier.url.clone();
        let path = notifier.path.clone();
        let key = notifier.key.clone();
        let delay = if delivery.late {
            Duration::from_millis(self.fault_state().plan.late_notification_ms)
        } else {
            Duration::ZERO
        };
        let times = if delivery.duplicate { 2 } else { 1 };
        let order_id = notification.order_id;
        runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            for _ in 0..times {
                let timestamp = protocol::now_unix();
                let signature = protocol::sign(&key, timestamp, "POST", &path, &body);
                let sent = http
                    .post(url.clone())
                    .header(protocol::TIMESTAMP_HEADER, timestamp.to_string())
                    .header(protocol::SIGNATURE_HEADER, signature)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status().is_success() => {
                        tracing::debug!(%order_id, "notification delivered");
                    }
                    Ok(response) => {
                        tracing::warn!(%order_id, status = response.status().as_u16(), "notification refused");
                    }
                    Err(error) => {
                        tracing::warn!(%order_id, timeout = error.is_timeout(), connect = error.is_connect(), "notification failed");
                    }
                }
            }
        });
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
