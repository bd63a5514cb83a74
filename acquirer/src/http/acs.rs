//! The 3-D Secure challenge pages (`GET` and `POST /{token}`): a small
//! bilingual form that shows the sandbox's one-time code, takes the
//! cardholder's answer, then posts `cres` back to the merchant's return URL.
//!
//! A site that runs the engine in-process serves these pages from its own
//! origin, so they carry a strict content security policy: no script but the
//! nonce'd auto-submit, forms only to this origin and the merchant's.

use crate::engine::{ChallengeAction, ChallengeOutcome, ChallengeView, Engine};
use axum::Router;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use std::fmt::Write as _;
use std::sync::Arc;

/// The 3-D Secure challenge pages, `GET` and `POST /{token}`. [`router`](super::router)
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
        // Under the early-notification fault this waits for the merchant to
        // take the notification: the browser must come back after it.
        Some(action) => engine.answer_challenge(&token, action).await,
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
}
