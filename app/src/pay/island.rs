//! The only interactive part of the site: the card form. It is rendered on the
//! server like any other markup (so it works without JavaScript) and, where
//! WebAssembly runs, checks each field as the citizen leaves it, shows the
//! card brand and groups the number in fours. A submit whose checks fail
//! sends nothing; one whose checks pass goes on as the browser's own form
//! post, exactly as without JavaScript, so the bundle carries no client for
//! the server's functions. The server hands the island its setup through
//! context, and in the browser it reads it back from the page
//! (`super::setup`, `super::from_page`), so it has no props to serialize.

#[cfg(feature = "ssr")]
use super::attributes;
use super::text::{BRAND, PROCESSING, SUBMIT};
use crate::api::{CardFormValues, Field};
use crate::card_form::{brand_hint, check_card_form, check_field};
use domain::BrandTable;
use leptos::prelude::*;

pub use super::setup::CardFormSetup;
pub use super::text::CardFormText;

#[island]
pub fn CardForm() -> impl IntoView {
    let CardFormSetup {
        action,
        values,
        number_note,
        errors,
        notice,
        text,
        elcart_prefix,
        today,
    } = CardFormSetup::current();
    // Written by the server for the browser to read back; hydration leaves
    // attributes as the server wrote them, so the browser's copy of the
    // island needs none of the code that writes them.
    #[cfg(feature = "ssr")]
    let (errors_attribute, today_attribute, elcart_attribute) = (
        attributes::write_errors(&errors),
        attributes::write_month(today),
        elcart_prefix.clone(),
    );
    #[cfg(not(feature = "ssr"))]
    let (errors_attribute, today_attribute, elcart_attribute) =
        (String::new(), String::new(), String::new());
    let table = BrandTable::with_elcart_prefix(&elcart_prefix).unwrap_or_default();
    // The labels go into the view once; only the messages and the brand
    // table are read again, from one stored value.
    let CardFormText {
        cardholder_label,
        cardholder_hint,
        number_label,
        number_hint,
        expiry_label,
        expiry_hint,
        month_label,
        year_label,
        cvv_label,
        cvv_hint,
        summary_title,
        messages,
    } = text;
    let kept = StoredValue::new((
        CardFormText {
            messages,
            ..CardFormText::default()
        },
        table,
    ));
    let form = RwSignal::new(values.clone());
    // A form the server sent back with errors puts its summary in focus
    // at once, without script (`autofocus`), so a screen reader reads it.
    let summary_autofocus = !errors.is_empty();
    // One signal a field: its error's key, if any.
    let errors = Field::ALL.map(|field| {
        RwSignal::new(
            errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.key.clone()),
        )
    });
    let error_of = move |field: Field| errors[field.index()];
    let notice = RwSignal::new(notice);
    let busy = RwSignal::new(false);
    let summary_ref = NodeRef::<leptos::html::Div>::new();

    let message = move |key: &str| kept.with_value(|(text, _)| text.message(key));
    let error_for = move |field: Field| error_of(field).get();
    let recheck = move |field: Field| {
        let key = form.with_untracked(|values| {
            kept.with_value(|(_, table)| check_field(field, values, table, today))
        });
        error_of(field).set(key.map(String::from));
    };
    let brand = move || {
        form.with(|values| kept.with_value(|(_, table)| brand_hint(&values.number, table)))
            .map(|b| b.display_name())
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if busy.get_untracked() {
            ev.prevent_default();
            return;
        }
        let checked = form
            .with_untracked(|values| kept.with_value(|(_, t)| check_card_form(values, t, today)));
        if let Err(found) = checked {
            ev.prevent_default();
            for field in Field::ALL {
                let key = found.iter().find(|e| e.field == field);
                error_of(field).set(key.map(|e| e.key.clone()));
            }
            notice.set(None);
            if let Some(summary) = summary_ref.get_untracked() {
                let _ = summary.focus();
            }
            return;
        }
        // The checks pass: the browser posts the form itself and the server
        // answers with the next page (the bank's, the receipt, or this form
        // again with its notice). The button says so meanwhile.
        busy.set(true);
    };
    // Back from the bank's page, the browser may restore this page as it was
    // left: with the button still busy.
    let _ = window_event_listener(leptos::ev::pageshow, move |_| busy.set(false));

    // One closure type for every field's blur, so its event code is
    // compiled once.
    let left = move |field: Field| move |_: leptos::ev::FocusEvent| recheck(field);
    // The summary lists the errors in the form's order, one slot a field.
    let summary_item = move |field: Field| {
        move || {
            error_for(field).map(|key| {
                let href = field.anchor();
                view! {
                    <li>
                        <a href=href>{message(&key)}</a>
                    </li>
                }
            })
        }
    };
    // What a field's input changes in the form, one closure type for all
    // but the number's.
    let typed = move |slot: fn(&mut CardFormValues, String)| {
        move |ev: leptos::ev::Event| form.update(|values| slot(values, event_target_value(&ev)))
    };
    let field_class = move |field: Field| {
        move || {
            if error_for(field).is_some() {
                "field field-invalid"
            } else {
                "field"
            }
        }
    };
    let error_line = move |field: Field, id: &'static str| {
        move || {
            error_for(field).map(|key| {
                view! { <p class="field-error" id=id>{message(&key)}</p> }
            })
        }
    };
    // Static strings both ways: nothing to allocate or join in the browser.
    let described_by = move |field: Field, hint: &'static str, hint_and_error: &'static str| {
        move || {
            if error_for(field).is_some() {
                hint_and_error
            } else {
                hint
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
            data-errors=errors_attribute
            data-today=today_attribute
            data-elcart=elcart_attribute
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
                value=values.idempotency_key.clone()
            />
            <div
                class="error-summary"
                role="alert"
                tabindex="-1"
                autofocus=summary_autofocus
                node_ref=summary_ref
                hidden=move || errors.iter().all(|e| e.with(Option::is_none))
            >
                <h2>{summary_title}</h2>
                <ul>
                    {summary_item(Field::Cardholder)}
                    {summary_item(Field::Number)}
                    {summary_item(Field::Expiry)}
                    {summary_item(Field::Cvv)}
                </ul>
            </div>
            <p class="notice" role="status" hidden=move || notice.with(|n| n.is_none())>
                {move || notice.get()}
            </p>

            <div class=field_class(Field::Cardholder)>
                <label for="cardholder">{cardholder_label}</label>
                <p class="hint" id="cardholder-hint">
                    {cardholder_hint}
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
                    aria-describedby=described_by(Field::Cardholder, "cardholder-hint", "cardholder-hint cardholder-error")
                    aria-invalid=invalid(Field::Cardholder)
                    on:input=typed(|v, typed| v.cardholder = typed)
                    on:blur=left(Field::Cardholder)
                />
            </div>

            <div class=field_class(Field::Number)>
                <label for="card-number">{number_label}</label>
                <p class="hint" id="card-number-hint">
                    {number_hint}
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
                        aria-describedby=described_by(Field::Number, "card-number-hint", "card-number-hint card-number-error")
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
                        on:blur=left(Field::Number)
                    />
                    <span class="brand" aria-live="polite" data-brand=move || brand().unwrap_or("")>
                        {move || {
                            brand()
                                .map(|name| {
                                    let mut label = message(BRAND);
                                    label.push_str(": ");
                                    label.push_str(name);
                                    label
                                })
                        }}
                    </span>
                </div>
            </div>

            <fieldset
                class=field_class(Field::Expiry)
                aria-describedby=described_by(Field::Expiry, "expiry-hint", "expiry-hint expiry-error")
            >
                <legend>{expiry_label}</legend>
                <p class="hint" id="expiry-hint">{expiry_hint}</p>
                {error_line(Field::Expiry, "expiry-error")}
                <div class="expiry-row">
                    <div>
                        <label for="exp-month">{month_label}</label>
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
                            aria-describedby=described_by(Field::Expiry, "expiry-hint", "expiry-hint expiry-error")
                            on:input=typed(|v, typed| v.exp_month = typed)
                            on:blur=left(Field::Expiry)
                        />
                    </div>
                    <div>
                        <label for="exp-year">{year_label}</label>
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
                            aria-describedby=described_by(Field::Expiry, "expiry-hint", "expiry-hint expiry-error")
                            on:input=typed(|v, typed| v.exp_year = typed)
                            on:blur=left(Field::Expiry)
                        />
                    </div>
                </div>
            </fieldset>

            <div class=field_class(Field::Cvv)>
                <label for="cvv">{cvv_label}</label>
                <p class="hint" id="cvv-hint">{cvv_hint}</p>
                {error_line(Field::Cvv, "cvv-error")}
                <input
                    id="cvv"
                    name="cvv"
                    type="text"
                    inputmode="numeric"
                    autocomplete="cc-csc"
                    maxlength="4"
                    size="4"
                    aria-describedby=described_by(Field::Cvv, "cvv-hint", "cvv-hint cvv-error")
                    aria-invalid=invalid(Field::Cvv)
                    on:input=typed(|v, typed| v.cvv = typed.into())
                    on:blur=left(Field::Cvv)
                />
            </div>

            <button type="submit" class="button" disabled=move || busy.get()>
                {move || {
                    message(if busy.get() { PROCESSING } else { SUBMIT })
                }}
            </button>
        </form>
    }
}
