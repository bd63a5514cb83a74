//! Staff accounts, for admins: the list with the form that adds one, an
//! account's page (change role, reset, disable or enable) and the page
//! that shows a new or reset account's password, once.

use super::{Frame, csrf_field, document, problem, role_name};
use crate::format;
use crate::i18n::*;
use crate::messages::Msg;
use chrono::{DateTime, Utc};
use domain::staff::Role;
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub enrolled: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

fn state(locale: Locale, a: &Account) -> String {
    if a.disabled {
        td_string!(locale, bo_account_disabled).to_owned()
    } else if let Some(until) = a.locked_until {
        format!(
            "{} {}",
            td_string!(locale, bo_account_locked),
            format::date_time(locale, until)
        )
    } else if !a.enrolled {
        td_string!(locale, bo_account_not_enrolled).to_owned()
    } else {
        td_string!(locale, bo_account_active).to_owned()
    }
}

fn role_select(locale: Locale, chosen: Option<Role>) -> impl IntoView + use<> {
    let options = Role::ALL
        .into_iter()
        .map(|role| {
            let selected = Some(role) == chosen;
            view! { <option value=role.as_str() selected=selected>{role_name(locale, role)}</option> }
        })
        .collect_view();
    view! {
        <div class="field">
            <label for="role">{td_string!(locale, bo_role_label)}</label>
            <select id="role" name="role">{options}</select>
        </div>
    }
}

/// The list, and the add form with what was typed and what was wrong.
pub fn list(
    locale: Locale,
    frame: &Frame,
    accounts: &[Account],
    email: &str,
    role: Option<Role>,
    error: Option<Msg>,
) -> String {
    let title = td_string!(locale, bo_users_title);
    let rows = accounts
        .iter()
        .map(|a| {
            let href = format!("/admin/users/{}", a.id);
            view! {
                <tr>
                    <td><a href=href>{a.email.clone()}</a></td>
                    <td>{role_name(locale, a.role)}</td>
                    <td>{state(locale, a)}</td>
                    <td>{format::date_time(locale, a.created_at)}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <h1>{title}</h1>
        <table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_email_label)}</th>
                <th scope="col">{td_string!(locale, bo_role_label)}</th>
                <th scope="col">{td_string!(locale, status_label)}</th>
                <th scope="col">{td_string!(locale, bo_created_label)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <h2>{td_string!(locale, bo_add_user_title)}</h2>
        {error.map(|msg| problem(msg.text(locale).to_owned()))}
        <form method="post" action="/admin/users" class="bo-form">
            {csrf_field(&frame.csrf)}
            <div class="field">
                <label for="email">{td_string!(locale, bo_email_label)}</label>
                <input id="email" name="email" type="email" autocomplete="off" required value=email.to_owned()/>
            </div>
            {role_select(locale, role)}
            <button type="submit" class="button">{td_string!(locale, bo_add_user_button)}</button>
        </form>
    };
    document(locale, title, Some(frame), &frame.here, body)
}

/// One account, with what an admin can do to it.
pub fn account(locale: Locale, frame: &Frame, a: &Account, notice: Option<Msg>) -> String {
    let title = a.email.clone();
    let action = |path: &str| format!("/admin/users/{}/{path}", a.id);
    let toggle = if a.disabled {
        view! {
            <form method="post" action=action("enable") class="bo-form">
                {csrf_field(&frame.csrf)}
                <button type="submit" class="button secondary">{td_string!(locale, bo_enable_button)}</button>
            </form>
        }
        .into_any()
    } else {
        view! {
            <form method="post" action=action("disable") class="bo-form">
                {csrf_field(&frame.csrf)}
                <button type="submit" class="button warning">{td_string!(locale, bo_disable_button)}</button>
            </form>
        }
        .into_any()
    };
    let body = view! {
        <p><a href="/admin/users">{td_string!(locale, bo_users_title)}</a></p>
        <h1>{title.clone()}</h1>
        {notice.map(|msg| view! { <div class="notice" role="status"><p>{msg.text(locale)}</p></div> })}
        <dl class="bo-facts">
            <div><dt>{td_string!(locale, bo_role_label)}</dt><dd>{role_name(locale, a.role)}</dd></div>
            <div><dt>{td_string!(locale, status_label)}</dt><dd>{state(locale, a)}</dd></div>
            <div><dt>{td_string!(locale, bo_created_label)}</dt><dd>{format::date_time(locale, a.created_at)}</dd></div>
        </dl>
        <h2>{td_string!(locale, bo_change_role_title)}</h2>
        <form method="post" action=action("role") class="bo-form">
            {csrf_field(&frame.csrf)}
            {role_select(locale, Some(a.role))}
            <button type="submit" class="button">{td_string!(locale, bo_change_role_button)}</button>
        </form>
        <h2>{td_string!(locale, bo_reset_title)}</h2>
        <p>{td_string!(locale, bo_reset_text)}</p>
        <form method="post" action=action("reset") class="bo-form">
            {csrf_field(&frame.csrf)}
            <button type="submit" class="button secondary">{td_string!(locale, bo_reset_button)}</button>
        </form>
        <h2>{td_string!(locale, bo_access_title)}</h2>
        {toggle}
    };
    document(locale, &title, Some(frame), &frame.here, body)
}

/// A password the server chose, shown this once.
pub fn credentials(locale: Locale, frame: &Frame, email: &str, password: &str) -> String {
    let title = td_string!(locale, bo_credentials_title);
    let body = view! {
        <h1>{title}</h1>
        <p>{td_string!(locale, bo_credentials_text)}</p>
        <dl class="bo-facts">
            <div><dt>{td_string!(locale, bo_email_label)}</dt><dd id="new-email">{email.to_owned()}</dd></div>
            <div><dt>{td_string!(locale, bo_password_label)}</dt><dd><code id="new-password">{password.to_owned()}</code></dd></div>
        </dl>
        <p><a href="/admin/users">{td_string!(locale, bo_users_title)}</a></p>
    };
    document(locale, title, Some(frame), "/admin/users", body)
}
