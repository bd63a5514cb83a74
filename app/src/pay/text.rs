//! Every string the card form shows, translated on the server and handed to
//! the island with its props, so the WebAssembly bundle carries no
//! translation tables.

use serde::Deserialize;
#[cfg(feature = "ssr")]
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[cfg_attr(feature = "ssr", derive(Serialize))]
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
    pub brand_label: String,
    pub submit: String,
    pub processing: String,
    pub summary_title: String,
    /// Translation key → message, for every key the checks and the server can return.
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
}
