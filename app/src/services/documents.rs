//! The policy documents and their editions, as pages show them.

use super::ServiceError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{DocumentKind, EditionRef, EditionsInForce};

/// One edition of a policy document, rendered to HTML from its Markdown source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentView {
    pub kind: DocumentKind,
    pub edition: u32,
    /// The language of the text shown (Russian when no translation exists).
    pub language: String,
    pub effective_from: DateTime<Utc>,
    /// When the next edition replaced this one, if it did.
    pub superseded_at: Option<DateTime<Utc>>,
    pub html: String,
}

#[async_trait]
pub trait DocumentService: Send + Sync {
    /// The editions of both documents in force now.
    async fn editions_in_force(&self) -> Result<EditionsInForce, ServiceError>;

    /// An edition of a document (the one in force when `edition` is `None`)
    /// in `language`, or in Russian when it has no such translation. Editions
    /// whose time has not come do not exist yet.
    async fn document(
        &self,
        kind: DocumentKind,
        edition: Option<u32>,
        language: &str,
    ) -> Result<Option<DocumentView>, ServiceError>;

    /// Every edition of a document that has taken effect, oldest first.
    async fn document_editions(&self, kind: DocumentKind) -> Result<Vec<EditionRef>, ServiceError>;
}
