//! Signing in and out: the password step, the code step (enrolling the
//! authenticator at the first sign-in), and signing out. A sign-in gives
//! the browser a new session id (no fixation) and the audit log an entry
//! for every attempt, right or wrong.

use super::guard::Ctx;
use super::sessions::{PENDING, Pending, SIGNED_IN, SignedIn};
use super::{BackOffice, busy};
use crate::staff::{SignInError, totp};
use app::backoffice::login::{self, Enrolment, SignInProblem};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    expired: Option<String>,
}

pub async fn sign_in_page(Extension(ctx): Extension<Ctx>, RawQuery(raw): RawQuery) -> Response {
    let q: SignInQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    let trouble = q.expired.map(|_| SignInProblem::Expired);
    Html(login::sign_in(ctx.locale, &ctx.csrf, "", trouble.as_ref())).into_response()
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn problem_of(ctx: &Ctx, error: &SignInError, wrong: SignInProblem) -> (StatusCode, SignInProblem) {
    match error {
        SignInError::Wrong => (StatusCode::UNPROCESSABLE_ENTITY, wrong),
        SignInError::Throttled => (StatusCode::TOO_MANY_REQUESTS, SignInProblem::Throttled),
        SignInError::Locked { until } => (
            StatusCode::FORBIDDEN,
            SignInProblem::Locked(app::format::date_time(ctx.locale, *until)),
        ),
        SignInError::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, SignInProblem::Busy),
    }
}

pub async fn sign_in(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<PasswordForm>,
) -> Response {
    match bo
        .desk
        .check_password(&form.email, &form.password, &ctx.address)
        .await
    {
        Ok(staff) => {
            let enrol = staff.totp_secret.is_none().then(totp::new_secret);
            let pending = Pending {
                staff_id: staff.id,
                at: bo.desk.now().timestamp(),
                enrol,
            };
            if ctx.session.cycle_id().await.is_err()
                || ctx.session.insert(PENDING, &pending).await.is_err()
            {
                return busy();
            }
            Redirect::to("/admin/login/code").into_response()
        }
        Err(error) => {
            let (status, trouble) = problem_of(&ctx, &error, SignInProblem::Wrong);
            // The email stays; the password is never sent back.
            let page = login::sign_in(ctx.locale, &ctx.csrf, form.email.trim(), Some(&trouble));
            (status, Html(page)).into_response()
        }
    }
}

async fn enrolment(bo: &BackOffice, pending: &Pending) -> Option<Enrolment> {
    let secret = pending.enrol.as_deref()?;
    let staff = bo.desk.store.staff_by_id(&pending.staff_id).await.ok()??;
    let uri = totp::enrolment_uri(secret, &bo.desk.settings.issuer, &staff.email)?;
    let key = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Enrolment {
        qr_svg: totp::qr_svg(&uri)?,
        key,
    })
}

async fn pending(ctx: &Ctx) -> Option<Pending> {
    ctx.session.get::<Pending>(PENDING).await.ok().flatten()
}

pub async fn code_page(State(bo): State<BackOffice>, Extension(ctx): Extension<Ctx>) -> Response {
    let Some(pending) = pending(&ctx).await else {
        return Redirect::to("/admin/login?expired=1").into_response();
    };
    let enrolment = enrolment(&bo, &pending).await;
    Html(login::code(ctx.locale, &ctx.csrf, enrolment.as_ref(), None)).into_response()
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

pub async fn code(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<CodeForm>,
) -> Response {
    let Some(pending) = pending(&ctx).await else {
        return Redirect::to("/admin/login?expired=1").into_response();
    };
    let checked = bo
        .desk
        .check_code(
            &pending.staff_id,
            &form.code,
            pending.enrol.as_deref(),
            &ctx.address,
        )
        .await;
    match checked {
        Ok(staff) => {
            let signed = SignedIn {
                staff_id: staff.id,
                version: staff.credentials_version,
                at: bo.desk.now().timestamp(),
            };
            let session = &ctx.session;
            if session.remove_value(PENDING).await.is_err()
                || session.cycle_id().await.is_err()
                || session.insert(SIGNED_IN, &signed).await.is_err()
            {
                return busy();
            }
            Redirect::to("/admin/payments").into_response()
        }
        Err(error) => {
            let (status, trouble) = problem_of(&ctx, &error, SignInProblem::WrongCode);
            if matches!(error, SignInError::Locked { .. }) {
                let _ = ctx.session.remove_value(PENDING).await;
                let page = login::sign_in(ctx.locale, &ctx.csrf, "", Some(&trouble));
                return (status, Html(page)).into_response();
            }
            let enrolment = enrolment(&bo, &pending).await;
            let page = login::code(ctx.locale, &ctx.csrf, enrolment.as_ref(), Some(&trouble));
            (status, Html(page)).into_response()
        }
    }
}

pub async fn sign_out(State(bo): State<BackOffice>, Extension(ctx): Extension<Ctx>) -> Response {
    let _ = bo.desk.audit(&ctx.actor(), "sign_out", None, None).await;
    let _ = ctx.session.flush().await;
    Redirect::to("/admin/login").into_response()
}
