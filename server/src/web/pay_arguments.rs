//! The `pay` server function's arguments, read before the function runs: a
//! body that is not its JSON (`null`, a number, a form with a field of the
//! wrong type) is the client's mistake and is answered 400 with a problem
//! report in the citizen's language, where the server function's own
//! decoder would answer 500. The bytes read go on to the function.

use super::origin::refusal;
use app::messages::Msg;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

pub async fn read_pay_arguments(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || request.uri().path() != "/api/pay" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let locale = app::lang::resolve(&parts);
    // The body limit around the pages bounds what is read here.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            locale,
            Msg::RequestUnreadable,
        );
    };
    if serde_json::from_slice::<app::pay::Pay>(&bytes).is_err() {
        return refusal(StatusCode::BAD_REQUEST, locale, Msg::RequestUnreadable);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
