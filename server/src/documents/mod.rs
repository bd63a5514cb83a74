//! Policy documents with editions: the privacy policy and the user agreement.
//!
//! Every edition is data in the database: a number, a language, the moment it
//! takes effect, its Markdown text and who published it. Edition 1 of both
//! documents (Russian, with Kyrgyz and English translations) is seeded from
//! `content/documents/` at start-up; later editions come through
//! [`publish`] (the `server publish` subcommand, and later the back office).
//! Pages read them from memory ([`library`]); an edition whose moment has not
//! come is invisible and takes effect on its own, with no restart.

mod library;
mod publish;
mod service;
#[cfg(test)]
mod tests;

pub use library::{Documents, Library};
pub use publish::{NewEdition, PublishError, check_source, publish};

use crate::storage::{EditionRecord, PaymentStore, StoreError};
use chrono::{DateTime, TimeZone, Utc};
use domain::DocumentKind;

/// The authoritative language: a new edition is published in it first.
pub const AUTHORITATIVE_LANGUAGE: &str = "ru";
pub const LANGUAGES: [&str; 3] = ["ru", "ky", "en"];
const SEED_PUBLISHER: &str = "ГП «Инфоком» (первая редакция)";

/// Edition 1 of both documents, in all three languages.
const SEEDS: [(DocumentKind, &str, &str); 6] = [
    (
        DocumentKind::PrivacyPolicy,
        "ru",
        include_str!("../../../content/documents/privacy-policy/1.ru.md"),
    ),
    (
        DocumentKind::PrivacyPolicy,
        "ky",
        include_str!("../../../content/documents/privacy-policy/1.ky.md"),
    ),
    (
        DocumentKind::PrivacyPolicy,
        "en",
        include_str!("../../../content/documents/privacy-policy/1.en.md"),
    ),
    (
        DocumentKind::UserAgreement,
        "ru",
        include_str!("../../../content/documents/user-agreement/1.ru.md"),
    ),
    (
        DocumentKind::UserAgreement,
        "ky",
        include_str!("../../../content/documents/user-agreement/1.ky.md"),
    ),
    (
        DocumentKind::UserAgreement,
        "en",
        include_str!("../../../content/documents/user-agreement/1.en.md"),
    ),
];

/// Edition 1 takes effect at 00:00 on 25 November 2026 in Bishkek (UTC+6).
pub fn first_edition_effective() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 18, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Writes edition 1 of both documents where it is missing.
pub async fn seed(store: &dyn PaymentStore, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut seeded = 0;
    for (kind, language, source) in SEEDS {
        let record = EditionRecord {
            document: kind.slug().into(),
            edition: 1,
            language: language.into(),
            effective_from: first_edition_effective(),
            source: source.into(),
            published_by: SEED_PUBLISHER.into(),
            published_at: now,
        };
        if store.insert_edition(&record).await? {
            seeded += 1;
        }
    }
    Ok(seeded)
}

pub fn render_markdown(source: &str) -> String {
    let parser = pulldown_cmark::Parser::new_ext(source, pulldown_cmark::Options::empty());
    // Raw HTML in the source is shown as text, never passed through.
    let events = parser.map(|event| match event {
        pulldown_cmark::Event::Html(html) | pulldown_cmark::Event::InlineHtml(html) => {
            pulldown_cmark::Event::Text(html)
        }
        other => other,
    });
    let mut html = String::with_capacity(source.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}
