//! Each page's address in each language, for search engines: `hreflang`
//! links to all three (`?lang=ky`), with the address without a language
//! as the default (the visitor's cookie or browser decides there), and a
//! canonical link to the address asked for, with its language or without:
//! one of the language versions pointing to another would tell search
//! engines to drop it. Absolute, on the site's public address.

use crate::lang;
use crate::services::Services;
use leptos::prelude::*;
use leptos_meta::Link;
use leptos_router::hooks::use_location;

#[component]
pub fn LanguageVersions() -> impl IntoView {
    // Absent only while the server walks the routes at start-up.
    let site = use_context::<Services>()
        .map(|s| s.settings.site_url.trim_end_matches('/').to_string())
        .unwrap_or_default();
    let location = use_location();
    let path = location.pathname.get_untracked();
    let asked_language = location.query.with_untracked(|q| q.get("lang").is_some());
    let version = |tag: &str| format!("{site}{path}?lang={tag}");
    let canonical = if asked_language {
        version(lang::tag(lang::current()))
    } else {
        format!("{site}{path}")
    };
    let alternates = lang::ALL
        .into_iter()
        .map(|locale| {
            let tag = lang::tag(locale);
            view! { <Link rel="alternate" hreflang=tag href=version(tag)/> }
        })
        .collect_view();
    view! {
        <Link rel="canonical" href=canonical/>
        {alternates}
        <Link rel="alternate" hreflang="x-default" href=format!("{site}{path}")/>
    }
}
