//! The feedback inbox, for support and admins: messages newest first (open
//! ones, or all), a message with its reply address and receipt number, and
//! the form that marks it handled with a note.

use super::{Frame, csrf_field, document, problem};
use crate::format;
use crate::i18n::*;
use crate::messages::Msg;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[derive(Clone, Debug)]
pub struct Message {
    pub id: i64,
    pub topic: &'static str,
    pub text: String,
    pub reply_email: Option<String>,
    pub receipt_number: Option<String>,
    pub created_at: DateTime<Utc>,
    /// When, by whom, and the note.
    pub handled: Option<(DateTime<Utc>, String, String)>,
}

fn state(locale: Locale, m: &Message) -> String {
    match &m.handled {
        Some((at, by, _)) => format!(
            "{} {} ({by})",
            td_string!(locale, bo_feedback_handled),
            format::date_time(locale, *at)
        ),
        None => td_string!(locale, bo_feedback_open).to_owned(),
    }
}

/// The list; `all` says whether handled messages are shown too.
pub fn list(
    locale: Locale,
    frame: &Frame,
    messages: &[Message],
    all: bool,
    next: Option<String>,
) -> String {
    let title = td_string!(locale, bo_feedback_title);
    let rows = messages
        .iter()
        .map(|m| {
            let href = format!("/admin/feedback/{}", m.id);
            let preview: String = m.text.chars().take(80).collect();
            view! {
                <tr>
                    <td>{format::date_time(locale, m.created_at)}</td>
                    <td><a href=href>{m.topic}</a></td>
                    <td>{preview}</td>
                    <td>{state(locale, m)}</td>
                </tr>
            }
        })
        .collect_view();
    let switch = if all {
        view! { <a href="/admin/feedback">{td_string!(locale, bo_feedback_show_open)}</a> }
    } else {
        view! { <a href="/admin/feedback?all=1">{td_string!(locale, bo_feedback_show_all)}</a> }
    };
    let body = view! {
        <h1>{title}</h1>
        <p>{switch}</p>
        {messages.is_empty().then(|| view! { <p>{td_string!(locale, bo_feedback_none)}</p> })}
        <table class="bo-table">
            <thead><tr>
                <th scope="col">{td_string!(locale, bo_when)}</th>
                <th scope="col">{td_string!(locale, feedback_topic_label)}</th>
                <th scope="col">{td_string!(locale, feedback_message_label)}</th>
                <th scope="col">{td_string!(locale, status_label)}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <p>{next.map(|href| view! { <a rel="next" href=href>{td_string!(locale, bo_next_page)}</a> })}</p>
    };
    document(locale, title, Some(frame), &frame.here, body)
}

/// One message, and the form that marks it handled (what was typed kept
/// when it is refused).
pub fn item(locale: Locale, frame: &Frame, m: &Message, note: &str, error: Option<Msg>) -> String {
    let title = format!("{} #{}", td_string!(locale, bo_feedback_title), m.id);
    let none = || td_string!(locale, bo_none).to_owned();
    let form = match &m.handled {
        Some((_, _, note)) => view! {
            <h2>{td_string!(locale, bo_feedback_note_label)}</h2>
            <p class="bo-note">{note.clone()}</p>
        }
        .into_any(),
        None => view! {
            <h2>{td_string!(locale, bo_feedback_mark_title)}</h2>
            {error.map(|msg| problem(msg.text(locale).to_owned()))}
            <form method="post" action=format!("/admin/feedback/{}/handled", m.id) class="bo-form">
                {csrf_field(&frame.csrf)}
                <div class="field">
                    <label for="note">{td_string!(locale, bo_feedback_note_label)}</label>
                    <textarea id="note" name="note" maxlength="2000" required>{note.to_owned()}</textarea>
                </div>
                <button type="submit" class="button">{td_string!(locale, bo_feedback_mark_button)}</button>
            </form>
        }
        .into_any(),
    };
    let body = view! {
        <p><a href="/admin/feedback">{td_string!(locale, bo_feedback_title)}</a></p>
        <h1>{title.clone()}</h1>
        <dl class="bo-facts">
            <div><dt>{td_string!(locale, bo_when)}</dt><dd>{format::date_time(locale, m.created_at)}</dd></div>
            <div><dt>{td_string!(locale, feedback_topic_label)}</dt><dd>{m.topic}</dd></div>
            <div><dt>{td_string!(locale, feedback_email_label)}</dt><dd>{m.reply_email.clone().unwrap_or_else(none)}</dd></div>
            <div><dt>{td_string!(locale, feedback_receipt_label)}</dt><dd>{m.receipt_number.clone().unwrap_or_else(none)}</dd></div>
            <div><dt>{td_string!(locale, status_label)}</dt><dd>{state(locale, m)}</dd></div>
        </dl>
        <h2>{td_string!(locale, feedback_message_label)}</h2>
        <p class="bo-message">{m.text.clone()}</p>
        {form}
    };
    document(locale, &title, Some(frame), &frame.here, body)
}
