//! What surrounds every page: the test-mode banner (when no real money is
//! taken), the header with the language switch, and the footer with the
//! support contacts and the documents in force.

use super::document_title;
use crate::i18n::*;
use crate::services::{Services, SupportContacts};
use crate::{format, lang, paths};
use domain::{DocumentKind, EditionsInForce};
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The links to this page in each language, the current one marked; the
/// back office's header has them too.
pub fn language_switch(locale: Locale, here: &str) -> impl IntoView + use<> {
    let links = lang::ALL
        .into_iter()
        .map(|option| {
            let href = lang::switch_href(option, here);
            let current = (option == locale).then_some("true");
            view! {
                <li>
                    <a href=href hreflang=lang::tag(option) lang=lang::tag(option) aria-current=current>
                        {lang::endonym(option)}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <nav class="language-switch" aria-label=td_string!(locale, language_label)>
            <ul>{links}</ul>
        </nav>
    }
}

#[component]
pub fn SiteHeader() -> impl IntoView {
    let locale = lang::current();
    let location = use_location();
    let search = location.search.get_untracked();
    let here = match lang::without_language(&search).as_str() {
        "" => location.pathname.get_untracked(),
        query => format!("{}?{query}", location.pathname.get_untracked()),
    };
    view! {
        <header class="site-header">
            <div class="container header-row">
                <a class="site-name" href=paths::HOME>{td_string!(locale, site_name)}</a>
                {language_switch(locale, &here)}
            </div>
        </header>
    }
}

/// The banner of a site that takes no real money (the sandbox, or a
/// staging acquirer), above everything else on every page, so nobody
/// takes a test receipt for a paid fee. Plain text, announced politely.
#[component]
pub fn TestModeBanner() -> impl IntoView {
    let locale = lang::current();
    let test_mode = use_context::<Services>().is_some_and(|s| s.settings.test_mode);
    test_mode.then(|| {
        view! {
            <div class="test-mode" role="status">
                <p class="container">{td_string!(locale, test_mode_banner)}</p>
            </div>
        }
    })
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    let locale = lang::current();
    // Absent only while the server walks the routes at start-up.
    let Some(services) = use_context::<Services>() else {
        return ().into_any();
    };
    let contacts = services.settings.contacts.clone();
    let editions = Suspend::new(async move {
        services
            .documents
            .editions_in_force()
            .await
            .ok()
            .map(|editions| view! { <DocumentLinks editions/> })
    });
    view! {
        <footer class="site-footer">
            <div class="container">
                <h2>{td_string!(locale, footer_support)}</h2>
                <ContactList contacts/>
                <p><a href=paths::CONTACTS>{td_string!(locale, footer_contacts)}</a></p>
                <Suspense fallback=|| ()>{editions}</Suspense>
                <p class="operator">{td_string!(locale, site_operator)}</p>
            </div>
        </footer>
    }
    .into_any()
}

#[component]
pub fn ContactList(contacts: SupportContacts) -> impl IntoView {
    let locale = lang::current();
    let phones = contacts
        .phones
        .iter()
        .map(|phone| {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            let href = format!("tel:+996{}", digits.trim_start_matches('0'));
            view! { <li>{td_string!(locale, footer_phone)} ": " <a href=href>{phone.clone()}</a></li> }
        })
        .collect_view();
    view! {
        <ul class="contacts">
            <li>
                {td_string!(locale, footer_email)} ": "
                <a href=format!("mailto:{}", contacts.email)>{contacts.email.clone()}</a>
            </li>
            {phones}
        </ul>
    }
}

/// Both documents with the date of the edition in force.
#[component]
pub fn DocumentLinks(editions: EditionsInForce) -> impl IntoView {
    let locale = lang::current();
    let items = DocumentKind::ALL
        .into_iter()
        .map(|kind| {
            let date = format::day(locale, editions.of(kind).effective_from);
            view! {
                <li>
                    <a href=paths::document(kind)>{document_title(locale, kind)}</a>
                    " · "
                    <span class="edition">{td_string!(locale, edition_of, date = date)}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="documents">{items}</ul> }
}
