//! Policy documents with editions: the privacy policy and the user agreement.
//!
//! Every edition is data in the database: a number, a language, the moment it
//! takes effect, its Markdown text and who published it. Edition 1 of both
//! documents (Russian, with Kyrgyz and English translations) is seeded from
//! `content/documents/` at start-up; later editions come through [`publish`]
//! (the `server publish` subcommand, and later the back office). An edition
//! whose moment has not come is invisible; it takes effect on its own, with
//! no restart, because every page asks with the current time.

use crate::storage::{EditionRecord, PaymentStore, StoreError};
use app::backend::{DocumentKind, DocumentView, EditionRef, EditionsInForce};
use chrono::{DateTime, TimeZone, Utc};

/// The authoritative language: a new edition is published in it first.
pub const AUTHORITATIVE_LANGUAGE: &str = "ru";
pub const LANGUAGES: [&str; 3] = ["ru", "ky", "en"];
const SEED_PUBLISHER: &str = "ГП «Инфоком» (первая редакция)";

/// Edition 1 of both documents, in all three languages.
const SEEDS: [(DocumentKind, &str, &str); 6] = [
    (
        DocumentKind::PrivacyPolicy,
        "ru",
        include_str!("../../content/documents/privacy-policy/1.ru.md"),
    ),
    (
        DocumentKind::PrivacyPolicy,
        "ky",
        include_str!("../../content/documents/privacy-policy/1.ky.md"),
    ),
    (
        DocumentKind::PrivacyPolicy,
        "en",
        include_str!("../../content/documents/privacy-policy/1.en.md"),
    ),
    (
        DocumentKind::UserAgreement,
        "ru",
        include_str!("../../content/documents/user-agreement/1.ru.md"),
    ),
    (
        DocumentKind::UserAgreement,
        "ky",
        include_str!("../../content/documents/user-agreement/1.ky.md"),
    ),
    (
        DocumentKind::UserAgreement,
        "en",
        include_str!("../../content/documents/user-agreement/1.en.md"),
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

/// The editions of `document` that have taken effect by `now`: number and
/// moment, oldest first, one entry per edition whatever its languages.
fn in_effect(records: &[EditionRecord], document: &str, now: DateTime<Utc>) -> Vec<EditionRef> {
    let mut editions: Vec<EditionRef> = records
        .iter()
        .filter(|r| r.document == document && r.effective_from <= now)
        .filter(|r| r.language == AUTHORITATIVE_LANGUAGE)
        .map(|r| EditionRef {
            edition: r.edition,
            effective_from: r.effective_from,
        })
        .collect();
    editions.sort_by_key(|e| e.edition);
    editions
}

pub async fn editions(
    store: &dyn PaymentStore,
    kind: DocumentKind,
    now: DateTime<Utc>,
) -> Result<Vec<EditionRef>, StoreError> {
    Ok(in_effect(
        &store.editions(kind.slug()).await?,
        kind.slug(),
        now,
    ))
}

pub async fn editions_in_force(
    store: &dyn PaymentStore,
    now: DateTime<Utc>,
) -> Result<EditionsInForce, StoreError> {
    let index = store.edition_index().await?;
    let latest = |kind: DocumentKind| {
        in_effect(&index, kind.slug(), now)
            .pop()
            .ok_or(StoreError::Corrupt("a document has no edition in force"))
    };
    Ok(EditionsInForce {
        privacy_policy: latest(DocumentKind::PrivacyPolicy)?,
        user_agreement: latest(DocumentKind::UserAgreement)?,
    })
}

/// An edition (the one in force for `None`) in `language`, falling back to
/// the authoritative Russian text.
pub async fn document(
    store: &dyn PaymentStore,
    kind: DocumentKind,
    edition: Option<u32>,
    language: &str,
    now: DateTime<Utc>,
) -> Result<Option<DocumentView>, StoreError> {
    let records = store.editions(kind.slug()).await?;
    let effective = in_effect(&records, kind.slug(), now);
    let wanted = match edition {
        Some(number) => effective.iter().find(|e| e.edition == number).copied(),
        None => effective.last().copied(),
    };
    let Some(wanted) = wanted else {
        return Ok(None);
    };
    let superseded_at = effective
        .iter()
        .find(|e| e.edition > wanted.edition)
        .map(|e| e.effective_from);
    let text = |lang: &str| {
        records
            .iter()
            .find(|r| r.edition == wanted.edition && r.language == lang)
    };
    let Some(record) = text(language).or_else(|| text(AUTHORITATIVE_LANGUAGE)) else {
        return Ok(None);
    };
    Ok(Some(DocumentView {
        kind,
        edition: wanted.edition,
        language: record.language.clone(),
        effective_from: wanted.effective_from,
        superseded_at,
        html: render_markdown(&record.source),
    }))
}

/// A new edition, or a translation of one, as the publisher hands it over.
#[derive(Clone, Debug)]
pub struct NewEdition {
    pub document: String,
    pub language: String,
    /// `None` for a new edition (the next number); a number adds a
    /// translation to that edition.
    pub edition: Option<u32>,
    pub effective_from: DateTime<Utc>,
    pub source: String,
    pub published_by: String,
}

/// Why an edition was refused, in words for the publisher.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PublishError {
    #[error("unknown document {0:?}: expected privacy-policy or user-agreement")]
    UnknownDocument(String),
    #[error("unknown language {0:?}: expected ru, ky or en")]
    UnknownLanguage(String),
    #[error("the text is empty")]
    Empty,
    #[error("the text is {0} bytes; the limit is 200000")]
    TooLong(usize),
    #[error("the text must start with a level-1 heading (# Title)")]
    NoTitle,
    #[error("the text contains raw HTML ({0}); write Markdown only")]
    RawHtml(String),
    #[error("the publisher's name is empty")]
    NoPublisher,
    #[error(
        "a new edition is published in Russian first; translations name its number with --edition"
    )]
    NewEditionNotInRussian,
    #[error("edition {0} has no Russian text to translate")]
    NoSuchEdition(u32),
    #[error("edition {edition} in {language} exists already")]
    Exists { edition: u32, language: String },
    #[error(
        "it would take effect at {0}, before the edition in force took effect; editions keep their order"
    )]
    OutOfOrder(DateTime<Utc>),
    #[error("storage: {0}")]
    Store(String),
}

/// Checks the text itself: non-empty, a title first, no raw HTML.
pub fn check_source(source: &str) -> Result<(), PublishError> {
    if source.trim().is_empty() {
        return Err(PublishError::Empty);
    }
    if source.len() > 200_000 {
        return Err(PublishError::TooLong(source.len()));
    }
    if !source.trim_start().starts_with("# ") {
        return Err(PublishError::NoTitle);
    }
    let parser = pulldown_cmark::Parser::new(source);
    for event in parser {
        if let pulldown_cmark::Event::Html(html) | pulldown_cmark::Event::InlineHtml(html) = event {
            return Err(PublishError::RawHtml(
                html.trim().chars().take(40).collect(),
            ));
        }
    }
    Ok(())
}

/// Checks and stores a new edition or translation; answers its number.
pub async fn publish(
    store: &dyn PaymentStore,
    new: NewEdition,
    now: DateTime<Utc>,
) -> Result<u32, PublishError> {
    let kind = DocumentKind::from_slug(&new.document)
        .ok_or_else(|| PublishError::UnknownDocument(new.document.clone()))?;
    if !LANGUAGES.contains(&new.language.as_str()) {
        return Err(PublishError::UnknownLanguage(new.language));
    }
    check_source(&new.source)?;
    if new.published_by.trim().is_empty() {
        return Err(PublishError::NoPublisher);
    }
    let store_error = |e: StoreError| PublishError::Store(e.to_string());
    let records = store.editions(kind.slug()).await.map_err(store_error)?;
    let russian = |n: u32| {
        records
            .iter()
            .find(|r| r.edition == n && r.language == AUTHORITATIVE_LANGUAGE)
    };
    let (number, effective_from) = match new.edition {
        None => {
            if new.language != AUTHORITATIVE_LANGUAGE {
                return Err(PublishError::NewEditionNotInRussian);
            }
            let last = records.iter().map(|r| r.edition).max().unwrap_or(0);
            if let Some(previous) = russian(last)
                && new.effective_from < previous.effective_from
            {
                return Err(PublishError::OutOfOrder(new.effective_from));
            }
            (last + 1, new.effective_from)
        }
        Some(number) => {
            let original = russian(number).ok_or(PublishError::NoSuchEdition(number))?;
            // A translation takes effect with its edition.
            (number, original.effective_from)
        }
    };
    let record = EditionRecord {
        document: kind.slug().into(),
        edition: number,
        language: new.language.clone(),
        effective_from,
        source: new.source,
        published_by: new.published_by.trim().into(),
        published_at: now,
    };
    if !store.insert_edition(&record).await.map_err(store_error)? {
        return Err(PublishError::Exists {
            edition: number,
            language: new.language,
        });
    }
    tracing::info!(document = kind.slug(), edition = number, language = %record.language, effective_from = %effective_from, "edition published");
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[test]
    fn raw_html_is_escaped() {
        let html = render_markdown("# T\n\n<script>alert(1)</script>");
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn every_seeded_text_is_a_valid_edition() {
        for (kind, language, source) in SEEDS {
            assert_eq!(check_source(source), Ok(()), "{kind:?} {language}");
        }
    }

    #[test]
    fn malformed_texts_are_refused_with_a_reason() {
        assert_eq!(check_source("  \n"), Err(PublishError::Empty));
        assert_eq!(check_source("No title\n\ntext"), Err(PublishError::NoTitle));
        assert!(matches!(
            check_source("# T\n\n<b>bold</b>"),
            Err(PublishError::RawHtml(_))
        ));
    }

    fn edition(language: &str, edition: Option<u32>, at: DateTime<Utc>) -> NewEdition {
        NewEdition {
            document: "privacy-policy".into(),
            language: language.into(),
            edition,
            effective_from: at,
            source: "# Политика\n\nТекст второй редакции.".into(),
            published_by: "Юрист".into(),
        }
    }

    #[tokio::test]
    async fn a_scheduled_edition_takes_effect_at_its_moment() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::storage::connect(&testing::sqlite_url(dir.path()))
            .await
            .unwrap();
        let now = first_edition_effective() + chrono::Duration::days(1);
        seed(store.as_ref(), now).await.unwrap();
        assert_eq!(
            seed(store.as_ref(), now).await.unwrap(),
            0,
            "seeding is idempotent"
        );

        let later = now + chrono::Duration::hours(2);
        let number = publish(store.as_ref(), edition("ru", None, later), now)
            .await
            .unwrap();
        assert_eq!(number, 2);
        let before = editions_in_force(store.as_ref(), now).await.unwrap();
        assert_eq!(
            before.privacy_policy.edition, 1,
            "invisible before its time"
        );
        assert!(
            document(
                store.as_ref(),
                DocumentKind::PrivacyPolicy,
                Some(2),
                "ru",
                now
            )
            .await
            .unwrap()
            .is_none()
        );
        let after = editions_in_force(store.as_ref(), later).await.unwrap();
        assert_eq!(after.privacy_policy.edition, 2);
        assert_eq!(after.user_agreement.edition, 1);

        // Edition 2 has no Kyrgyz text yet: the Russian one is shown.
        let shown = document(
            store.as_ref(),
            DocumentKind::PrivacyPolicy,
            None,
            "ky",
            later,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!((shown.edition, shown.language.as_str()), (2, "ru"));
        let old = document(
            store.as_ref(),
            DocumentKind::PrivacyPolicy,
            Some(1),
            "ky",
            later,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(old.language, "ky");
        assert_eq!(old.superseded_at, Some(later));

        // A translation joins its edition and takes effect with it.
        assert_eq!(
            publish(store.as_ref(), edition("ky", Some(2), now), now).await,
            Ok(2)
        );
        assert_eq!(
            publish(store.as_ref(), edition("ky", Some(2), now), now).await,
            Err(PublishError::Exists {
                edition: 2,
                language: "ky".into()
            })
        );
        assert_eq!(
            publish(store.as_ref(), edition("en", None, later), now).await,
            Err(PublishError::NewEditionNotInRussian)
        );
        assert_eq!(
            publish(store.as_ref(), edition("en", Some(9), later), now).await,
            Err(PublishError::NoSuchEdition(9))
        );
        assert_eq!(
            publish(store.as_ref(), edition("ru", None, now), now).await,
            Err(PublishError::OutOfOrder(now))
        );
    }
}
