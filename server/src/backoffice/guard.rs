//! What every back-office request passes before its handler, deny by
//! default: the route must be in [`access`]'s table (a route missing from
//! it is refused, whoever asks), a form post must carry the session's CSRF
//! token, and a route for staff needs a live session of an enabled account
//! whose credentials have not changed since it signed in, and the role's
//! permission. The handler then finds who asks in a [`Ctx`].

use super::BackOffice;
use super::sessions::{CSRF, PENDING, Pending, SIGNED_IN, SignedIn};
use crate::storage::StaffRecord;
use app::backoffice::Frame;
use app::i18n::Locale;
use app::services::Client;
use axum::body::{Body, to_bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::staff::Permission;
use rand::RngCore;
use tower_sessions::Session;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The sign-in form.
    Anyone,
    /// The second step of signing in: a right password moments ago.
    Pending,
    /// Any signed-in staff member.
    Staff,
    Needs(Permission),
}

/// How long the code may follow the password.
const PENDING_SECS: i64 = 5 * 60;
/// The largest form a back-office page posts.
const FORM_LIMIT: usize = 16 * 1024;

/// Every back-office route and who may use it; anything else is refused.
pub fn access(method: &Method, route: &str) -> Option<Access> {
    use Access::*;
    use Permission::*;
    let get = method == Method::GET || method == Method::HEAD;
    let post = method == Method::POST;
    Some(match route {
        "/admin/login" if get || post => Anyone,
        "/admin/login/code" if get || post => Pending,
        "/admin" if get => Staff,
        "/admin/overview" if get => Needs(ReadPayments),
        "/admin/logout" if post => Staff,
        "/admin/payments" if get => Needs(ReadPayments),
        "/admin/payments/export" if get => Needs(ExportPayments),
        "/admin/payments/{id}" if get => Needs(ReadPayments),
        "/admin/payments/{id}/refunds" if post => Needs(Refund),
        "/admin/users" if get || post => Needs(ManageUsers),
        "/admin/users/{id}" if get => Needs(ManageUsers),
        "/admin/users/{id}/{action}" if post => Needs(ManageUsers),
        "/admin/audit" if get => Needs(ReadAudit),
        "/admin/documents" if get || post => Needs(PublishDocuments),
        "/admin/agencies" if get || post => Needs(ManageAgencies),
        "/admin/agencies/{id}" if get => Needs(ManageAgencies),
        "/admin/agencies/{id}/keys"
        | "/admin/agencies/{id}/keys/{key}/revoke"
        | "/admin/agencies/{id}/webhook"
        | "/admin/agencies/{id}/events/{event}/redeliver"
            if post =>
        {
            Needs(ManageAgencies)
        }
        "/admin/feedback" if get => Needs(HandleFeedback),
        "/admin/feedback/{id}" if get => Needs(HandleFeedback),
        "/admin/feedback/{id}/handled" if post => Needs(HandleFeedback),
        _ => return None,
    })
}

/// What a handler knows of the request.
#[derive(Clone)]
pub struct Ctx {
    pub locale: Locale,
    pub csrf: String,
    pub address: String,
    /// Path and query, for the language switch to come back to.
    pub here: String,
    pub session: Session,
    /// The signed-in staff member, on staff routes.
    pub staff: Option<StaffRecord>,
    pub test_mode: bool,
}

impl Ctx {
    /// The frame of a staff page.
    pub fn frame(&self) -> Option<Frame> {
        self.staff.as_ref().map(|s| Frame {
            email: s.email.clone(),
            role: s.role,
            csrf: self.csrf.clone(),
            here: self.here.clone(),
            test_mode: self.test_mode,
        })
    }

    pub fn actor(&self) -> crate::staff::Actor {
        crate::staff::Actor {
            id: self.staff.as_ref().map(|s| s.id.clone()),
            email: self.staff.as_ref().map(|s| s.email.clone()),
            address: Some(self.address.clone()),
        }
    }
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A page that says no, with its status.
pub fn refuse(ctx: &Ctx, status: StatusCode) -> Response {
    let frame = ctx.frame();
    let page = app::backoffice::refusal(
        ctx.locale,
        frame.as_ref(),
        &ctx.here,
        status == StatusCode::FORBIDDEN,
    );
    (status, Html(page)).into_response()
}

fn to_sign_in() -> Response {
    Redirect::to("/admin/login").into_response()
}

/// The session's staff member, if the session is live and the account may
/// still use it; a dead session is emptied.
async fn signed_in(bo: &BackOffice, session: &Session) -> Result<Option<StaffRecord>, Response> {
    let Ok(Some(signed)) = session.get::<SignedIn>(SIGNED_IN).await else {
        return Ok(None);
    };
    let staff = bo
        .desk
        .store
        .staff_by_id(&signed.staff_id)
        .await
        .map_err(|_| super::busy())?;
    let now = bo.desk.now().timestamp();
    let lifetime = i64::try_from(bo.desk.settings.absolute_timeout.as_secs()).unwrap_or(i64::MAX);
    let live = staff.filter(|s| {
        s.disabled_at.is_none()
            && s.credentials_version == signed.version
            && now.saturating_sub(signed.at) < lifetime
    });
    if live.is_none() {
        let _ = session.flush().await;
    }
    Ok(live)
}

pub async fn guard(State(bo): State<BackOffice>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let (mut parts, body) = request.into_parts();
    let locale = app::lang::resolve(&parts);
    let address = parts
        .extensions
        .get::<Client>()
        .map(|c| c.address.clone())
        .unwrap_or_else(|| "unknown".into());
    // Pages link back here (the language switch); a card number pasted into
    // a filter is never linked to.
    let here = match parts.uri.query() {
        Some(query) if !app::feedback::contains_card_number(query) => {
            format!("{}?{query}", parts.uri.path())
        }
        _ => parts.uri.path().to_owned(),
    };
    let csrf = match session.get::<String>(CSRF).await {
        Ok(Some(token)) => token,
        Ok(None) => {
            let token = new_token();
            if session.insert(CSRF, &token).await.is_err() {
                return super::busy();
            }
            token
        }
        Err(_) => return super::busy(),
    };
    let mut ctx = Ctx {
        locale,
        csrf,
        address,
        here,
        session: session.clone(),
        staff: None,
        test_mode: bo.test_mode,
    };
    let Some(access) = access(&parts.method, &route) else {
        return refuse(&ctx, StatusCode::FORBIDDEN);
    };
    let body = if parts.method == Method::POST {
        let Ok(bytes) = to_bytes(body, FORM_LIMIT).await else {
            return refuse(&ctx, StatusCode::PAYLOAD_TOO_LARGE);
        };
        let token = form_urlencoded::parse(&bytes)
            .find(|(name, _)| name == "csrf")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        if !same(&token, &ctx.csrf) {
            let page = app::backoffice::login::stale(ctx.locale);
            return (StatusCode::FORBIDDEN, Html(page)).into_response();
        }
        Body::from(bytes)
    } else {
        body
    };
    match access {
        Access::Anyone => {}
        Access::Pending => {
            let pending = session.get::<Pending>(PENDING).await.ok().flatten();
            let fresh = pending.is_some_and(|p| bo.desk.now().timestamp() - p.at < PENDING_SECS);
            if !fresh {
                return Redirect::to("/admin/login?expired=1").into_response();
            }
        }
        Access::Staff | Access::Needs(_) => {
            let staff = match signed_in(&bo, &session).await {
                Ok(Some(staff)) => staff,
                Ok(None) => return to_sign_in(),
                Err(response) => return response,
            };
            let allowed = match access {
                Access::Needs(permission) => staff.role.may(permission),
                _ => true,
            };
            ctx.staff = Some(staff);
            if !allowed {
                return refuse(&ctx, StatusCode::FORBIDDEN);
            }
        }
    }
    parts.extensions.insert(ctx);
    let mut response = next.run(Request::from_parts(parts, body)).await;
    response
        .headers_mut()
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_outside_the_table_are_refused() {
        assert_eq!(access(&Method::GET, "/admin/login"), Some(Access::Anyone));
        assert_eq!(access(&Method::DELETE, "/admin/payments"), None);
        assert_eq!(access(&Method::POST, "/admin/payments"), None);
        assert_eq!(access(&Method::GET, "/admin/anything-new"), None);
        assert_eq!(
            access(&Method::GET, "/admin/payments/export"),
            Some(Access::Needs(Permission::ExportPayments))
        );
    }

    #[test]
    fn tokens_compare_whole() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert!(same(&token, &token.clone()));
        assert!(!same(&token, &token[..63]));
        assert!(!same(&token, ""));
    }
}
