//! The page for an address the site does not have.

use crate::i18n::*;
use crate::{lang, paths};
use http::StatusCode;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    let locale = lang::current();
    crate::http::set_status(StatusCode::NOT_FOUND);
    view! {
        <Title text=td_string!(locale, not_found_title)/>
        <h1>{td_string!(locale, not_found_title)}</h1>
        <p>{td_string!(locale, not_found_text)}</p>
        <p><a href=paths::HOME>{td_string!(locale, back_home)}</a></p>
    }
}
