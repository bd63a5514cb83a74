//! Lookups by payment code (and of receipts, by their codes): at most `lookups_per_minute` per client
//! address (governor's keyed GCRA limiter: a burst of as many, then one
//! every `60 / n` seconds), answered 429 with `Retry-After` past it, and
//! every lookup, of a code that exists or not, taking at least
//! `lookup_floor`: payment codes are sequential, so names and amounts must
//! not be harvestable by asking fast or by timing the answers. The counts
//! are each server's own: a plain request rate, where a few servers
//! multiply the rate by a few, not the harvest by thousands.

use super::AbuseLimits;
use crate::web::limits::{Asker, refusal};
use app::api::PayError;
use app::messages::Msg;
use app::paths;
use app::services::Client;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Keys kept before the idle ones are dropped.
const MAX_KEYS: usize = 100_000;

pub struct LookupThrottle {
    limiter: Option<DefaultKeyedRateLimiter<String>>,
    floor: Duration,
}

impl LookupThrottle {
    pub fn new(limits: &AbuseLimits) -> Arc<LookupThrottle> {
        Arc::new(LookupThrottle {
            limiter: NonZeroU32::new(limits.lookups_per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            floor: limits.lookup_floor,
        })
    }
}

/// A look at a payment request by its code (the pay page, or the lookup
/// form's answer), at a receipt by its verification code, or for a receipt
/// by payment code and number: each a guess someone could repeat.
fn is_lookup(request: &Request) -> bool {
    let uri = request.uri();
    let path = uri.path();
    let asks = uri.query().is_some_and(|q| q.contains("code="));
    request.method() == Method::GET
        && (path.starts_with("/pay/")
            || path.starts_with("/verify/")
            || ([paths::HOME, paths::VERIFY, paths::FIND_RECEIPT].contains(&path) && asks))
}

pub async fn throttle_lookups(
    State(throttle): State<Arc<LookupThrottle>>,
    request: Request,
    next: Next,
) -> Response {
    if !is_lookup(&request) {
        return next.run(request).await;
    }
    if let Some(limiter) = &throttle.limiter {
        let address = request
            .extensions()
            .get::<Client>()
            .map(|c| c.address.clone())
            .unwrap_or_default();
        if limiter.len() > MAX_KEYS {
            limiter.retain_recent();
        }
        if let Err(not_until) = limiter.check_key(&address) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::info!("lookup refused: too many from one client");
            let (mut parts, _) = request.into_parts();
            let asker = match Asker::from_request_parts(&mut parts, &()).await {
                Ok(asker) => asker,
                Err(never) => match never {},
            };
            return refusal(
                &asker,
                StatusCode::TOO_MANY_REQUESTS,
                Msg::LookupTooMany,
                &PayError::Internal,
                wait.as_secs() + 1,
            );
        }
    }
    let started = Instant::now();
    let response = next.run(request).await;
    if let Some(rest) = throttle.floor.checked_sub(started.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    response
}
