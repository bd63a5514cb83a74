//! The documents as the pages ask for them (`app::services::DocumentService`),
//! answered from the library in memory at this server's time.

use super::Documents;
use crate::payments::internal;
use app::services::{DocumentService, DocumentView, ServiceError};
use async_trait::async_trait;
use domain::{DocumentKind, EditionRef, EditionsInForce};

#[async_trait]
impl DocumentService for Documents {
    async fn editions_in_force(&self) -> Result<EditionsInForce, ServiceError> {
        self.library()
            .in_force(self.now())
            .map_err(internal("editions in force"))
    }

    async fn document(
        &self,
        kind: DocumentKind,
        edition: Option<u32>,
        language: &str,
    ) -> Result<Option<DocumentView>, ServiceError> {
        Ok(self.library().document(kind, edition, language, self.now()))
    }

    async fn document_editions(&self, kind: DocumentKind) -> Result<Vec<EditionRef>, ServiceError> {
        Ok(self.library().in_effect(kind, self.now()))
    }
}
