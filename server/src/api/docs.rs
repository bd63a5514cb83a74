//! The agency API's OpenAPI 3.1 document, generated from the handlers'
//! annotations and the types they exchange (utoipa), served as JSON; and
//! the reference page, rendered on the server from the same document, with
//! the guide an office's developer needs: keys, idempotency, limits,
//! webhooks and their signatures, the problem types.

use super::problem::{FieldProblem, Kind, Problem};
use super::requests;
use crate::agencies::view::{
    EventList, EventType, EventView, NewPaymentRequest, PaymentRequestPage, PaymentRequestView,
    Service, Status,
};
use crate::webhooks::payload::{EventData, RefundView, WebhookBody};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use std::sync::OnceLock;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as Document, path::Operation};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tolem agency API",
        version = "1.0.0",
        license(name = "MIT"),
        description = "Government offices issue payment requests that citizens pay by card \
            on tolem, and learn by webhook when they are paid, expired or cancelled."
    ),
    paths(requests::create, requests::list, requests::read, requests::cancel, requests::events),
    components(schemas(
        PaymentRequestView, NewPaymentRequest, PaymentRequestPage, EventList, EventView,
        EventType, Status, Service, Problem, FieldProblem, WebhookBody, EventData, RefundView
    )),
    modifiers(&Bearer),
    tags((name = "Payment requests", description = "Issue, read, list and cancel payment requests"))
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key: tlm_live_… or tlm_test_…"))
                    .build(),
            ),
        );
    }
}

fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_pretty_json().unwrap_or_default())
}

pub async fn openapi_json() -> Response {
    let mut response = json().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn operation(html: &mut String, method: &str, path: &str, op: &Operation) {
    let summary = op.summary.as_deref().unwrap_or("");
    html.push_str(&format!(
        "<section><h3><code>{method} {}</code></h3><p><strong>{}</strong></p>",
        escape(path),
        escape(summary)
    ));
    if let Some(description) = &op.description {
        html.push_str(&format!("<p>{}</p>", escape(description)));
    }
    if let Some(parameters) = &op.parameters {
        html.push_str(
            "<table><tr><th>Parameter</th><th>In</th><th>Required</th><th>About</th></tr>",
        );
        for p in parameters {
            let place = serde_json::to_value(&p.parameter_in).unwrap_or_default();
            let required = matches!(p.required, utoipa::openapi::Required::True);
            html.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&p.name),
                escape(place.as_str().unwrap_or("")),
                if required { "yes" } else { "no" },
                escape(p.description.as_deref().unwrap_or(""))
            ));
        }
        html.push_str("</table>");
    }
    if op.request_body.is_some() {
        html.push_str(
            "<p>Body: <code>application/json</code>, see <a href=\"#schemas\">schemas</a>.</p>",
        );
    }
    html.push_str("<ul>");
    for (status, response) in &op.responses.responses {
        let about = match response {
            utoipa::openapi::RefOr::T(r) => r.description.clone(),
            utoipa::openapi::RefOr::Ref(r) => r.ref_location.clone(),
        };
        html.push_str(&format!(
            "<li><code>{status}</code> {}</li>",
            escape(&about)
        ));
    }
    html.push_str("</ul></section>");
}

const GUIDE: &str = include_str!("guide.html");

/// The reference page.
pub async fn reference() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut html = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>tolem agency API</title><link rel=\"stylesheet\" href=\"/pkg/tolem.css\"></head>\
         <body><main class=\"api-reference\"><h1>tolem agency API</h1>",
    );
    html.push_str(GUIDE);
    html.push_str("<h2 id=\"operations\">Operations</h2>");
    for (path, item) in &doc.paths.paths {
        let methods = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("DELETE", &item.delete),
        ];
        for (method, op) in methods {
            if let Some(op) = op {
                operation(&mut html, method, path, op);
            }
        }
    }
    html.push_str("<h2 id=\"problems\">Problem types</h2><dl>");
    for kind in Kind::ALL {
        html.push_str(&format!(
            "<dt id=\"problem-{}\"><code>/api/v1/docs#problem-{}</code> ({})</dt><dd>{}</dd>",
            kind.slug(),
            kind.slug(),
            kind.status().as_u16(),
            escape(kind.title())
        ));
    }
    html.push_str(
        "</dl><h2 id=\"schemas\">Schemas</h2><p>The full schemas are in \
        <a href=\"/api/v1/openapi.json\">openapi.json</a> (OpenAPI 3.1).</p><ul>",
    );
    if let Some(components) = &doc.components {
        for name in components.schemas.keys() {
            html.push_str(&format!("<li><code>{}</code></li>", escape(name)));
        }
    }
    html.push_str("</ul></main></body></html>");
    Html(html)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_is_openapi_3_1_with_every_operation() {
        let doc: serde_json::Value = serde_json::from_str(super::json()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        for path in [
            "/api/v1/payment-requests",
            "/api/v1/payment-requests/{code}",
            "/api/v1/payment-requests/{code}/cancel",
            "/api/v1/payment-requests/{code}/events",
        ] {
            assert!(paths.contains_key(path), "{path}");
        }
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
        assert!(doc["components"]["schemas"]["WebhookBody"].is_object());
    }
}
