//! The HTML document around every page: language, security policy, the
//! stylesheet, and the WebAssembly loader on the pages that have an island,
//! each pinned to the release's hashes (`crate::integrity`).

use crate::i18n::Locale;
use crate::lang;
use crate::pages::App;
use http::HeaderValue;
use http::header::CONTENT_SECURITY_POLICY;
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use leptos_meta::MetaTags;

/// Paths whose page carries an island and so loads the WebAssembly bundle;
/// every other page is plain HTML and CSS and costs no script bytes.
fn has_island(path: &str) -> bool {
    path.starts_with("/pay/")
}

pub fn shell() -> impl IntoView {
    let parts = use_context::<Parts>();
    let locale: Locale = parts.as_ref().map(lang::resolve).unwrap_or(Locale::ru);
    provide_context(locale);
    let path = parts
        .as_ref()
        .map(|p| p.uri.path().to_string())
        .unwrap_or_default();

    if let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>())
        && let Ok(value) =
            HeaderValue::from_str(&crate::http::content_security_policy(&nonce, None))
    {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
    let services = use_context::<crate::services::Services>();
    let assets = services.as_ref().and_then(|s| s.settings.assets.as_ref());
    let scripts = assets
        .filter(|_| has_island(&path))
        .map(crate::integrity::scripts);
    let stylesheet = crate::integrity::stylesheet(assets);

    view! {
        <!DOCTYPE html>
        <html lang=lang::tag(locale)>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                {stylesheet}
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                {scripts}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
