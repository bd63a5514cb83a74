//! Pages rendered to their end whatever the client does.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Runs the handler and reads its whole answer in a task of its own, which
/// goes on to the end even if the client hangs up or the request times out.
///
/// Leptos renders a page through a reactive owner that it tears down at the
/// end of the page's body stream. Cut short (a dropped request, a body not
/// read to its end), that tear-down raced the render and could deadlock a
/// runtime thread inside Leptos: one such thread in 700,000 hung-up
/// requests. Here no render is ever cut short: the page is written in full
/// (it is complete before its first byte anyway, see `SsrMode::Async`) and
/// only then handed to the connection. Static files stream as they are.
pub async fn run_to_completion(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path.starts_with("/pkg/") || path == "/favicon.svg" {
        return next.run(request).await;
    }
    let whole = tokio::spawn(async move {
        let (parts, body) = next.run(request).await.into_parts();
        match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
            Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
            Err(error) => {
                tracing::error!(%error, "a page could not be read whole");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    });
    whole.await.unwrap_or_else(|error| {
        tracing::error!(%error, "a request's task ended abnormally");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    })
}

/// No page comes near this; it bounds what a broken one could take.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;
