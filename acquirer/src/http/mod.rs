//! The sandbox acquirer on the wire: the signed `/v1` API, the unsigned
//! `/sandbox` controls for tests and demonstrations, and the 3-D Secure
//! challenge pages ([`acs_router`]).
//!
//! | route | what |
//! | --- | --- |
//! | `POST /v1/orders` | authorise ([`AuthoriseRequest`] → [`OrderResponse`]) |
//! | `GET /v1/orders/{order_id}` | the order, or 404 |
//! | `POST /v1/orders/{order_id}/challenge` | complete a 3-D Secure challenge |
//! | `POST /v1/orders/{order_id}/refund` | refund an approved order |
//! | `GET /sandbox/ledger[?all=true]` | the charges (or every order) as JSON |
//! | `GET`/`PUT /sandbox/faults` | read or replace the [`FaultPlan`] |
//! | `GET /sandbox/stats` | [`SandboxStats`] |
//! | `GET`/`POST /acs/{token}` | the challenge page |
//!
//! Every `/v1` request must be signed (see [`crate::protocol`]), else 401;
//! every `/v1` answer is signed, errors included, so the client can tell the
//! acquirer's own "not processed" from a proxy's or a broken connection's.
//! Request bodies are never logged, and error texts never echo them: a JSON
//! error names its kind and position only, because serde's messages quote
//! the offending value, which could be a card number.

use crate::engine::{
    Answer, ChallengeAction, ChallengeOutcome, ChallengeView, Engine, EngineError, Fault, FaultPlan,
};
use crate::protocol::{
    self, AuthoriseRequest, CompleteChallengeRequest, ErrorBody, LedgerEntry, OrderResponse,
    RefundRequest,
};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

/// The largest request body the API reads.
const BODY_LIMIT: usize = 64 * 1024;
const TIMESTAMP: HeaderName = HeaderName::from_static(protocol::TIMESTAMP_HEADER);
const SIGNATURE: HeaderName = HeaderName::from_static(protocol::SIGNATURE_HEADER);

#[derive(Clone)]
struct Api {
    engine: Arc<Engine>,
    key: Arc<[u8]>,
}

/// `GET /sandbox/stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxStats {
    /// Every authorisation that reached the engine, repeats included.
    pub authorise_requests: usize,
    /// Orders charged.
    pub charges: usize,
}

/// The whole sandbox acquirer: `/v1`, `/sandbox` and the challenge pages at `/acs`.
/// `key` is the HMAC key shared with the merchant.
pub fn router(engine: Arc<Engine>, key: Vec<u8>) -> Router {
    let api = Api {
        engine: Arc::clone(&engine),
        key: key.into(),
    };
    Router::new()
        .route("/v1/orders", post(create_order))
        .route("/v1/orders/{order_id}", get(get_order))
        .route("/v1/orders/{order_id}/challenge", post(complete_challenge))
        .route("/v1/orders/{order_id}/refund", post(refund))
        .route("/sandbox/ledger", get(ledger))
        .route("/sandbox/faults", get(get_faults).put(set_faults))
        .route("/sandbox/stats", get(stats))
        .with_state(api)
        .nest("/acs", acs_router(engine))
}

/// A request whose signature checked out.
struct Signed {
    path: String,
    body: Bytes,
}

impl Api {
    /// Reads the body and checks the signature over method, path and body.
    async fn read(&self, request: Request) -> Result<Signed, Response> {
        let (parts, body) = request.into_parts();
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
        let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT).await else {
            return Err(self.error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &path,
                "the request body is too large or unreadable",
            ));
        };
        let checked = protocol::verify_headers(
            &self.key,
            &parts.headers,
            parts.method.as_str(),
            &path,
            &body,
            protocol::now_unix(),
        );
        if let Err(reason) = checked {
            tracing::info!(%path, %reason, "refused a request without a valid signature");
            return Err(self.error(StatusCode::UNAUTHORIZED, &path, &reason.to_string()));
        }
        Ok(Signed { path, body })
    }

    fn signed_headers(&self, status: StatusCode, path: &str, body: &[u8]) -> HeaderMap {
        let timestamp = protocol::now_unix();
        let signature = protocol::sign(
            &self.key,
            timestamp,
            &protocol::response_method(status.as_u16()),
            path,
            body,
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(TIMESTAMP, HeaderValue::from(timestamp));
        if let Ok(signature) = HeaderValue::from_str(&signature) {
            headers.insert(SIGNATURE, signature);
        }
        headers
    }

    fn reply(&self, status: StatusCode, path: &str, body: Vec<u8>) -> Response {
        (status, self.signed_headers(status, path, &body), body).into_response()
    }

    fn json<T: Serialize>(&self, status: StatusCode, path: &str, value: &T) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => self.reply(status, path, body),
            Err(_) => self.error(
                StatusCode::INTERNAL_SERVER_ERROR,
                path,
                "the answer could not be encoded",
            ),
        }
    }

    fn error(&self, status: StatusCode, path: &str, message: &str) -> Response {
        let body = serde_json::json!({ "error": message })
            .to_string()
            .into_bytes();
        self.reply(status, path, body)
    }

    fn engine_error(&self, path: &str, error: &EngineError) -> Response {
        let status = match error {
            EngineError::Invalid(_) => StatusCode::BAD_REQUEST,
            EngineError::Conflict | EngineError::NotReady => StatusCode::CONFLICT,
            EngineError::NotFound => StatusCode::NOT_FOUND,
            EngineError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        self.error(status, path, &error.to_string())
    }

    /// Answers 200 with the signed order, but breaks the connection half-way
    /// through the body: the body stream fails, so hyper aborts the
    /// connection and the client sees an incomplete answer.
    fn dropped(&self, path: &str, response: &OrderResponse) -> Response {
        let Ok(body) = serde_json::to_vec(response) else {
            return self.error(StatusCode::INTERNAL_SERVER_ERROR, path, "internal error");
        };
        let headers = self.signed_headers(StatusCode::OK, path, &body);
        let first = Bytes::copy_from_slice(&body[..body.len() / 2]);
        let stream = futures_util::stream::unfold(Some(first), |first| async move {
            match first {
                Some(first) => Some((Ok(first), None)),
                None => {
                    // Give the first half time to reach the client.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Some((
                        Err(std::io::Error::other("sandbox fault: connection dropped")),
                        None,
                    ))
                }
            }
        });
        (StatusCode::OK, headers, Body::from_stream(stream)).into_response()
    }
}

/// Parses a JSON body without ever echoing its content in the error text.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|error| {
        let kind = match error.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        };
        format!(
            "{kind} in the request body at line {} column {}",
            error.line(),
            error.column()
        )
    })
}

async fn create_order(State(api): State<Api>, request: Request) -> Response {
    let signed = match api.read(request).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    let path = signed.path.as_str();
    let request: AuthoriseRequest = match parse(&signed.body) {
        Ok(request) => request,
        Err(message) => return api.error(StatusCode::BAD_REQUEST, path, &message),
    };
    match api.engine.authorise(request).await {
        Ok(Answer {
            response,
            fault: None,
        }) => api.json(StatusCode::OK, path, &response),
        Ok(Answer {
            response,
            fault: Some(fault),
        }) => match fault {
            Fault::TimeoutAfterCharge => {
                // Dropped, and the sleep with it, when the client gives up.
                tokio::time::sleep(api.engine.fault_hold()).await;
                api.json(StatusCode::OK, path, &response)
            }
            Fault::ServerErrorAfterCharge | Fault::ServerErrorBeforeCharge => {
                api.error(StatusCode::INTERNAL_SERVER_ERROR, path, "internal error")
            }
            Fault::DropAfterCharge => api.dropped(path, &response),
        },
        Err(error) => api.engine_error(path, &error),
    }
}

async fn get_order(
    State(api): State<Api>,
    Path(order_id): Path<String>,
    request: Request,
) -> Response {
    let signed = match api.read(request).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    match api.engine.order(&order_id) {
        Some(order) => api.json(StatusCode::OK, &signed.path, &order),
        None => api.engine_error(&signed.path, &EngineError::NotFound),
    }
}

async fn complete_challenge(
    State(api): State<Api>,
    Path(order_id): Path<String>,
    request: Request,
) -> Response {
    let signed = match api.read(request).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    let path = signed.path.as_str();
    let request: CompleteChallengeRequest = match parse(&signed.body) {
        Ok(request) => request,
        Err(message) => return api.error(StatusCode::BAD_REQUEST, path, &message),
    };
    match api
        .engine
        .complete_challenge(&order_id, &request.cres)
        .await
    {
        Ok(order) => api.json(StatusCode::OK, path, &order),
        Err(error) => api.engine_error(path, &error),
    }
}

async fn refund(
    State(api): State<Api>,
    Path(order_id): Path<String>,
    request: Request,
) -> Response {
    let signed = match api.read(request).await {
        Ok(signed) => signed,
        Err(refused) => return refused,
    };
    let path = signed.path.as_str();
    let request: RefundRequest = match parse(&signed.body) {
        Ok(request) => request,
        Err(message) => return api.error(StatusCode::BAD_REQUEST, path, &message),
    };
    match api.engine.refund(&order_id, request.amount_minor) {
        Ok(order) => api.json(StatusCode::OK, path, &order),
        Err(error) => api.engine_error(path, &error),
    }
}

#[derive(Deserialize)]
struct LedgerQuery {
    #[serde(default)]
    all: bool,
}

async fn ledger(
    State(api): State<Api>,
    Query(query): Query<LedgerQuery>,
) -> axum::Json<Vec<LedgerEntry>> {
    axum::Json(if query.all {
        api.engine.all_orders()
    } else {
        api.engine.ledger()
    })
}

async fn get_faults(State(api): State<Api>) -> axum::Json<FaultPlan> {
    axum::Json(api.engine.faults())
}

async fn set_faults(State(api): State<Api>, body: Bytes) -> Response {
    let plan: FaultPlan = match parse(&body).and_then(|plan: FaultPlan| {
        plan.validate()?;
        Ok(plan)
    }) {
        Ok(plan) => plan,
        Err(error) => {
            return (StatusCode::BAD_REQUEST, axum::Json(ErrorBody { error })).into_response();
        }
    };
    tracing::info!(?plan, "fault plan replaced");
    api.engine.set_faults(plan.clone());
    axum::Json(plan).into_response()
}

async fn stats(State(api): State<Api>) -> axum::Json<SandboxStats> {
    axum::Json(SandboxStats {
        authorise_requests: api.engine.authorise_requests(),
        charges: api.engine.charges(),
    })
}

/// The 3-D Secure challenge pages, `GET` and `POST /{token}`. [`router`]
/// nests them at `/acs`; a site that runs the engine in-process nests them
/// itself (at the path its [`crate::engine::EngineConfig::acs_base_url`] names).
pub fn acs_router(engine: Arc<Engine>) -> Router {
    Router::new()
        .route("/{token}", get(acs_show).post(acs_answer))
        .with_state(engine)
}

#[derive(Default, Deserialize)]
struct AcsForm {
    code: Option<String>,
    action: Option<String>,
}

async fn acs_show(State(engine): State<Arc<Engine>>, Path(token): Path<String>) -> Response {
    challenge_page(engine.challenge(&token))
}

/// The merchant's auto-posting form arrives here with no fields (or fields
/// of its own): that only shows the page. The page's own form brings
/// `action` and `code`.
async fn acs_answer(
    State(engine): State<Arc<Engine>>,
    Path(token): Path<String>,
    form: Result<Form<AcsForm>, FormRejection>,
) -> Response {
    let form = form.map(|Form(form)| form).unwrap_or_default();
    let action = match (form.action.as_deref(), form.code) {
        (Some("cancel"), _) => Some(ChallengeAction::Cancel),
        (Some("confirm"), code) => Some(ChallengeAction::Confirm {
            code: code.unwrap_or_default(),
        }),
        // Pressing Enter in the code field of a browser that sends no button.
        (None, Some(code)) => Some(ChallengeAction::Confirm { code }),
        _ => None,
    };
    let view = match action {
        Some(action) => engine.answer_challenge(&token, action),
        None => engine.challenge(&token),
    };
    challenge_page(view)
}

const STYLE: &str = "body{margin:0;font:16px/1.45 system-ui,sans-serif;background:#f2f4f7;color:#1d2430}\
main{max-width:26rem;margin:0 auto;padding:1.5rem 1rem}\
.card{background:#fff;border-radius:12px;padding:1.25rem;box-shadow:0 1px 3px #0002}\
h1{font-size:1.4rem;margin:0 0 .25rem}.sub,small{color:#5b6472}.sub{margin:0 0 1rem}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;margin:0 0 1rem}dt{color:#5b6472}dd{margin:0;font-weight:600}\
.note{background:#fff6d6;border:1px solid #e8d48a;border-radius:8px;padding:.6rem .75rem}\
label{display:block;margin:.75rem 0 .25rem}\
input{box-sizing:border-box;width:100%;font-size:1.4rem;letter-spacing:.3em;padding:.5rem;border:1px solid #9aa3b0;border-radius:8px}\
.buttons{display:flex;gap:.75rem;margin-top:1rem;flex-wrap:wrap}\
button{flex:1;font-size:1rem;padding:.75rem 1rem;border-radius:8px;border:1px solid #1f5fbf;background:#1f5fbf;color:#fff;cursor:pointer}\
button.secondary{background:#fff;color:#1f5fbf}.ok{color:#17733b;font-weight:600}.fail{color:#b3261e;font-weight:600}";

/// The page for a challenge: the code form while unanswered, then the form
/// that takes the browser back to the merchant.
fn challenge_page(view: Option<ChallengeView>) -> Response {
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let Some(view) = view else {
        let body = page(
            "<h1>3-D Secure</h1><p class=\"fail\">Проверка не найдена\
             <br><small>Unknown or expired challenge</small></p>",
        );
        return html(StatusCode::NOT_FOUND, &nonce, "'self'", body);
    };
    let amount = format_amount(view.amount_minor);
    let mut content = format!(
        "<h1>3-D Secure</h1><p class=\"sub\">Подтверждение платежа · <small>Payment confirmation</small></p>\
         <dl><dt>Сумма <small>Amount</small></dt><dd>{currency} {amount}</dd>\
         <dt>Карта <small>Card</small></dt><dd>{card}</dd></dl>",
        currency = escape(&view.currency),
        card = escape(&view.masked_card),
    );
    match view.outcome {
        None => {
            let _ = write!(
                content,
                "<p class=\"note\">Sandbox: your one-time code is <b>{code}</b>\
                 <br><small>Песочница: ваш одноразовый код {code}</small></p>\
                 <form method=\"post\" action=\"{token}\">\
                 <label for=\"code\">Одноразовый код <small>One-time code</small></label>\
                 <input id=\"code\" name=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
                 pattern=\"[0-9]*\" maxlength=\"6\" autofocus>\
                 <div class=\"buttons\">\
                 <button type=\"submit\" name=\"action\" value=\"confirm\">Подтвердить / Confirm</button>\
                 <button type=\"submit\" name=\"action\" value=\"cancel\" class=\"secondary\" formnovalidate>Отмена / Cancel</button>\
                 </div></form>",
                code = escape(&view.code),
                token = escape(&view.token),
            );
        }
        Some(outcome) => {
            let verdict = match outcome {
                ChallengeOutcome::Passed => {
                    "<p class=\"ok\">Подтверждено <small>Verified</small></p>"
                }
                ChallengeOutcome::Failed => {
                    "<p class=\"fail\">Не подтверждено <small>Not verified</small></p>"
                }
            };
            let _ = write!(
                content,
                "{verdict}<p>Возвращаемся в магазин… <small>Returning to the merchant…</small></p>\
                 <form method=\"post\" action=\"{return_url}\">\
                 <input type=\"hidden\" name=\"cres\" value=\"{token}\">\
                 <div class=\"buttons\"><button type=\"submit\">Continue / Продолжить</button></div></form>\
                 <script nonce=\"{nonce}\">document.forms[0].submit()</script>",
                return_url = escape(&view.return_url),
                token = escape(&view.token),
            );
        }
    }
    let form_action = return_origin(&view.return_url);
    html(StatusCode::OK, &nonce, &form_action, page(&content))
}

fn page(content: &str) -> String {
    format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>3-D Secure</title><style>{STYLE}</style></head>\
         <body><main><div class=\"card\">{content}</div></main></body></html>"
    )
}

fn html(status: StatusCode, nonce: &str, form_action: &str, body: String) -> Response {
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'nonce-{nonce}'; \
         form-action 'self' {form_action}; frame-ancestors 'none'; base-uri 'none'"
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    (status, headers, body).into_response()
}

/// The CSP source for the return form: the origin of an absolute return
/// URL, `'self'` for a path.
fn return_origin(return_url: &str) -> String {
    match reqwest::Url::parse(return_url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url.origin().ascii_serialization(),
        _ => "'self'".to_owned(),
    }
}

/// `220000` → `2,200.00`.
fn format_amount(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let minor = minor.unsigned_abs();
    let major = (minor / 100).to_string();
    let mut grouped = String::with_capacity(major.len() + major.len() / 3);
    for (i, digit) in major.chars().enumerate() {
        if i > 0 && (major.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", minor % 100)
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(format_amount(220_000), "2,200.00");
        assert_eq!(format_amount(5), "0.05");
        assert_eq!(format_amount(123_456_789), "1,234,567.89");
        assert_eq!(format_amount(100_000_000), "1,000,000.00");
        assert_eq!(format_amount(-150), "-1.50");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn origins() {
        assert_eq!(
            return_origin("https://tolem.kg/pay/3ds?x=1"),
            "https://tolem.kg"
        );
        assert_eq!(
            return_origin("http://127.0.0.1:3000/r"),
            "http://127.0.0.1:3000"
        );
        assert_eq!(return_origin("/pay/3ds"), "'self'");
    }

    #[test]
    fn json_errors_do_not_echo_the_body() {
        let body = br#"{"order_id":"a","amount_minor":1,"currency":"KGS","return_url":"/r",
            "card":{"number":4111111111111111,"exp_month":1,"exp_year":2030,"cvv":"123","holder":""}}"#;
        let error = parse::<AuthoriseRequest>(body).expect_err("a number is not a string");
        assert!(!error.contains("4111"), "{error}");
        assert!(error.contains("mistyped"), "{error}");
    }
}
