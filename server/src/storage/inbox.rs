//! The feedback inbox as stored: messages newest first (all, or those not
//! yet handled) in keyset pages by id, one message, and marking one handled
//! with a note, written with its audit entry in one transaction and only
//! once.

use super::StoreError;
use super::backend::Backend;
use super::staff::{AuditEntry, insert_audit};
use super::store::SqlStore;
use super::values::{Row, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// A message from the feedback form, with how it was handled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackItem {
    pub id: i64,
    pub topic: String,
    pub message: String,
    pub reply_email: Option<String>,
    pub receipt_number: Option<String>,
    pub language: String,
    pub created_at: DateTime<Utc>,
    pub handled_at: Option<DateTime<Utc>>,
    pub handled_by: Option<String>,
    pub handled_note: Option<String>,
}

#[async_trait]
pub trait FeedbackInbox: Send + Sync {
    /// Up to `limit` messages older than `before` (an id), newest first;
    /// with `open_only`, those not handled yet.
    async fn feedback_page(
        &self,
        open_only: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FeedbackItem>, StoreError>;
    async fn feedback_item(&self, id: i64) -> Result<Option<FeedbackItem>, StoreError>;
    /// False when there is no such message or it was handled already.
    async fn mark_handled(
        &self,
        id: i64,
        by: &str,
        note: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError>;
}

macro_rules! columns {
    () => {
        "SELECT id, topic, message, reply_email, receipt_number, language, created_at,
                handled_at, handled_by, handled_note
         FROM feedback "
    };
}

const PAGE: &str = concat!(
    columns!(),
    "WHERE (? = 0 OR handled_at IS NULL) AND (? IS NULL OR id < ?)
     ORDER BY id DESC LIMIT ?"
);
const ITEM: &str = concat!(columns!(), "WHERE id = ?");
const HANDLED: &str = "UPDATE feedback SET handled_at = ?, handled_by = ?, handled_note = ?
     WHERE id = ? AND handled_at IS NULL";

fn item(row: &dyn Row) -> Result<FeedbackItem, StoreError> {
    Ok(FeedbackItem {
        id: required(row.int(0)?, "feedback id")?,
        topic: required(row.text(1)?, "feedback topic")?,
        message: required(row.text(2)?, "feedback message")?,
        reply_email: row.text(3)?,
        receipt_number: row.text(4)?,
        language: required(row.text(5)?, "feedback language")?,
        created_at: required(row.time(6)?, "feedback created")?,
        handled_at: row.time(7)?,
        handled_by: row.text(8)?,
        handled_note: row.text(9)?,
    })
}

#[async_trait]
impl<B: Backend> FeedbackInbox for SqlStore<B> {
    async fn feedback_page(
        &self,
        open_only: bool,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<FeedbackItem>, StoreError> {
        let open = i64::from(open_only);
        self.backend()
            .fetch(statement!(PAGE, open, before, before, limit), item)
            .await
    }

    async fn feedback_item(&self, id: i64) -> Result<Option<FeedbackItem>, StoreError> {
        let rows = self.backend().fetch(statement!(ITEM, id), item).await?;
        Ok(rows.into_iter().next())
    }

    async fn mark_handled(
        &self,
        id: i64,
        by: &str,
        note: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let change = statement!(HANDLED, audit.at, by, note, id);
        self.backend()
            .execute_guarded(vec![change, insert_audit(audit)])
            .await
    }
}
