//! Each page's address in each language, for search engines: a canonical
//! link to this language's version (`?lang=ky`) and `hreflang` links to
//! all three, with the address without a language as the default (the
//! visitor's cookie or browser decides there). Absolute, on the site's
//! public address.

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
    let path = use_location().pathname.get_untracked();
    let version = |tag: &str| format!("{site}{path}?lang={tag}");
    let alternates = lang::ALL
        .into_iter()
        .map(|locale| {
            let tag = lang::tag(locale);
            view! { <Link rel="alternate" hreflang=tag href=version(tag)/> }
        })
        .collect_view();
    view! {
        <Link rel="canonical" href=version(lang::tag(lang::current()))/>
        {alternates}
        <Link rel="alternate" hreflang="x-default" href=format!("{site}{path}")/>
    }
}
