//! Pages rendered once and answered many times. `/`, a lookup result, a pay
//! page, the documents and the contacts say the same to everyone who asks
//! for the same address in the same language, until the database changes:
//! rendering them again for every visitor was nine tenths of what a page
//! cost. The first request renders the page; the next ones, while no write
//! has been made on this server (the store's count,
//! [`crate::storage::PaymentStore::writes`]) and for at most the copies'
//! lifetime, get a copy of it, each with values of its own where the page
//! must differ from any other response: the CSP nonce (in the policy and in
//! the scripts) and the pay form's attempt key
//! ([`app::http::FRESH_VALUE_HEADER`]). The lifetime bounds what this server
//! cannot see: writes of the other servers behind the same load balancer,
//! and the clock (a bill expiring, the month the card checks compare with).
//! The layers outside (the lookup throttle and its time floor, the access
//! log, the security headers) run for copies as for any response.

use super::headers::{Validators, not_modified};
use crate::storage::PaymentStore;
use app::services::Clock;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use memchr::memmem;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::sync::Arc;
use std::time::Duration;

/// What the copies may weigh together: a pay page is about 11 KB, a
/// lookup result 5 KB; this keeps some hundreds, and bounds what a robot
/// asking for every code can make the server hold.
const CAPACITY_BYTES: u64 = 2 * 1024 * 1024;

/// The pages' copies, or none (a lifetime of zero).
#[derive(Clone)]
pub struct PageCopies(Option<Arc<Copies>>);

struct Copies {
    pages: Cache<Key, Arc<Rendered>, ByBytes>,
    /// The writes made so far (the store's count).
    writes: Box<dyn Fn() -> u64 + Send + Sync>,
    /// The site's clock, which the pages read (and tests move).
    clock: Clock,
    lifetime: TimeDelta,
}

impl PageCopies {
    pub fn new(store: Arc<dyn PaymentStore>, clock: Clock, lifetime: Duration) -> Self {
        Self::counting(move || store.writes(), clock, lifetime)
    }

    fn counting(
        writes: impl Fn() -> u64 + Send + Sync + 'static,
        clock: Clock,
        lifetime: Duration,
    ) -> Self {
        let lifetime = TimeDelta::from_std(lifetime).unwrap_or(TimeDelta::zero());
        PageCopies((!lifetime.is_zero()).then(|| {
            Arc::new(Copies {
                pages: Cache::with_weighter(256, CAPACITY_BYTES, ByBytes),
                writes: Box::new(writes),
                clock,
                lifetime,
            })
        }))
    }
}

/// A page is the same for everyone with the same address and language.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    language: &'static str,
    address: String,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Arc<Rendered>> for ByBytes {
    fn weight(&self, key: &Key, copy: &Arc<Rendered>) -> u64 {
        (key.address.len() + copy.weight) as u64
    }
}

/// Pages that are the same for everyone: no personal data, no session.
fn is_shared(path: &str) -> bool {
    path == "/"
        || path == "/contacts"
        || path.starts_with("/pay/")
        || path.starts_with("/documents")
}

/// Answers a copy when there is a good one; otherwise renders the page and
/// keeps it when it can be shared. The fresh-value header never leaves.
pub async fn answer_copies(
    State(copies): State<PageCopies>,
    request: Request,
    next: Next,
) -> Response {
    let Some(copies) = copies
        .0
        .filter(|_| request.method() == http::Method::GET && is_shared(request.uri().path()))
    else {
        return without_fresh_value(next.run(request).await).0;
    };
    let (parts, body) = request.into_parts();
    let key = Key {
        language: app::lang::tag(app::lang::resolve(&parts)),
        address: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string()),
    };
    let validators = Validators::of(&parts.headers);
    // Read before rendering: a write during the render ends the copy.
    let writes = (copies.writes)();
    let now = (copies.clock)();
    if let Some(copy) = copies.pages.get(&key)
        && copy.writes == writes
        && copy.made <= now
        && now - copy.made < copies.lifetime
    {
        return copy.answer(&validators);
    }
    let response = next.run(Request::from_parts(parts, body)).await;
    let (response, fresh) = without_fresh_value(response);
    if response.status() != StatusCode::OK || response.headers().contains_key(header::SET_COOKIE) {
        return response;
    }
    let (parts, body) = response.into_parts();
    // The page is whole already (`whole`): this only takes its bytes.
    let Ok(bytes) = axum::body::to_bytes(body, super::whole::MAX_PAGE_BYTES).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let route = parts.extensions.get::<MatchedPath>().cloned();
    if let Some(copy) = Rendered::of(writes, now, route, &parts.headers, &bytes, fresh.as_deref()) {
        copies.pages.insert(key, Arc::new(copy));
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The response without the page's note of its fresh value, and the value.
fn without_fresh_value(mut response: Response) -> (Response, Option<String>) {
    let name = HeaderName::from_static(app::http::FRESH_VALUE_HEADER);
    let value = response
        .headers_mut()
        .remove(name)
        .and_then(|v| v.to_str().ok().map(str::to_string));
    (response, value)
}

/// One page as rendered, with holes where each copy writes its own values.
struct Rendered {
    writes: u64,
    /// When, by the site's clock, it was rendered.
    made: DateTime<Utc>,
    headers: HeaderMap,
    policy: Template,
    body: Template,
    weight: usize,
    /// The route the page was rendered by, for the metrics.
    route: Option<MatchedPath>,
}

impl Rendered {
    /// The copy of a rendered page: `None` when it is not HTML, or when its
    /// nonce cannot be found (nothing would then tell it from the others').
    fn of(
        writes: u64,
        made: DateTime<Utc>,
        route: Option<MatchedPath>,
        headers: &HeaderMap,
        body: &[u8],
        fresh: Option<&str>,
    ) -> Option<Rendered> {
        let html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        if !html {
            return None;
        }
        let policy = headers.get(header::CONTENT_SECURITY_POLICY)?.as_bytes();
        let nonce = nonce_of(policy)?;
        let mut values = vec![(nonce, Hole::Nonce)];
        if let Some(fresh) = fresh {
            values.push((fresh.as_bytes(), Hole::AttemptKey));
        }
        let mut headers = headers.clone();
        headers.remove(header::CONTENT_LENGTH);
        let policy = Template::cut(policy, &values);
        headers.remove(header::CONTENT_SECURITY_POLICY);
        let body = Template::cut(body, &values);
        Some(Rendered {
            writes,
            made,
            weight: body.len() + policy.len(),
            headers,
            policy,
            body,
            route,
        })
    }

    fn answer(&self, validators: &Validators) -> Response {
        let fresh = Fresh::new(self.body.holes.contains(&Hole::AttemptKey));
        let mut response = Response::new(Body::empty());
        *response.headers_mut() = self.headers.clone();
        if let Some(route) = &self.route {
            response.extensions_mut().insert(route.clone());
        }
        if let Ok(value) = HeaderValue::from_maybe_shared(self.policy.fill(&fresh)) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
        if not_modified(response.headers(), validators) {
            let (mut parts, _) = response.into_parts();
            super::headers::to_not_modified(&mut parts);
            return Response::from_parts(parts, Body::empty());
        }
        *response.body_mut() = Body::from(self.body.fill(&fresh));
        response
    }
}

/// The policy's `'nonce-...'` value.
fn nonce_of(policy: &[u8]) -> Option<&[u8]> {
    const MARK: &[u8] = b"'nonce-";
    let start = memmem::find(policy, MARK)? + MARK.len();
    let length = policy[start..].iter().position(|&b| b == b'\'')?;
    (length > 0).then(|| &policy[start..start + length])
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Hole {
    Nonce,
    AttemptKey,
}

/// The values of one copy (an attempt key only for a page that has one).
struct Fresh {
    nonce: String,
    attempt_key: String,
}

impl Fresh {
    fn new(with_attempt_key: bool) -> Self {
        Fresh {
            nonce: leptos::nonce::Nonce::new().to_string(),
            attempt_key: if with_attempt_key {
                crate::payments::new_idempotency_key().to_string()
            } else {
                String::new()
            },
        }
    }

    fn of(&self, hole: Hole) -> &[u8] {
        match hole {
            Hole::Nonce => self.nonce.as_bytes(),
            Hole::AttemptKey => self.attempt_key.as_bytes(),
        }
    }
}

/// Bytes cut where values were: `pieces` has one more entry than `holes`.
#[derive(Debug, PartialEq)]
struct Template {
    pieces: Vec<Bytes>,
    holes: Vec<Hole>,
}

impl Template {
    /// `text` cut at every occurrence of each value.
    fn cut(text: &[u8], values: &[(&[u8], Hole)]) -> Template {
        let mut pieces = Vec::new();
        let mut holes = Vec::new();
        let mut at = 0;
        loop {
            let next = values
                .iter()
                .filter(|(value, _)| !value.is_empty())
                .filter_map(|(value, hole)| {
                    memmem::find(&text[at..], value).map(|i| (at + i, value.len(), *hole))
                })
                .min_by_key(|(start, _, _)| *start);
            let Some((start, length, hole)) = next else {
                break;
            };
            pieces.push(Bytes::copy_from_slice(&text[at..start]));
            holes.push(hole);
            at = start + length;
        }
        pieces.push(Bytes::copy_from_slice(&text[at..]));
        Template { pieces, holes }
    }

    fn len(&self) -> usize {
        self.pieces.iter().map(Bytes::len).sum()
    }

    fn fill(&self, fresh: &Fresh) -> Bytes {
        let holes: usize = self.holes.iter().map(|h| fresh.of(*h).len()).sum();
        let mut out = Vec::with_capacity(self.len() + holes);
        for (piece, hole) in self
            .pieces
            .iter()
            .zip(self.holes.iter().map(Some).chain([None]))
        {
            out.extend_from_slice(piece);
            if let Some(hole) = hole {
                out.extend_from_slice(fresh.of(*hole));
            }
        }
        Bytes::from(out)
    }
}

#[cfg(test)]
mod tests;
