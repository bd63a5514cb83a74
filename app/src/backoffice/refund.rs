//! The refund form on a payment's page, for roles that may refund a payment
//! with money left to return: amount and reason, what was typed kept when
//! it is refused, and what is left to refund beside it.

use super::payments::text_field;
use super::{csrf_field, problem};
use crate::format;
use crate::i18n::*;
use crate::messages::Msg;
use domain::Money;
use leptos::prelude::*;

/// The form as it stands: fresh, or sent back with what was wrong.
#[derive(Clone, Debug)]
pub struct RefundForm {
    /// What the payment's refunds have not taken yet.
    pub refundable: Money,
    pub amount: String,
    pub note: String,
    /// (field, message); the field `""` is a problem with the whole form.
    pub errors: Vec<(&'static str, Msg)>,
}

impl RefundForm {
    /// A fresh form.
    pub fn new(refundable: Money) -> Self {
        RefundForm {
            refundable,
            amount: String::new(),
            note: String::new(),
            errors: Vec::new(),
        }
    }
}

pub fn form(locale: Locale, csrf: &str, payment_id: &str, f: &RefundForm) -> impl IntoView + use<> {
    let whole = f
        .errors
        .iter()
        .find(|(field, _)| field.is_empty())
        .map(|(_, msg)| problem(msg.text(locale).to_owned()));
    let note_error = f
        .errors
        .iter()
        .find(|(field, _)| *field == "note")
        .map(|(_, msg)| msg.text(locale));
    let note_invalid = note_error.map(|_| "true");
    let note_described = note_error.map(|_| "note-error");
    view! {
        <h2 id="refund">{td_string!(locale, bo_refund_form_title)}</h2>
        <p>{td_string!(locale, bo_refundable_label)} ": "
            <strong class="num">{format::money(locale, f.refundable)}</strong></p>
        {whole}
        <form method="post" action=format!("/admin/payments/{payment_id}/refunds") class="bo-form">
            {csrf_field(csrf)}
            {text_field(locale, &f.errors, "amount", td_string!(locale, bo_refund_amount_label), "text", &f.amount)}
            <div class="field">
                <label for="note">{td_string!(locale, bo_refund_note_label)}</label>
                {note_error.map(|text| view! { <p class="field-error" id="note-error">{text}</p> })}
                <textarea id="note" name="note" maxlength="500" required
                    aria-invalid=note_invalid aria-describedby=note_described>{f.note.clone()}</textarea>
            </div>
            <button type="submit" class="button">{td_string!(locale, bo_refund_button)}</button>
        </form>
    }
}
