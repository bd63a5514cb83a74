//! The agencies that bill through the API (admins): the list with failing
//! webhook endpoints and a form to add one; an agency's page with its
//! services, its webhook endpoint (and a form to change it), its API keys
//! (labelled, revocable; a new key or signing secret shown once, on the
//! answer to the form that made it) and its failing deliveries, each with
//! a button that sends it again.

use super::payments::{service_name, text_field};
use super::{Frame, csrf_field, document, problem};
use crate::format;
use crate::i18n::*;
use crate::messages::Msg;
use chrono::{DateTime, Utc};
use domain::ServiceKind;
use leptos::prelude::*;

pub struct AgencyLine {
    pub id: String,
    pub name: String,
    pub services: Vec<ServiceKind>,
    pub webhook_url: Option<String>,
    pub live_keys: usize,
    /// Deliveries being retried after a failure, and given up on.
    pub retrying: i64,
    pub dead: i64,
}

pub struct KeyLine {
    pub id: String,
    pub prefix: String,
    pub mode: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

pub struct EventLine {
    pub id: String,
    pub code: String,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub dead: bool,
    pub attempts: i64,
    pub last_answer: Option<String>,
}

pub struct AgencyDetail {
    pub line: AgencyLine,
    pub keys: Vec<KeyLine>,
    pub failing: Vec<EventLine>,
}

/// A new agency's form, as typed.
#[derive(Clone, Debug, Default)]
pub struct AgencyForm {
    pub name: String,
    pub services: Vec<ServiceKind>,
    pub webhook_url: String,
    pub errors: Vec<(&'static str, Msg)>,
}

/// Something shown once on the answer that made it: (what, the secret).
pub type ShownOnce = Option<(Msg, String)>;

fn shown_once(locale: Locale, once: &ShownOnce) -> impl IntoView + use<> {
    once.as_ref().map(|(what, secret)| {
        view! {
            <div class="bo-once" role="status">
                <p><strong>{what.text(locale)}</strong></p>
                <p><code class="bo-secret">{secret.clone()}</code></p>
                <p>{td_string!(locale, bo_agencies_shown_once)}</p>
            </div>
        }
    })
}

fn services_text(locale: Locale, services: &[ServiceKind]) -> String {
    services
        .iter()
        .map(|s| service_name(locale, *s))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn list(
    locale: Locale,
    frame: &Frame,
    agencies: &[AgencyLine],
    form: &AgencyForm,
    once: &ShownOnce,
) -> String {
    let title = td_string!(locale, bo_agencies_title);
    let rows = agencies
        .iter()
        .map(|a| {
            let failing = (a.retrying + a.dead > 0).then(|| {
                format!(
                    "{}: {} · {}: {}",
                    td_string!(locale, bo_agencies_retrying),
                    a.retrying,
                    td_string!(locale, bo_agencies_dead),
                    a.dead
                )
            });
            view! {
                <tr>
                    <td><a href=format!("/admin/agencies/{}", a.id)>{a.name.clone()}</a></td>
                    <td>{services_text(locale, &a.services)}</td>
                    <td>{a.webhook_url.clone().unwrap_or_else(|| td_string!(locale, bo_none).to_owned())}</td>
                    <td class="num">{a.live_keys}</td>
                    <td class="bo-failing">{failing}</td>
                </tr>
            }
        })
        .collect_view();
    let checks = ServiceKind::ALL
        .into_iter()
        .map(|kind| {
            let id = format!("service-{}", kind.as_str());
            view! {
                <label class="bo-check">
                    <input type="checkbox" id=id name="services" value=kind.as_str()
                        checked=form.services.contains(&kind)/>
                    " " {service_name(locale, kind)}
                </label>
            }
        })
        .collect_view();
    let services_error = form
        .errors
        .iter()
        .find(|(f, _)| *f == "services")
        .map(|(_, m)| view! { <p class="field-error">{m.text(locale)}</p> });
    let body = view! {
        <h1>{title}</h1>
        {shown_once(locale, once)}
        <div class="bo-table-wrap"><table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_agency_label)}</th>
                <th scope="col">{td_string!(locale, bo_agencies_services)}</th>
                <th scope="col">{td_string!(locale, bo_agencies_webhook)}</th>
                <th scope="col">{td_string!(locale, bo_agencies_live_keys)}</th>
                <th scope="col">{td_string!(locale, bo_agencies_failing)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
        <h2>{td_string!(locale, bo_agencies_add_title)}</h2>
        {form.errors.iter().find(|(f, _)| f.is_empty()).map(|(_, m)| problem(m.text(locale).to_owned()))}
        <form method="post" action="/admin/agencies" class="bo-form">
            {csrf_field(&frame.csrf)}
            {text_field(locale, &form.errors, "name", td_string!(locale, bo_agencies_name), "text", &form.name)}
            <fieldset class="field">
                <legend>{td_string!(locale, bo_agencies_services)}</legend>
                {services_error}
                {checks}
            </fieldset>
            {text_field(locale, &form.errors, "webhook_url", td_string!(locale, bo_agencies_webhook_optional), "url", &form.webhook_url)}
            <button type="submit" class="button">{td_string!(locale, bo_agencies_add_button)}</button>
        </form>
    };
    document(locale, title, Some(frame), &frame.here, body)
}

pub fn detail(
    locale: Locale,
    frame: &Frame,
    a: &AgencyDetail,
    webhook_form: (&str, &[(&'static str, Msg)]),
    once: &ShownOnce,
) -> String {
    let base = format!("/admin/agencies/{}", a.line.id);
    let keys = a
        .keys
        .iter()
        .map(|k| {
            let state = match k.revoked_at {
                Some(at) => format!("{} {}", td_string!(locale, bo_agencies_revoked), format::date_time(locale, at)),
                None => td_string!(locale, bo_agencies_live).to_owned(),
            };
            let revoke = k.revoked_at.is_none().then(|| view! {
                <form method="post" action=format!("{base}/keys/{}/revoke", k.id) class="bo-inline">
                    {csrf_field(&frame.csrf)}
                    <button type="submit" class="link-button">{td_string!(locale, bo_agencies_revoke)}</button>
                </form>
            });
            view! {
                <tr>
                    <td><code>{k.prefix.clone()} "…"</code></td>
                    <td>{k.label.clone().unwrap_or_default()}</td>
                    <td>{k.mode.clone()}</td>
                    <td>{format::date_time(locale, k.created_at)}</td>
                    <td>{state} " " {revoke}</td>
                </tr>
            }
        })
        .collect_view();
    let failing = a
        .failing
        .iter()
        .map(|e| {
            let state = if e.dead {
                td_string!(locale, bo_agencies_dead)
            } else {
                td_string!(locale, bo_agencies_retrying)
            };
            view! {
                <tr>
                    <td>{format::date_time(locale, e.at)}</td>
                    <td><code>{e.kind.clone()}</code></td>
                    <td>{e.code.clone()}</td>
                    <td>{state} " (" {e.attempts} ")"</td>
                    <td><code>{e.last_answer.clone().unwrap_or_default()}</code></td>
                    <td>
                        <form method="post" action=format!("{base}/events/{}/redeliver", e.id) class="bo-inline">
                            {csrf_field(&frame.csrf)}
                            <button type="submit" class="link-button">{td_string!(locale, bo_agencies_redeliver)}</button>
                        </form>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <p><a href="/admin/agencies">{td_string!(locale, bo_agencies_title)}</a></p>
        <h1>{a.line.name.clone()}</h1>
        {shown_once(locale, once)}
        <dl class="bo-facts">
            <div><dt>"ID"</dt><dd><code>{a.line.id.clone()}</code></dd></div>
            <div><dt>{td_string!(locale, bo_agencies_services)}</dt><dd>{services_text(locale, &a.line.services)}</dd></div>
            <div><dt>{td_string!(locale, bo_agencies_webhook)}</dt><dd>{a.line.webhook_url.clone().unwrap_or_else(|| td_string!(locale, bo_none).to_owned())}</dd></div>
        </dl>
        <form method="post" action=format!("{base}/webhook") class="bo-form">
            {csrf_field(&frame.csrf)}
            {text_field(locale, webhook_form.1, "webhook_url", td_string!(locale, bo_agencies_webhook), "url", webhook_form.0)}
            <button type="submit" class="button secondary">{td_string!(locale, bo_agencies_webhook_button)}</button>
        </form>
        <h2>{td_string!(locale, bo_agencies_keys_title)}</h2>
        <div class="bo-table-wrap"><table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_agencies_key)}</th>
                <th scope="col">{td_string!(locale, bo_agencies_key_label)}</th>
                <th scope="col">{td_string!(locale, bo_agencies_mode)}</th>
                <th scope="col">{td_string!(locale, bo_created_label)}</th>
                <th scope="col">{td_string!(locale, status_label)}</th>
            </tr></thead>
            <tbody>{keys}</tbody>
        </table></div>
        <form method="post" action=format!("{base}/keys") class="bo-form">
            {csrf_field(&frame.csrf)}
            {text_field(locale, &[], "label", td_string!(locale, bo_agencies_key_label), "text", "")}
            <button type="submit" class="button">{td_string!(locale, bo_agencies_key_button)}</button>
        </form>
        <h2>{td_string!(locale, bo_agencies_failing)}</h2>
        {a.failing.is_empty().then(|| view! { <p>{td_string!(locale, bo_agencies_no_failing)}</p> })}
        <div class="bo-table-wrap"><table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_when)}</th>
                <th scope="col">{td_string!(locale, bo_event_label)}</th>
                <th scope="col">{td_string!(locale, code_label)}</th>
                <th scope="col">{td_string!(locale, status_label)}</th>
                <th scope="col">{td_string!(locale, bo_agencies_last_answer)}</th>
                <th scope="col"></th>
            </tr></thead>
            <tbody>{failing}</tbody>
        </table></div>
    };
    document(locale, &a.line.name, Some(frame), &frame.here, body)
}
