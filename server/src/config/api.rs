//! The agency API's settings (`crate::api`, `crate::webhooks`): its rate
//! limits per key, the largest amount a request may ask, and how webhooks
//! are delivered and retried; each unset setting keeps
//! [`ApiSettings::default`]'s value.

use super::ConfigError;
use super::read::Vars;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct ApiSettings {
    /// Per key, as GOV.UK Pay allows per account.
    pub posts_per_second: u32,
    pub gets_per_second: u32,
    /// The largest amount a payment request may ask, in tyiyn.
    pub max_amount_tyiyn: i64,
    pub webhooks: WebhookSettings,
}

#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// How often each server looks for events due (besides being woken
    /// when it writes one itself).
    pub poll: Duration,
    /// The longest an endpoint may take to answer a delivery.
    pub timeout: Duration,
    /// The wait after the first failure; it doubles with each one (with
    /// jitter) up to `longest_wait`.
    pub first_retry: Duration,
    pub longest_wait: Duration,
    /// When retrying stops and the event is dead-lettered.
    pub give_up_after: Duration,
    /// Deliveries one server makes at once.
    pub concurrency: usize,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            posts_per_second: 15,
            gets_per_second: 75,
            // 1,000,000 som: above any government fee.
            max_amount_tyiyn: 100_000_000,
            webhooks: WebhookSettings::default(),
        }
    }
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            poll: Duration::from_millis(500),
            timeout: Duration::from_secs(10),
            first_retry: Duration::from_secs(5),
            longest_wait: Duration::from_secs(60 * 60),
            give_up_after: Duration::from_secs(3 * 24 * 60 * 60),
            concurrency: 16,
        }
    }
}

pub fn settings(vars: &Vars<'_>) -> Result<ApiSettings, ConfigError> {
    let default = ApiSettings::default();
    let hooks = default.webhooks;
    let rate = |name, default: u32| {
        vars.positive(name, u64::from(default))
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    let millis = |name, default: Duration| {
        vars.positive(name, u64::try_from(default.as_millis()).unwrap_or(u64::MAX))
            .map(Duration::from_millis)
    };
    let secs = |name, default: Duration| {
        vars.positive(name, default.as_secs())
            .map(Duration::from_secs)
    };
    let webhooks = WebhookSettings {
        poll: millis("TOLEM_WEBHOOK_POLL_MS", hooks.poll)?,
        timeout: millis("TOLEM_WEBHOOK_TIMEOUT_MS", hooks.timeout)?,
        first_retry: secs("TOLEM_WEBHOOK_FIRST_RETRY_SECS", hooks.first_retry)?,
        longest_wait: secs("TOLEM_WEBHOOK_LONGEST_WAIT_SECS", hooks.longest_wait)?,
        give_up_after: secs("TOLEM_WEBHOOK_GIVE_UP_AFTER_SECS", hooks.give_up_after)?,
        concurrency: usize::try_from(
            vars.positive("TOLEM_WEBHOOK_CONCURRENCY", hooks.concurrency as u64)?,
        )
        .unwrap_or(usize::MAX),
    };
    if webhooks.longest_wait < webhooks.first_retry {
        return Err(ConfigError::new(
            "TOLEM_WEBHOOK_LONGEST_WAIT_SECS",
            "must be at least TOLEM_WEBHOOK_FIRST_RETRY_SECS",
        ));
    }
    let max_amount = vars.positive(
        "TOLEM_API_MAX_AMOUNT_TYIYN",
        default.max_amount_tyiyn as u64,
    )?;
    Ok(ApiSettings {
        posts_per_second: rate("TOLEM_API_POSTS_PER_SECOND", default.posts_per_second)?,
        gets_per_second: rate("TOLEM_API_GETS_PER_SECOND", default.gets_per_second)?,
        max_amount_tyiyn: i64::try_from(max_amount)
            .map_err(|_| ConfigError::new("TOLEM_API_MAX_AMOUNT_TYIYN", "is too large"))?,
        webhooks,
    })
}
