//! How to reach the operator's support, and the way to the feedback form.

use super::layout::ContactList;
use crate::i18n::*;
use crate::services::Services;
use crate::{lang, paths};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ContactsPage() -> impl IntoView {
    let locale = lang::current();
    let contacts = expect_context::<Services>().settings.contacts.clone();
    view! {
        <Title text=td_string!(locale, contacts_title)/>
        <h1>{td_string!(locale, contacts_title)}</h1>
        <p class="lead">{td_string!(locale, contacts_intro)}</p>
        <ContactList contacts/>
        <p><a class="button" href=paths::FEEDBACK>{td_string!(locale, contacts_feedback_link)}</a></p>
    }
}
