//! The audit log, for admins: every staff action newest first, filtered by
//! who, what and when, in keyset pages. Read-only: nothing here (or
//! anywhere) changes or deletes an entry.

use super::{Frame, document};
use crate::format;
use crate::i18n::*;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct Line {
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub record: Option<String>,
    pub address: Option<String>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The actions the log names, in the filter's order.
pub const ACTIONS: [&str; 12] = [
    "sign_in",
    "sign_in_failed",
    "sign_in_locked",
    "sign_out",
    "user_created",
    "user_reset",
    "user_role_changed",
    "user_disabled",
    "user_enabled",
    "payment_viewed",
    "payments_exported",
    "feedback_handled",
];

pub fn action_name(locale: Locale, action: &str) -> String {
    match action {
        "sign_in" => td_string!(locale, bo_action_sign_in),
        "sign_in_failed" => td_string!(locale, bo_action_sign_in_failed),
        "sign_in_locked" => td_string!(locale, bo_action_sign_in_locked),
        "sign_out" => td_string!(locale, bo_action_sign_out),
        "user_created" => td_string!(locale, bo_action_user_created),
        "user_reset" => td_string!(locale, bo_action_user_reset),
        "user_role_changed" => td_string!(locale, bo_action_user_role_changed),
        "user_disabled" => td_string!(locale, bo_action_user_disabled),
        "user_enabled" => td_string!(locale, bo_action_user_enabled),
        "payment_viewed" => td_string!(locale, bo_action_payment_viewed),
        "payments_exported" => td_string!(locale, bo_action_payments_exported),
        "feedback_handled" => td_string!(locale, bo_action_feedback_handled),
        other => return other.to_owned(),
    }
    .to_owned()
}

pub struct AuditPage {
    pub actor: String,
    pub action: String,
    pub from: String,
    pub until: String,
    pub lines: Vec<Line>,
    pub next: Option<String>,
}

pub fn render(locale: Locale, frame: &Frame, page: &AuditPage) -> String {
    let title = td_string!(locale, bo_audit_title);
    let actions = ACTIONS
        .into_iter()
        .map(|a| {
            let selected = a == page.action;
            view! { <option value=a selected=selected>{action_name(locale, a)}</option> }
        })
        .collect_view();
    let lines = page
        .lines
        .iter()
        .map(|l| {
            let change = match (&l.before, &l.after) {
                (None, None) => String::new(),
                (before, after) => format!(
                    "{} → {}",
                    before.as_deref().unwrap_or("∅"),
                    after.as_deref().unwrap_or("∅")
                ),
            };
            view! {
                <tr>
                    <td>{format::date_time(locale, l.at)}</td>
                    <td>{l.actor.clone().unwrap_or_default()}</td>
                    <td>{action_name(locale, &l.action)}</td>
                    <td><code>{l.record.clone().unwrap_or_default()}</code></td>
                    <td>{l.address.clone().unwrap_or_default()}</td>
                    <td><code>{change}</code></td>
                </tr>
            }
        })
        .collect_view();
    let next = page.next.clone().map(|href| {
        view! { <a rel="next" href=href>{td_string!(locale, bo_next_page)}</a> }
    });
    let body = view! {
        <h1>{title}</h1>
        <form method="get" action="/admin/audit" class="bo-filters">
            <fieldset>
                <legend>{td_string!(locale, bo_filter_legend)}</legend>
                <div class="field">
                    <label for="actor">{td_string!(locale, bo_actor_label)}</label>
                    <input id="actor" name="actor" type="text" value=page.actor.clone()/>
                </div>
                <div class="field">
                    <label for="action">{td_string!(locale, bo_action_label)}</label>
                    <select id="action" name="action">
                        <option value="">{td_string!(locale, bo_any)}</option>
                        {actions}
                    </select>
                </div>
                <div class="field">
                    <label for="from">{td_string!(locale, bo_filter_from)}</label>
                    <input id="from" name="from" type="date" value=page.from.clone()/>
                </div>
                <div class="field">
                    <label for="until">{td_string!(locale, bo_filter_until)}</label>
                    <input id="until" name="until" type="date" value=page.until.clone()/>
                </div>
            </fieldset>
            <button type="submit" class="button">{td_string!(locale, bo_filter_button)}</button>
        </form>
        <div class="bo-table-wrap">
            <table class="bo-table">
                <thead><tr>
                    <th scope="col">{td_string!(locale, bo_when)}</th>
                    <th scope="col">{td_string!(locale, bo_actor_label)}</th>
                    <th scope="col">{td_string!(locale, bo_action_label)}</th>
                    <th scope="col">{td_string!(locale, bo_record_label)}</th>
                    <th scope="col">{td_string!(locale, bo_address_label)}</th>
                    <th scope="col">{td_string!(locale, bo_change_label)}</th>
                </tr></thead>
                <tbody>{lines}</tbody>
            </table>
        </div>
        <p>{next}</p>
    };
    document(locale, title, Some(frame), &frame.here, body)
}
