//! Publishing an edition: the checks a new text must pass, and its
//! numbering and moment relative to the editions before it.

use super::{AUTHORITATIVE_LANGUAGE, Documents, LANGUAGES};
use crate::storage::{EditionRecord, StoreError};
use chrono::{DateTime, Utc};
use domain::DocumentKind;

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
    documents: &Documents,
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
    // Checked against the database itself, not this server's copy: another
    // server may have published a moment ago.
    documents.refresh().await.map_err(store_error)?;
    let library = documents.library();
    let records: Vec<&EditionRecord> = library.records(kind).collect();
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
    if !documents
        .store()
        .insert_edition(&record)
        .await
        .map_err(store_error)?
    {
        return Err(PublishError::Exists {
            edition: number,
            language: new.language,
        });
    }
    tracing::info!(document = kind.slug(), edition = number, language = %record.language, effective_from = %effective_from, "edition published");
    documents.reload().await.map_err(store_error)?;
    Ok(number)
}
