//! The feedback form (it posts to itself and works without JavaScript) and
//! the thanks after it. The checks a message passes are `crate::feedback`'s.

use super::problem;
use crate::feedback::{FeedbackField, FeedbackForm, TOPICS};
use crate::i18n::*;
use crate::messages::Msg;
use crate::{lang, paths};
use leptos::prelude::*;
use leptos_meta::Title;

/// A feedback form post that did not pass: the page shows it with the errors.
#[derive(Clone, Debug)]
pub struct PostedFeedback {
    pub values: FeedbackForm,
    pub errors: Vec<(FeedbackField, Msg)>,
    /// A message above the form (the rate limit, a failure on our side).
    pub notice: Option<Msg>,
}

/// A topic's name; the back office's inbox shows it too.
pub fn topic_name(locale: Locale, topic: &str) -> &'static str {
    match topic {
        "payment" => td_string!(locale, feedback_topic_payment),
        "refund" => td_string!(locale, feedback_topic_refund),
        "site" => td_string!(locale, feedback_topic_site),
        "suggestion" => td_string!(locale, feedback_topic_suggestion),
        _ => td_string!(locale, feedback_topic_other),
    }
}

/// The feedback form; it posts to itself and works without JavaScript.
#[component]
pub fn FeedbackPage() -> impl IntoView {
    let locale = lang::current();
    let posted = use_context::<PostedFeedback>();
    let (values, errors, notice) = match posted {
        Some(p) => (p.values, p.errors, p.notice),
        None => (FeedbackForm::default(), Vec::new(), None),
    };
    let error_for = |field: FeedbackField| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, msg)| msg.text(locale))
    };
    let field_error = move |field: FeedbackField| {
        error_for(field).map(|text| {
            let id = format!("{}-error", field.input_id());
            view! { <p class="field-error" id=id>{text}</p> }
        })
    };
    let invalid = move |field: FeedbackField| error_for(field).map(|_| "true");
    let summary = (!errors.is_empty()).then(|| {
        let items = errors
            .iter()
            .map(|(field, msg)| {
                let href = format!("#{}", field.input_id());
                view! { <li><a href=href>{msg.text(locale)}</a></li> }
            })
            .collect_view();
        view! {
            <div class="error-summary" role="alert" tabindex="-1" autofocus>
                <h2>{td_string!(locale, error_summary_title)}</h2>
                <ul>{items}</ul>
            </div>
        }
    });
    let topics = TOPICS
        .into_iter()
        .map(|topic| {
            let selected = values.topic == topic;
            view! { <option value=topic selected=selected>{topic_name(locale, topic)}</option> }
        })
        .collect_view();
    view! {
        <Title text=td_string!(locale, feedback_title)/>
        <h1>{td_string!(locale, feedback_title)}</h1>
        <p class="lead">{td_string!(locale, feedback_intro)}</p>
        {notice.map(|msg| problem(msg.text(locale)))}
        {summary}
        <form method="post" action=paths::FEEDBACK class="feedback-form" novalidate>
            <div class="field">
                <label for="topic">{td_string!(locale, feedback_topic_label)}</label>
                {field_error(FeedbackField::Topic)}
                <select id="topic" name="topic" aria-invalid=invalid(FeedbackField::Topic)>
                    <option value="">{td_string!(locale, feedback_topic_choose)}</option>
                    {topics}
                </select>
            </div>
            <div class="field">
                <label for="message">{td_string!(locale, feedback_message_label)}</label>
                <p class="hint" id="message-hint">{td_string!(locale, feedback_message_hint)}</p>
                {field_error(FeedbackField::Message)}
                <textarea
                    id="message"
                    name="message"
                    rows="6"
                    maxlength="2000"
                    aria-describedby="message-hint"
                    aria-invalid=invalid(FeedbackField::Message)
                >
                    {values.message.clone()}
                </textarea>
            </div>
            <div class="field">
                <label for="reply-email">{td_string!(locale, feedback_email_label)}</label>
                {field_error(FeedbackField::ReplyEmail)}
                <input
                    id="reply-email"
                    name="reply_email"
                    type="email"
                    autocomplete="email"
                    value=values.reply_email.clone()
                    aria-invalid=invalid(FeedbackField::ReplyEmail)
                />
            </div>
            <div class="field">
                <label for="receipt-number">{td_string!(locale, feedback_receipt_label)}</label>
                <p class="hint" id="receipt-number-hint">{td_string!(locale, feedback_receipt_hint)}</p>
                {field_error(FeedbackField::ReceiptNumber)}
                <input
                    id="receipt-number"
                    name="receipt_number"
                    type="text"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="12"
                    value=values.receipt_number.clone()
                    aria-describedby="receipt-number-hint"
                    aria-invalid=invalid(FeedbackField::ReceiptNumber)
                />
            </div>
            <button type="submit" class="button">{td_string!(locale, feedback_send)}</button>
        </form>
    }
}

#[component]
pub fn FeedbackSentPage() -> impl IntoView {
    let locale = lang::current();
    view! {
        <Title text=td_string!(locale, feedback_sent_title)/>
        <h1>{td_string!(locale, feedback_sent_title)}</h1>
        <p class="success" role="status">{td_string!(locale, feedback_sent_text)}</p>
        <p><a href=paths::HOME>{td_string!(locale, back_home)}</a></p>
    }
}
