//! Which language a request is answered in: the `lang` parameter of its
//! address (`/documents?lang=ky`, each language's own address for search
//! engines), else the `lang` cookie set by the language switch, else the
//! first language of `Accept-Language` we speak, else Russian.

use crate::i18n::Locale;
use http::request::Parts;
use leptos::prelude::*;

pub const COOKIE: &str = "lang";

pub fn parse(tag: &str) -> Option<Locale> {
    match tag.trim().to_ascii_lowercase().as_str() {
        "ru" => Some(Locale::ru),
        "ky" => Some(Locale::ky),
        "en" => Some(Locale::en),
        _ => None,
    }
}

pub fn tag(locale: Locale) -> &'static str {
    match locale {
        Locale::ru => "ru",
        Locale::ky => "ky",
        Locale::en => "en",
    }
}

/// The language's own name, the way a switch should show it.
pub fn endonym(locale: Locale) -> &'static str {
    match locale {
        Locale::ru => "Русский",
        Locale::ky => "Кыргызча",
        Locale::en => "English",
    }
}

pub const ALL: [Locale; 3] = [Locale::ru, Locale::ky, Locale::en];

fn from_cookie(header: &str) -> Option<Locale> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim() == COOKIE)
        .and_then(|(_, value)| parse(value))
}

fn from_query(query: &str) -> Option<Locale> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .and_then(|(_, value)| parse(value))
}

/// A query without its `lang` parameter: where the language switch
/// returns to, so that the language chosen is not overruled by the address.
pub fn without_language(query: &str) -> String {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(COOKIE))
        .collect::<Vec<_>>()
        .join("&")
}

fn from_accept_language(header: &str) -> Option<Locale> {
    let mut ranges: Vec<(f32, &str)> = header
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            Some((quality, tag))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0));
    ranges
        .into_iter()
        .filter(|(q, _)| *q > 0.0)
        .find_map(|(_, tag)| parse(tag.split('-').next().unwrap_or(tag)))
}

pub fn resolve(parts: &Parts) -> Locale {
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    parts
        .uri
        .query()
        .and_then(from_query)
        .or_else(|| header(http::header::COOKIE).and_then(from_cookie))
        .or_else(|| header(http::header::ACCEPT_LANGUAGE).and_then(from_accept_language))
        .unwrap_or(Locale::ru)
}

/// The language of the page being rendered.
pub fn current() -> Locale {
    use_context::<Locale>().unwrap_or(Locale::ru)
}

/// A link that switches the language and comes back to `next`.
pub fn switch_href(locale: Locale, next: &str) -> String {
    crate::paths::language(tag(locale), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_wins_over_accept_language() {
        assert_eq!(from_cookie("a=b; lang=ky"), Some(Locale::ky));
        assert_eq!(from_cookie("lang=xx"), None);
    }

    #[test]
    fn accept_language_is_read_by_quality() {
        assert_eq!(
            from_accept_language("de, en;q=0.5, ky;q=0.9"),
            Some(Locale::ky)
        );
        assert_eq!(from_accept_language("en-GB,en;q=0.8"), Some(Locale::en));
        assert_eq!(from_accept_language("fr, de"), None);
    }

    #[test]
    fn the_address_names_a_language_and_the_switch_forgets_it() {
        assert_eq!(from_query("code=1&lang=ky"), Some(Locale::ky));
        assert_eq!(from_query("language=ky"), None);
        assert_eq!(without_language("?code=1&lang=ky"), "code=1");
        assert_eq!(without_language("lang=en"), "");
        let parts = http::Request::get("/documents?lang=en")
            .header(http::header::COOKIE, "lang=ky")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        assert_eq!(
            resolve(&parts),
            Locale::en,
            "the address wins over the cookie"
        );
    }

    #[test]
    fn switch_links_encode_the_return_path() {
        assert_eq!(
            switch_href(Locale::en, "/?code=11 2"),
            "/lang/en?next=/%3Fcode%3D11%202"
        );
    }
}
