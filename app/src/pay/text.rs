//! Every string the card form shows, translated on the server. The island
//! renders them there; in the browser it needs only the few that change as
//! the citizen types and submits, and reads those from a hidden list the pay
//! page carries beside the form ([`CardFormMessages`]), so the WebAssembly
//! bundle carries no translation tables and no JSON parser.

/// The `id` of the hidden list of messages beside the form.
pub const MESSAGES_ID: &str = "card-form-messages";
/// Its messages, as the browser finds them (a constant: no formatting code
/// in the bundle).
#[cfg_attr(feature = "ssr", allow(dead_code))]
const MESSAGES_SELECTOR: &str = "#card-form-messages [data-key]";
/// Keys of the labels the island changes, kept with the messages.
pub const SUBMIT: &str = "submit";
pub const PROCESSING: &str = "processing";
pub const BRAND: &str = "brand";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CardFormText {
    pub cardholder_label: String,
    pub cardholder_hint: String,
    pub number_label: String,
    pub number_hint: String,
    pub expiry_label: String,
    pub expiry_hint: String,
    pub month_label: String,
    pub year_label: String,
    pub cvv_label: String,
    pub cvv_hint: String,
    pub summary_title: String,
    /// Key → text: every message the checks and the server can name, and
    /// the labels that change ([`SUBMIT`], [`PROCESSING`], [`BRAND`]).
    pub messages: Vec<(String, String)>,
}

impl CardFormText {
    pub(super) fn message(&self, key: &str) -> String {
        self.messages
            .iter()
            .find(|(k, _)| k == key)
            .or_else(|| self.messages.iter().find(|(k, _)| k == "internal_error"))
            .map(|(_, text)| text.clone())
            .unwrap_or_default()
    }

    /// In the browser: the messages the page carries. The other texts are
    /// already on the page, and hydration leaves static text as it is.
    #[cfg(not(feature = "ssr"))]
    pub(super) fn from_page(document: &web_sys::Document) -> CardFormText {
        use wasm_bindgen::JsCast;
        let mut messages = Vec::new();
        if let Ok(list) = document.query_selector_all(MESSAGES_SELECTOR) {
            for i in 0..list.length() {
                let Some(item) = list
                    .item(i)
                    .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                else {
                    continue;
                };
                let key = item.get_attribute("data-key").unwrap_or_default();
                messages.push((key, item.text_content().unwrap_or_default()));
            }
        }
        CardFormText {
            messages,
            ..CardFormText::default()
        }
    }
}

/// The hidden list the island reads its messages from in the browser. Not
/// part of the island, so hydration never walks it.
#[cfg(feature = "ssr")]
#[leptos::component]
pub fn CardFormMessages(messages: Vec<(String, String)>) -> impl leptos::IntoView {
    use leptos::prelude::*;
    view! {
        <div id=MESSAGES_ID hidden>
            {messages
                .into_iter()
                .map(|(key, text)| view! { <p data-key=key>{text}</p> })
                .collect_view()}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_looks_for_the_messages_where_the_server_puts_them() {
        assert_eq!(MESSAGES_SELECTOR, format!("#{MESSAGES_ID} [data-key]"));
        let text = CardFormText {
            messages: vec![
                ("cvv_empty".into(), "Enter the code".into()),
                ("internal_error".into(), "Something went wrong".into()),
            ],
            ..CardFormText::default()
        };
        assert_eq!(text.message("cvv_empty"), "Enter the code");
        assert_eq!(text.message("no_such_key"), "Something went wrong");
    }
}
