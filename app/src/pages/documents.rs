//! The policy documents: the list, each document's edition in force, any
//! earlier edition at its permanent address, and the archive of editions.
//! Their pages send `Last-Modified` (the server adds an `ETag`), so a repeat
//! visit costs a 304.

use super::layout::DocumentLinks;
use super::{document_title, not_found, unavailable};
use crate::http::set_last_modified;
use crate::i18n::*;
use crate::messages::Msg;
use crate::services::Services;
use crate::{format, lang, paths};
use domain::{DocumentKind, EditionRef};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn DocumentsPage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let body = Suspend::new(async move {
        match services.documents.editions_in_force().await {
            Ok(editions) => {
                set_last_modified(editions.last_change());
                view! { <DocumentLinks editions/> }.into_any()
            }
            Err(error) => unavailable(locale, &error),
        }
    });
    view! {
        <Title text=td_string!(locale, documents_title)/>
        <h1>{td_string!(locale, documents_title)}</h1>
        <p class="lead">{td_string!(locale, documents_intro)}</p>
        <Suspense fallback=|| ()>{body}</Suspense>
    }
}

fn document_not_found(locale: Locale) -> AnyView {
    view! {
        <h1>{td_string!(locale, not_found_title)}</h1>
        {not_found(locale, Msg::DocumentNotFound)}
    }
    .into_any()
}

/// A document: the edition in force at `/documents/{slug}`, any edition
/// that has taken effect at its permanent `/documents/{slug}/editions/{n}`.
#[component]
pub fn DocumentPage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let (slug, edition) = use_params_map().with_untracked(|p| (p.get("slug"), p.get("edition")));
    let body = Suspend::new(async move {
        let Some(kind) = slug.as_deref().and_then(DocumentKind::from_slug) else {
            return document_not_found(locale);
        };
        let edition = match edition.map(|e| e.parse::<u32>()) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => return document_not_found(locale),
        };
        let (document, editions) = (
            services
                .documents
                .document(kind, edition, lang::tag(locale))
                .await,
            services.documents.editions_in_force().await,
        );
        let (document, editions) = match (document, editions) {
            (Ok(document), Ok(editions)) => (document, editions),
            (Err(error), _) | (_, Err(error)) => return unavailable(locale, &error),
        };
        let Some(document) = document else {
            return document_not_found(locale);
        };
        set_last_modified(editions.last_change());
        let title = document_title(locale, kind);
        let date = format::day(locale, document.effective_from);
        let fallback = document.language != lang::tag(locale);
        let superseded = document.superseded_at.is_some();
        view! {
            <Title text=title/>
            <article class="document" lang=document.language.clone()>
                <p class="edition">
                    {td_string!(locale, edition_number, number = document.edition, date = date)}
                    {(!superseded).then(|| view! { " · " {td_string!(locale, edition_in_force)} })}
                </p>
                {superseded.then(|| view! {
                    <p class="notice" lang=lang::tag(locale)>
                        {td_string!(locale, edition_superseded)} " "
                        <a href=paths::document(kind)>{td_string!(locale, current_edition_link)}</a>
                    </p>
                })}
                {fallback.then(|| view! {
                    <p class="translation-note" lang=lang::tag(locale)>{td_string!(locale, document_only_russian)}</p>
                })}
                <div inner_html=document.html></div>
            </article>
            <p class="no-print">
                <a href=paths::archive(kind)>{td_string!(locale, archive_link)}</a>
            </p>
        }
        .into_any()
    });
    view! { <Suspense fallback=|| ()>{body}</Suspense> }
}

/// Every edition of a document that has taken effect, each at its permanent URL.
#[component]
pub fn ArchivePage() -> impl IntoView {
    let locale = lang::current();
    let services = expect_context::<Services>();
    let slug = use_params_map().with_untracked(|p| p.get("slug"));
    let body = Suspend::new(async move {
        let Some(kind) = slug.as_deref().and_then(DocumentKind::from_slug) else {
            return document_not_found(locale);
        };
        let (editions, in_force) = match (
            services.documents.document_editions(kind).await,
            services.documents.editions_in_force().await,
        ) {
            (Ok(editions), Ok(in_force)) => (editions, in_force),
            (Err(error), _) | (_, Err(error)) => return unavailable(locale, &error),
        };
        // The footer names both documents' editions: either one changes the page.
        set_last_modified(in_force.last_change());
        let current = editions.last().map(|e| e.edition);
        let items = editions
            .iter()
            .rev()
            .map(|e: &EditionRef| {
                let date = format::day(locale, e.effective_from);
                let in_force = (Some(e.edition) == current)
                    .then(|| view! { " · " {td_string!(locale, edition_in_force)} });
                view! {
                    <li>
                        <a href=paths::edition(kind, e.edition)>
                            {td_string!(locale, edition_number, number = e.edition, date = date)}
                        </a>
                        {in_force}
                    </li>
                }
            })
            .collect_view();
        let title = document_title(locale, kind);
        view! {
            <Title text=format!("{title}: {}", td_string!(locale, archive_title))/>
            <h1>{title}</h1>
            <h2>{td_string!(locale, archive_title)}</h2>
            <ul class="editions">{items}</ul>
        }
        .into_any()
    });
    view! { <Suspense fallback=|| ()>{body}</Suspense> }
}
