//! Requests by route: a layer around the whole router that counts each
//! answer by its route's pattern (`/pay/{code}`, never the code itself, so
//! neither a payment code nor anything a client typed becomes a label),
//! method and status, and times it.

use super::{REQUEST_SECONDS, REQUESTS};
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// The label of a request no route matched (unknown pages, probes).
const UNMATCHED: &str = "unmatched";

pub async fn record_requests(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    // The pages are routed inside a router of their own ([`name_route`]).
    let route = matched
        .or_else(|| response.extensions().get::<MatchedPath>().cloned())
        .map_or_else(|| UNMATCHED.to_owned(), |path| path.as_str().to_owned());
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!(REQUEST_SECONDS, "route" => route, "method" => method).record(seconds);
    response
}

/// Names the route a request matched on its answer, for
/// [`record_requests`] outside the router that matched it.
pub async fn name_route(request: Request, next: Next) -> Response {
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(matched) = matched {
        response.extensions_mut().insert(matched);
    }
    response
}

/// The method as a label, from a fixed set: a made-up method is "other",
/// so a client cannot add labels at will.
fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        http::Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::method_label;

    #[test]
    fn a_made_up_method_is_one_label() {
        assert_eq!(method_label(&http::Method::POST), "POST");
        let odd = http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
    }
}
