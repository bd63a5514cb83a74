//! The only interactive part of the site: the card form. It is rendered on the
//! server like any other markup (so it works without JavaScript) and, where
//! WebAssembly runs, checks each field as the citizen leaves it, shows the
//! card brand, groups the number in fours and submits through the `pay`
//! server function without sending anything while a check fails; what
//! follows a submit is [`super::next_step`]'s to say.

use crate::api::{CardFormValues, Field, FieldError};
use crate::card_form::{brand_hint, check_card_form, check_field, set_field_error};
use domain::{BrandTable, YearMonth};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use super::text::CardFormText;

/// Everything the server knows when it renders the form.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(Serialize))]
pub struct CardFormSetup {
    /// Where the form posts when JavaScript is off.
    pub action: String,
    /// What the citizen typed before: never the card number or the CVV.
    pub values: CardFormValues,
    /// Says the number must be typed again, naming its brand and last four.
    pub number_note: Option<String>,
    pub errors: Vec<FieldError>,
    /// A message above the form, such as a decline.
    pub notice: Option<String>,
    pub text: CardFormText,
    /// The configured Elcart prefix, so the browser detects brands as the server does.
    pub elcart_prefix: String,
    /// This month on the server's clock, for the expiry check.
    pub today: YearMonth,
}

/// The props are written into the page (`data-props`) by server rendering
/// only. In the browser the island macro still serializes them again after
/// reading them, into a string that hydration never reads: that copy is
/// left empty, so the bundle carries no serializer for the form's setup.
#[cfg(not(feature = "ssr"))]
impl Serialize for CardFormSetup {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

#[island]
pub fn CardForm(setup: CardFormSetup) -> impl IntoView {
    let CardFormSetup {
        action,
        values,
        number_note,
        errors,
        notice,
        text,
        elcart_prefix,
        today,
    } = setup;
    let table = BrandTable::with_elcart_prefix(&elcart_prefix).unwrap_or_default();
    let text = StoredValue::new(text);
    let table = StoredValue::new(table);
    let form = RwSignal::new(values.clone());
    // A form the server sent back with errors puts its summary in focus
    // at once, without script (`autofocus`), so a screen reader reads it.
    let summary_autofocus = !errors.is_empty();
    let errors = RwSignal::new(errors);
    let notice = RwSignal::new(notice);
    let busy = RwSignal::new(false);
    // Effects run only in the browser: the flag tells tests (and CSS) that
    // the checks are live.
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    let summary_ref = NodeRef::<leptos::html::Div>::new();
    let cvv_ref = NodeRef::<leptos::html::Input>::new();
    let form_ref = NodeRef::<leptos::html::Form>::new();

    let message = move |key: &str| text.with_value(|t| t.message(key));
    let error_for = move |field: Field| {
        errors.with(|list| {
            list.iter()
                .find(|e| e.field == field)
                .map(|e| e.key.clone())
        })
    };
    let recheck = move |field: Field| {
        let key = form.with_untracked(|values| {
            table.with_value(|table| check_field(field, values, table, today))
        });
        errors.update(|list| set_field_error(list, field, key));
    };
    let brand = move || {
        form.with(|values| table.with_value(|table| brand_hint(&values.number, table)))
            .map(|b| b.display_name())
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let values = form.get_untracked();
        let checked = table.with_value(|table| check_card_form(&values, table, today));
        if let Err(found) = checked {
            errors.set(found);
            notice.set(None);
            if let Some(summary) = summary_ref.get_untracked() {
                let _ = summary.focus();
            }
            return;
        }
        errors.set(Vec::new());
        notice.set(None);
        busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = super::pay(values).await;
            let again = match super::next_step(&outcome) {
                super::NextStep::GoTo(url) => {
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().set_href(&url);
                    }
                    return;
                }
                super::NextStep::FormAgain(again) => again,
            };
            if again.reload {
                // The server must show the new editions: post the form as a
                // browser without JavaScript would, and it answers with the
                // page, the notice and everything typed but the CVV. The
                // editions posted are still the old ones, so nothing is charged.
                if let Some(form) = form_ref.get_untracked() {
                    let _ = form.submit();
                }
                return;
            }
            if let Some(next_key) = again.next_key {
                form.update(|values| values.idempotency_key = next_key.into());
            }
            // Whatever happened, the CVV is not kept for another attempt.
            form.update(|values| values.cvv = Default::default());
            if let Some(cvv) = cvv_ref.get_untracked() {
                cvv.set_value("");
            }
            notice.set(again.notice.map(|key| message(&key)));
            if !again.errors.is_empty() {
                errors.set(again.errors);
                if let Some(summary) = summary_ref.get_untracked() {
                    let _ = summary.focus();
                }
            }
            busy.set(false);
        });
    };

    let field_class = move |field: Field| {
        if error_for(field).is_some() {
            "field field-invalid"
        } else {
            "field"
        }
    };
    let error_line = move |field: Field, id: &'static str| {
        move || {
            error_for(field).map(|key| {
                view! { <p class="field-error" id=id>{message(&key)}</p> }
            })
        }
    };
    let described_by = move |field: Field, hint: &'static str, error: &'static str| {
        move || {
            if error_for(field).is_some() {
                format!("{hint} {error}")
            } else {
                hint.to_string()
            }
        }
    };
    let invalid = move |field: Field| move || error_for(field).map(|_| "true");

    view! {
        <form
            method="post"
            action=action
            class="card-form"
            novalidate
            node_ref=form_ref
            data-ready=move || ready.get().then_some("true")
            on:submit=on_submit
        >
            <input type="hidden" name="code" value=values.code.clone()/>
            <input
                type="hidden"
                name="privacy_policy_edition"
                value=values.privacy_policy_edition.clone()
            />
            <input
                type="hidden"
                name="user_agreement_edition"
                value=values.user_agreement_edition.clone()
            />
            <input
                type="hidden"
                name="idempotency_key"
                prop:value=move || form.with(|v| v.idempotency_key.clone())
                value=values.idempotency_key.clone()
            />
            <div
                class="error-summary"
                role="alert"
                tabindex="-1"
                autofocus=summary_autofocus
                node_ref=summary_ref
                hidden=move || errors.with(|e| e.is_empty())
            >
                <h2>{text.with_value(|t| t.summary_title.clone())}</h2>
                <ul>
                    {move || {
                        errors
                            .get()
                            .into_iter()
                            .map(|e| {
                                let href = format!("#{}", e.field.input_id());
                                view! {
                                    <li>
                                        <a href=href>{message(&e.key)}</a>
                                    </li>
                                }
                            })
                            .collect_view()
                    }}
                </ul>
            </div>
            <p class="notice" role="status" hidden=move || notice.with(|n| n.is_none())>
                {move || notice.get()}
            </p>

            <div class=move || field_class(Field::Cardholder)>
                <label for="cardholder">{text.with_value(|t| t.cardholder_label.clone())}</label>
                <p class="hint" id="cardholder-hint">
                    {text.with_value(|t| t.cardholder_hint.clone())}
                </p>
                {error_line(Field::Cardholder, "cardholder-error")}
                <input
                    id="cardholder"
                    name="cardholder"
                    type="text"
                    autocomplete="cc-name"
                    autocapitalize="characters"
                    spellcheck="false"
                    maxlength="40"
                    value=values.cardholder.clone()
                    aria-describedby=described_by(Field::Cardholder, "cardholder-hint", "cardholder-error")
                    aria-invalid=invalid(Field::Cardholder)
                    on:input=move |ev| form.update(|v| v.cardholder = event_target_value(&ev))
                    on:blur=move |_| recheck(Field::Cardholder)
                />
            </div>

            <div class=move || field_class(Field::Number)>
                <label for="card-number">{text.with_value(|t| t.number_label.clone())}</label>
                <p class="hint" id="card-number-hint">
                    {text.with_value(|t| t.number_hint.clone())}
                    {number_note.map(|note| view! { " " <strong class="number-again">{note}</strong> })}
                </p>
                {error_line(Field::Number, "card-number-error")}
                <div class="number-row">
                    <input
                        id="card-number"
                        name="number"
                        type="text"
                        inputmode="numeric"
                        autocomplete="cc-number"
                        spellcheck="false"
                        maxlength="23"
                        aria-describedby=described_by(Field::Number, "card-number-hint", "card-number-error")
                        aria-invalid=invalid(Field::Number)
                        on:input=move |ev| {
                            let typed = event_target_value(&ev);
                            let grouped = domain::group_in_fours(&typed);
                            let input = event_target::<web_sys::HtmlInputElement>(&ev);
                            let caret_at_end = input
                                .selection_start()
                                .ok()
                                .flatten()
                                .is_none_or(|at| at as usize >= typed.len());
                            if caret_at_end && grouped != typed {
                                input.set_value(&grouped);
                            }
                            form.update(|v| v.number = grouped.into());
                        }
                        on:blur=move |_| recheck(Field::Number)
                    />
                    <span class="brand" aria-live="polite" data-brand=move || brand().unwrap_or("")>
                        {move || {
                            brand()
                                .map(|name| {
                                    format!("{}: {name}", text.with_value(|t| t.brand_label.clone()))
                                })
                        }}
                    </span>
                </div>
            </div>

            <fieldset
                class=move || field_class(Field::Expiry)
                aria-describedby=described_by(Field::Expiry, "expiry-hint", "expiry-error")
            >
                <legend>{text.with_value(|t| t.expiry_label.clone())}</legend>
                <p class="hint" id="expiry-hint">{text.with_value(|t| t.expiry_hint.clone())}</p>
                {error_line(Field::Expiry, "expiry-error")}
                <div class="expiry-row">
                    <div>
                        <label for="exp-month">{text.with_value(|t| t.month_label.clone())}</label>
                        <input
                            id="exp-month"
                            name="exp_month"
                            type="text"
                            inputmode="numeric"
                            autocomplete="cc-exp-month"
                            maxlength="2"
                            size="2"
                            value=values.exp_month.clone()
                            aria-invalid=invalid(Field::Expiry)
                            aria-describedby=described_by(Field::Expiry, "expiry-hint", "expiry-error")
                            on:input=move |ev| form.update(|v| v.exp_month = event_target_value(&ev))
                            on:blur=move |_| recheck(Field::Expiry)
                        />
                    </div>
                    <div>
                        <label for="exp-year">{text.with_value(|t| t.year_label.clone())}</label>
                        <input
                            id="exp-year"
                            name="exp_year"
                            type="text"
                            inputmode="numeric"
                            autocomplete="cc-exp-year"
                            maxlength="4"
                            size="4"
                            value=values.exp_year.clone()
                            aria-invalid=invalid(Field::Expiry)
                            aria-describedby=described_by(Field::Expiry, "expiry-hint", "expiry-error")
                            on:input=move |ev| form.update(|v| v.exp_year = event_target_value(&ev))
                            on:blur=move |_| recheck(Field::Expiry)
                        />
                    </div>
                </div>
            </fieldset>

            <div class=move || field_class(Field::Cvv)>
                <label for="cvv">{text.with_value(|t| t.cvv_label.clone())}</label>
                <p class="hint" id="cvv-hint">{text.with_value(|t| t.cvv_hint.clone())}</p>
                {error_line(Field::Cvv, "cvv-error")}
                <input
                    id="cvv"
                    name="cvv"
                    type="text"
                    inputmode="numeric"
                    autocomplete="cc-csc"
                    maxlength="4"
                    size="4"
                    node_ref=cvv_ref
                    aria-describedby=described_by(Field::Cvv, "cvv-hint", "cvv-error")
                    aria-invalid=invalid(Field::Cvv)
                    on:input=move |ev| form.update(|v| v.cvv = event_target_value(&ev).into())
                    on:blur=move |_| recheck(Field::Cvv)
                />
            </div>

            <button type="submit" class="button" disabled=move || busy.get()>
                {move || {
                    if busy.get() {
                        text.with_value(|t| t.processing.clone())
                    } else {
                        text.with_value(|t| t.submit.clone())
                    }
                }}
            </button>
        </form>
    }
}
