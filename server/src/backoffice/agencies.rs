//! The agencies that bill through the API, for admins: the list (with
//! their failing endpoints) and adding one; an agency's page with its API
//! keys (created with a label, revoked), its webhook endpoint and its
//! failing deliveries, each sent again on request. Every change goes
//! through [`crate::agencies::admin`], the functions the `agency` and
//! `api-key` commands use, and is audited. A new key or signing secret is
//! shown once, on the answer to the form that made it (`no-store`).

use super::guard::Ctx;
use super::{BackOffice, busy, not_found};
use crate::agencies::admin::{self, AdminError, NewAgency};
use crate::agencies::keys::KeyMode;
use crate::storage::AgencyRecord;
use app::backoffice::agencies::{
    AgencyDetail, AgencyForm, AgencyLine, EventLine, KeyLine, ShownOnce, detail, list,
};
use app::messages::Msg;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use domain::ServiceKind;

/// How many failing deliveries an agency's page lists.
const FAILING_SHOWN: i64 = 50;

/// A form's fields, repeated ones (the services' checkboxes) included.
fn fields(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A page that shows a secret once: never kept by a cache.
fn page(status: StatusCode, html: String) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

async fn lines(bo: &BackOffice) -> Option<Vec<AgencyLine>> {
    let (agencies, keys, failing) = tokio::join!(
        bo.store.agencies(),
        bo.store.api_keys(None),
        bo.store.failing_endpoints()
    );
    let (agencies, keys, failing) = (agencies.ok()?, keys.ok()?, failing.ok()?);
    Some(
        agencies
            .into_iter()
            .map(|a| {
                let failing = failing.iter().find(|f| f.agency_id == a.id);
                AgencyLine {
                    live_keys: keys
                        .iter()
                        .filter(|k| k.agency_id == a.id && k.revoked_at.is_none())
                        .count(),
                    retrying: failing.map_or(0, |f| f.retrying),
                    dead: failing.map_or(0, |f| f.dead),
                    ..line(a)
                }
            })
            .collect(),
    )
}

fn line(a: AgencyRecord) -> AgencyLine {
    AgencyLine {
        id: a.id,
        name: a.name,
        services: a.services,
        webhook_url: a.webhook.map(|w| w.url),
        live_keys: 0,
        retrying: 0,
        dead: 0,
    }
}

async fn list_page(bo: &BackOffice, ctx: &Ctx, form: &AgencyForm, once: ShownOnce) -> Response {
    let (Some(frame), Some(agencies)) = (ctx.frame(), lines(bo).await) else {
        return busy();
    };
    let status = if form.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(status, list(ctx.locale, &frame, &agencies, form, &once))
}

pub async fn index(State(bo): State<BackOffice>, Extension(ctx): Extension<Ctx>) -> Response {
    list_page(&bo, &ctx, &AgencyForm::default(), None).await
}

pub async fn add(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    body: Bytes,
) -> Response {
    let fields = fields(&body);
    let mut form = AgencyForm {
        name: field(&fields, "name").to_owned(),
        services: fields
            .iter()
            .filter(|(n, _)| n == "services")
            .filter_map(|(_, v)| ServiceKind::from_str_opt(v))
            .collect(),
        webhook_url: field(&fields, "webhook_url").to_owned(),
        errors: Vec::new(),
    };
    let name = form.name.trim().chars().count();
    if name == 0 || name > 200 {
        form.errors.push(("name", Msg::BoAgenciesBadName));
    }
    if form.services.is_empty() {
        form.errors.push(("services", Msg::BoAgenciesNoServices));
    }
    let url = form.webhook_url.trim();
    if !url.is_empty() && crate::webhooks::endpoint_url(url, bo.test_mode).is_err() {
        form.errors.push(("webhook_url", Msg::BoAgenciesBadUrl));
    }
    if !form.errors.is_empty() {
        return list_page(&bo, &ctx, &form, None).await;
    }
    let services: Vec<&str> = form.services.iter().map(|s| s.as_str()).collect();
    let new = NewAgency {
        name: &form.name,
        services: &services.join(","),
        webhook_url: (!url.is_empty()).then_some(url),
    };
    let now = bo.desk.now();
    match admin::create_agency(bo.store.as_ref(), &new, bo.test_mode, now).await {
        Ok((agency, secret)) => {
            let after = serde_json::json!({ "name": agency.name, "services": services, "webhook_url": url });
            audit(&bo, &ctx, "agency_created", &agency.id, after).await;
            let once = secret.map(|s| (Msg::BoAgenciesNewSecret, s));
            list_page(&bo, &ctx, &AgencyForm::default(), once).await
        }
        Err(AdminError::Invalid(_)) => {
            form.errors.push(("", Msg::BoAgenciesBadName));
            list_page(&bo, &ctx, &form, None).await
        }
        Err(_) => busy(),
    }
}

async fn audit(bo: &BackOffice, ctx: &Ctx, action: &str, agency: &str, after: serde_json::Value) {
    let _ = bo
        .desk
        .audit(
            &ctx.actor(),
            action,
            Some(("agency", agency)),
            Some(after.to_string()),
        )
        .await;
}

async fn detail_page(
    bo: &BackOffice,
    ctx: &Ctx,
    id: &str,
    webhook: (&str, &[(&'static str, Msg)]),
    once: ShownOnce,
) -> Response {
    let Some(mut frame) = ctx.frame() else {
        return busy();
    };
    // Also the answer to the page's forms: the language switch comes back
    // to the page (never to a secret shown once: a fresh page has none).
    frame.here = format!("/admin/agencies/{id}");
    let agency = match bo.store.agency(id).await {
        Ok(Some(agency)) => agency,
        Ok(None) => return not_found(ctx),
        Err(_) => return busy(),
    };
    let (keys, failing) = tokio::join!(
        bo.store.api_keys(Some(id)),
        bo.store.failing_events(id, FAILING_SHOWN)
    );
    let (Ok(keys), Ok(failing)) = (keys, failing) else {
        return busy();
    };
    let url = agency
        .webhook
        .as_ref()
        .map(|w| w.url.clone())
        .unwrap_or_default();
    let typed = if webhook.1.is_empty() && webhook.0.is_empty() {
        url.as_str()
    } else {
        webhook.0
    };
    let a = AgencyDetail {
        line: line(agency.clone()),
        keys: keys
            .into_iter()
            .map(|k| KeyLine {
                id: k.id,
                prefix: k.prefix,
                mode: k.mode,
                label: k.label,
                created_at: k.created_at,
                revoked_at: k.revoked_at,
            })
            .collect(),
        failing: failing
            .into_iter()
            .map(|e| EventLine {
                dead: e.delivery == "dead",
                id: e.id,
                code: e.code,
                kind: e.kind,
                at: e.at,
                attempts: e.attempts,
                last_answer: e.last_answer,
            })
            .collect(),
    };
    let status = if webhook.1.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(
        status,
        detail(ctx.locale, &frame, &a, (typed, webhook.1), &once),
    )
}

pub async fn agency(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
) -> Response {
    detail_page(&bo, &ctx, &id, ("", &[]), None).await
}

pub async fn create_key(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = fields(&body);
    let label: String = field(&fields, "label").trim().chars().take(100).collect();
    let label = (!label.is_empty()).then_some(label);
    let mode = KeyMode::of_server(bo.test_mode);
    let now = bo.desk.now();
    match admin::create_key(bo.store.as_ref(), &id, label.as_deref(), mode, now).await {
        Ok((record, key)) => {
            let after = serde_json::json!({ "key": record.id, "prefix": record.prefix, "label": record.label });
            audit(&bo, &ctx, "api_key_created", &id, after).await;
            detail_page(
                &bo,
                &ctx,
                &id,
                ("", &[]),
                Some((Msg::BoAgenciesNewKey, key)),
            )
            .await
        }
        Err(AdminError::NoAgency(_)) => not_found(&ctx),
        Err(_) => busy(),
    }
}

pub async fn revoke_key(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path((id, key)): Path<(String, String)>,
) -> Response {
    let belongs = match bo.store.api_keys(Some(&id)).await {
        Ok(keys) => keys.iter().any(|k| k.id == key),
        Err(_) => return busy(),
    };
    if !belongs {
        return not_found(&ctx);
    }
    // By its id, now known to be this agency's (the command's `revoke_key`
    // also takes a prefix and reads every agency's keys for it).
    match bo.store.revoke_api_key(&key, bo.desk.now()).await {
        Ok(revoked) => {
            if revoked {
                audit(
                    &bo,
                    &ctx,
                    "api_key_revoked",
                    &id,
                    serde_json::json!({ "key": key }),
                )
                .await;
            }
            Redirect::to(&format!("/admin/agencies/{id}")).into_response()
        }
        Err(_) => busy(),
    }
}

pub async fn set_webhook(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = fields(&body);
    let url = field(&fields, "webhook_url").trim().to_owned();
    match admin::set_webhook_url(bo.store.as_ref(), &id, &url, bo.test_mode).await {
        Ok(secret) => {
            audit(
                &bo,
                &ctx,
                "webhook_set",
                &id,
                serde_json::json!({ "url": url }),
            )
            .await;
            match secret {
                Some(secret) => {
                    let once = Some((Msg::BoAgenciesNewSecret, secret));
                    detail_page(&bo, &ctx, &id, ("", &[]), once).await
                }
                None => Redirect::to(&format!("/admin/agencies/{id}")).into_response(),
            }
        }
        Err(AdminError::NoAgency(_)) => not_found(&ctx),
        Err(AdminError::Invalid(_)) => {
            let errors = [("webhook_url", Msg::BoAgenciesBadUrl)];
            detail_page(&bo, &ctx, &id, (&url, &errors), None).await
        }
        Err(AdminError::Store(_)) => busy(),
    }
}

pub async fn redeliver(
    State(bo): State<BackOffice>,
    Extension(ctx): Extension<Ctx>,
    Path((id, event)): Path<(String, String)>,
) -> Response {
    let ours = match bo.store.failing_events(&id, FAILING_SHOWN).await {
        Ok(events) => events.iter().any(|e| e.id == event),
        Err(_) => return busy(),
    };
    if !ours {
        return not_found(&ctx);
    }
    match bo.store.redeliver(&event, bo.desk.now()).await {
        Ok(_) => {
            audit(
                &bo,
                &ctx,
                "event_redelivered",
                &id,
                serde_json::json!({ "event": event }),
            )
            .await;
            Redirect::to(&format!("/admin/agencies/{id}")).into_response()
        }
        Err(_) => busy(),
    }
}
