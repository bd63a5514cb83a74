//! Staff accounts, for admins: list and add, an account's page, and its
//! actions (reset, role, disable, enable). The [`crate::staff::StaffDesk`]
//! does the work and writes the audit entries; an admin cannot disable
//! or demote themselves (so the last admin cannot lock everyone out by a
//! slip).

use super::guard::Ctx;
use super::{BackOffice, busy, not_found};
use crate::staff::AccountError;
use crate::storage::{StaffChange, StaffRecord};
use app::backoffice::users::{self, Account};
use app::messages::Msg;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use domain::staff::Role;
use serde::Deserialize;

fn account_of(bo: &BackOffice, s: &StaffRecord) -> Account {
    Account {
        id: s.id.clone(),
        email: s.email.clone(),
        role: s.role,
        enrolled: s.totp_secret.is_some(),
        locked_until: s.locked_until.filter(|t| *t > bo.desk.now()),
        disabled: s.disabled_at.is_some(),
        created_at: s.created_at,
    }
}

async fn list_page(
    bo: &BackOffice,
    ctx: &Ctx,
    email: &str,
    role: Option<Role>,
    error: Option<Msg>,
) -> Response {
    let (Some(frame), Ok(all)) = (ctx.frame(), bo.store.all_staff().await) else {
        return busy();
    };
    let accounts: Vec<Account> = all.iter().map(|s| account_of(bo, s)).collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = users::list(ctx.locale, &frame, &accounts, email, role, error);
    (status, Html(page)).into_response()
}

pub async fn list(State(bo): State<BackOffice>, Extension(ctx): Extension<Ctx>) -> Response {
    list_page(&bo, &ctx, "", None, None).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn add(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Form(form): Form<AddForm>,
) -> Response {
    let role = form.role.parse::<Role>().unwrap_or(Role::Viewer);
    match bo.desk.add(&ctx.actor(), &form.email, role, None).await {
        Ok(credentials) => {
            let (Some(frame), Some(password)) = (ctx.frame(), credentials.password) else {
                return busy();
            };
            let page = users::credentials(ctx.locale, &frame, &credentials.staff.email, &password);
            Html(page).into_response()
        }
        Err(AccountError::Email) => {
            list_page(
                &bo,
                &ctx,
                &form.email,
                Some(role),
                Some(Msg::BoUserBadEmail),
            )
            .await
        }
        Err(AccountError::Taken) => {
            list_page(&bo, &ctx, &form.email, Some(role), Some(Msg::BoUserTaken)).await
        }
        Err(_) => busy(),
    }
}

async fn account_page(bo: &BackOffice, ctx: &Ctx, id: &str, notice: Option<Msg>) -> Response {
    let Some(frame) = ctx.frame() else {
        return busy();
    };
    match bo.store.staff_by_id(id).await {
        Ok(Some(staff)) => {
            let page = users::account(ctx.locale, &frame, &account_of(bo, &staff), notice);
            Html(page).into_response()
        }
        Ok(None) => not_found(ctx),
        Err(_) => busy(),
    }
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn account(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Response {
    let query: DoneQuery =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or_default()).unwrap_or_default();
    // Only the notices an action redirects with are shown.
    let notice = query
        .done
        .and_then(|key| Msg::from_key(&key))
        .filter(|msg| {
            matches!(
                msg,
                Msg::BoRoleChanged | Msg::BoUserDisabledNotice | Msg::BoUserEnabledNotice
            )
        });
    account_page(&bo, &ctx, &id, notice).await
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    role: String,
}

pub async fn act(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<ActionForm>,
) -> Response {
    let actor = ctx.actor();
    let myself = ctx.staff.as_ref().is_some_and(|s| s.id == id);
    if action == "reset" {
        return match bo.desk.reset(&actor, &id, None).await {
            Ok(credentials) => {
                let (Some(frame), Some(password)) = (ctx.frame(), credentials.password) else {
                    return busy();
                };
                let page =
                    users::credentials(ctx.locale, &frame, &credentials.staff.email, &password);
                Html(page).into_response()
            }
            Err(AccountError::NoAccount) => not_found(&ctx),
            Err(_) => busy(),
        };
    }
    let (change, done) = match action.as_str() {
        "role" => match form.role.parse::<Role>() {
            Ok(role) => (StaffChange::Role(role), Msg::BoRoleChanged),
            Err(_) => return account_page(&bo, &ctx, &id, Some(Msg::BoNothingChanged)).await,
        },
        "disable" => (
            StaffChange::Disabled(bo.desk.now()),
            Msg::BoUserDisabledNotice,
        ),
        "enable" => (StaffChange::Enabled, Msg::BoUserEnabledNotice),
        _ => return not_found(&ctx),
    };
    if myself && !matches!(change, StaffChange::Enabled) {
        return account_page(&bo, &ctx, &id, Some(Msg::BoNotYourself)).await;
    }
    match bo.desk.change(&actor, &id, change).await {
        // Post, redirect, get: a reload does not post again.
        Ok(true) => Redirect::to(&format!("/admin/users/{id}?done={}", done.key())).into_response(),
        Ok(false) => account_page(&bo, &ctx, &id, Some(Msg::BoNothingChanged)).await,
        Err(AccountError::NoAccount) => not_found(&ctx),
        Err(_) => busy(),
    }
}
