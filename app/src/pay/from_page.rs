//! In the browser, the card form's island starts from the form the server
//! rendered rather than from serialized props: what the citizen has typed so
//! far (perhaps before the WebAssembly arrived), the errors, notice and note
//! on the page, and the few settings the server wrote as `data-` attributes
//! of the form. Nothing is sent twice, and the bundle needs no JSON parser.

use super::attributes;
use super::setup::CardFormSetup;
use super::text::CardFormText;
use crate::api::CardFormValues;
use domain::YearMonth;
use wasm_bindgen::JsCast;

pub(super) fn setup() -> CardFormSetup {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return CardFormSetup::default();
    };
    let form = document.query_selector("form.card-form").ok().flatten();
    let attribute = |name: &str| {
        form.as_ref()
            .and_then(|form| form.get_attribute(name))
            .unwrap_or_default()
    };
    let input = |id: &str| {
        document
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            .map(|input| input.value())
            .unwrap_or_default()
    };
    let text = |selector: &str| {
        document
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.text_content())
            .filter(|text| !text.is_empty())
    };
    CardFormSetup {
        values: CardFormValues {
            cardholder: input("cardholder"),
            number: input("card-number").into(),
            exp_month: input("exp-month"),
            exp_year: input("exp-year"),
            cvv: input("cvv").into(),
            ..CardFormValues::default()
        },
        number_note: text(".card-form .number-again"),
        errors: attributes::read_errors(&attribute("data-errors")),
        notice: text(".card-form .notice"),
        text: CardFormText::from_page(&document),
        elcart_prefix: attribute("data-elcart"),
        // Without it, only the server checks the expiry's month.
        today: attributes::read_month(&attribute("data-today"))
            .unwrap_or(YearMonth { year: 0, month: 1 }),
        ..CardFormSetup::default()
    }
}
