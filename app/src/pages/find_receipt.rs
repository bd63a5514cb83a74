//! Finding a receipt again: its payment code and its receipt number
//! together open it (`/find-receipt?code=…&number=…` answers 303 to the
//! receipt). Both are asked for so that nobody can walk through receipts by
//! number; the lookups' throttle counts these tries too.

use super::{problem, unavailable};
use crate::i18n::*;
use crate::messages::{Msg, message};
use crate::services::Services;
use crate::{lang, paths};
use domain::{PaymentCode, ReceiptNumber};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// What a field of the form has to say about what was typed in it.
#[derive(Clone, Default)]
struct Typed {
    code: String,
    number: String,
    code_error: Option<String>,
    number_error: Option<String>,
}

/// The form, with what was typed and what is wrong with it.
#[component]
fn FindForm(typed: Typed) -> impl IntoView {
    let locale = lang::current();
    let error = |text: Option<String>, id: &'static str| {
        text.map(|text| view! { <p class="field-error" id=id>{text}</p> })
    };
    let code_invalid = typed.code_error.as_ref().map(|_| "true");
    let number_invalid = typed.number_error.as_ref().map(|_| "true");
    view! {
        <form method="get" action=paths::FIND_RECEIPT class="find-receipt" novalidate>
            <div class="field">
                <label for="find-code">{td_string!(locale, code_label)}</label>
                {error(typed.code_error, "find-code-error")}
                <input id="find-code" name="code" type="text" inputmode="numeric" autocomplete="off"
                    spellcheck="false" maxlength="32" value=typed.code aria-invalid=code_invalid/>
            </div>
            <div class="field">
                <label for="find-number">{td_string!(locale, receipt_number_label)}</label>
                <p class="hint" id="find-number-hint">{td_string!(locale, find_receipt_number_hint)}</p>
                {error(typed.number_error, "find-number-error")}
                <input id="find-number" name="number" type="text" autocomplete="off"
                    autocapitalize="characters" spellcheck="false" maxlength="20"
                    value=typed.number aria-describedby="find-number-hint" aria-invalid=number_invalid/>
            </div>
            <button type="submit" class="button">{td_string!(locale, find_receipt_button)}</button>
        </form>
    }
}

/// The form alone, with the payment code filled in: the home page shows it
/// under a paid code.
#[component]
pub fn FindReceiptForm(code: String) -> impl IntoView {
    let typed = Typed {
        code,
        ..Typed::default()
    };
    view! { <FindForm typed/> }
}

async fn find(services: Services, locale: Locale, mut typed: Typed) -> AnyView {
    let code = PaymentCode::parse(&typed.code);
    let number = typed.number.parse::<ReceiptNumber>();
    typed.code_error = code.as_ref().err().map(|e| message(locale, e.key()));
    typed.number_error = number.as_ref().err().map(|e| message(locale, e.key()));
    let (Ok(code), Ok(number)) = (code, number) else {
        crate::http::set_status(http::StatusCode::UNPROCESSABLE_ENTITY);
        return view! { <FindForm typed/> }.into_any();
    };
    match services.receipts.find(&code, number).await {
        Ok(Some(id)) => {
            let receipt = paths::receipt(&id);
            crate::http::see_other(&receipt);
            view! { <p><a href=receipt>{td_string!(locale, receipt_title)}</a></p> }.into_any()
        }
        Ok(None) => {
            crate::http::set_status(http::StatusCode::NOT_FOUND);
            view! { {problem(Msg::FindReceiptNotFound.text(locale))} <FindForm typed/> }.into_any()
        }
        Err(error) => view! { {unavailable(locale, &error)} <FindForm typed/> }.into_any(),
    }
}

#[component]
pub fn FindReceiptPage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let (code, number) = use_query_map().with_untracked(|q| (q.get("code"), q.get("number")));
    let asked = number.is_some();
    let typed = Typed {
        code: code.unwrap_or_default(),
        number: number.unwrap_or_default(),
        ..Typed::default()
    };
    let body = if asked {
        Suspend::new(find(services, locale, typed)).into_any()
    } else {
        view! { <FindForm typed/> }.into_any()
    };
    view! {
        <Title text=td_string!(locale, find_receipt_title)/>
        <h1>{td_string!(locale, find_receipt_title)}</h1>
        <p class="lead">{td_string!(locale, find_receipt_intro)}</p>
        <Suspense fallback=|| ()>{body}</Suspense>
    }
}
