//! Who is calling and how often: the bearer key is checked on every
//! request (a revoked key stops working at once, on every server), then
//! the key's rate for the method (governor's GCRA limiter per key, a burst
//! of a second's worth) is spent. Past it the answer is 429 with
//! `Retry-After`; every answer carries the `RateLimit-Policy` and
//! `RateLimit` headers of the IETF draft, so a client can pace itself.

use super::ApiState;
use super::problem::{Kind, Problem};
use crate::agencies::Caller;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use std::num::NonZeroU32;

type Limiter =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Keys kept before the idle ones are dropped.
const MAX_KEYS: usize = 100_000;

/// The rates per key: writes (POST) and reads (everything else).
pub struct RateLimits {
    posts: (u32, Limiter),
    gets: (u32, Limiter),
}

fn limiter(per_second: u32) -> (u32, Limiter) {
    let n = NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN);
    (
        n.get(),
        RateLimiter::keyed(Quota::per_second(n)).with_middleware::<StateInformationMiddleware>(),
    )
}

impl RateLimits {
    pub fn new(posts_per_second: u32, gets_per_second: u32) -> RateLimits {
        RateLimits {
            posts: limiter(posts_per_second),
            gets: limiter(gets_per_second),
        }
    }
}

/// Authenticates, spends the rate, and hands the handler its [`Caller`].
pub async fn authenticate(
    State(state): State<ApiState>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller: Caller = match state.desk.authenticate(presented).await {
        Ok(caller) => caller,
        Err(error) => {
            let mut response = Problem::from(error).into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tolem\""),
            );
            return response;
        }
    };
    let (name, (quota, limiter)) = if request.method() == Method::POST {
        ("post", &state.limits.posts)
    } else {
        ("get", &state.limits.gets)
    };
    if limiter.len() > MAX_KEYS {
        limiter.retain_recent();
    }
    let policy = format!("\"{name}\";q={quota};w=1");
    let (allowed, remaining, reset) = match limiter.check_key(&caller.key_id) {
        Ok(snapshot) => (true, snapshot.remaining_burst_capacity(), 1),
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            (false, 0, wait.as_secs() + 1)
        }
    };
    let mut response = if allowed {
        request.extensions_mut().insert(caller);
        next.run(request).await
    } else {
        tracing::info!(agency = %caller.agency.id, "agency API: rate limit reached");
        let mut response = Problem::new(
            Kind::TooManyRequests,
            format!(
                "At most {quota} {} requests a second per key.",
                name.to_uppercase()
            ),
        )
        .into_response();
        if let Ok(value) = HeaderValue::from_str(&reset.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        headers.insert("ratelimit-policy", value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{name}\";r={remaining};t={reset}")) {
        headers.insert("ratelimit", value);
    }
    response
}
