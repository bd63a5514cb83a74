//! Citizens' messages to the operator (`app::services::FeedbackService`):
//! stored, five an hour per sender at most.
//!
//! The sender is counted by a pseudonym of their address
//! (`crate::pseudonyms`), with the operator's key (`TOLEM_FEEDBACK_KEY`) or
//! the one the servers share through the database.

use crate::payments::internal;
use crate::pseudonyms::Pseudonyms;
use crate::storage::{FeedbackRecord, PaymentStore, StoreError};
use app::services::{Clock, Feedback, FeedbackService, ServiceError};
use async_trait::async_trait;
use std::sync::Arc;

/// Messages one sender may send in an hour.
const PER_HOUR: i64 = 5;
/// The name of the generated key in the database's secrets.
const KEY_NAME: &str = "feedback-pseudonym-key";

pub struct FeedbackDesk {
    store: Arc<dyn PaymentStore>,
    clock: Clock,
    pseudonyms: Pseudonyms,
}

impl FeedbackDesk {
    /// With the operator's key, or the one kept in the database (made now if
    /// this is the first server to need it).
    pub async fn open(
        store: Arc<dyn PaymentStore>,
        clock: Clock,
        configured_key: Option<&str>,
    ) -> Result<FeedbackDesk, StoreError> {
        let pseudonyms = Pseudonyms::open(store.as_ref(), &clock, KEY_NAME, configured_key).await?;
        Ok(FeedbackDesk {
            store,
            clock,
            pseudonyms,
        })
    }

    /// The sender's pseudonym: the same for the same address, and nothing
    /// else can be learned from it without the key.
    pub fn pseudonym(&self, client: &str) -> String {
        self.pseudonyms.of(client.as_bytes())
    }
}

#[async_trait]
impl FeedbackService for FeedbackDesk {
    async fn send_feedback(&self, feedback: Feedback) -> Result<(), ServiceError> {
        let now = (self.clock)();
        let client = self.pseudonym(&feedback.client);
        let recent = self
            .store
            .feedback_count_since(&client, now - chrono::Duration::hours(1))
            .await
            .map_err(internal("feedback count"))?;
        if recent >= PER_HOUR {
            tracing::info!("feedback refused: rate limit");
            return Err(ServiceError::RateLimited);
        }
        self.store
            .insert_feedback(&FeedbackRecord {
                topic: feedback.topic,
                message: feedback.message,
                reply_email: feedback.reply_email,
                receipt_number: feedback.receipt_number,
                language: feedback.language,
                client,
                at: now,
            })
            .await
            .map_err(internal("store feedback"))?;
        tracing::info!("feedback stored");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Sha256;

    #[tokio::test]
    async fn senders_get_keyed_pseudonyms_shared_by_every_server() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::storage::connect(&crate::testing::sqlite_url(dir.path()))
            .await
            .unwrap();
        let clock: Clock = Arc::new(chrono::Utc::now);
        let one = FeedbackDesk::open(store.clone(), clock.clone(), None)
            .await
            .unwrap();
        let other = FeedbackDesk::open(store.clone(), clock.clone(), None)
            .await
            .unwrap();
        assert_eq!(one.pseudonym("10.0.0.1"), other.pseudonym("10.0.0.1"));
        assert_ne!(one.pseudonym("10.0.0.1"), one.pseudonym("10.0.0.2"));
        assert_eq!(one.pseudonym("10.0.0.1").len(), 32);

        // Not the plain hash of the address, and another key, another name.
        let plain = hex::encode(&<Sha256 as sha2::Digest>::digest(b"10.0.0.1")[..16]);
        assert_ne!(one.pseudonym("10.0.0.1"), plain);
        let configured = FeedbackDesk::open(store, clock, Some("the operator's own key"))
            .await
            .unwrap();
        assert_ne!(configured.pseudonym("10.0.0.1"), one.pseudonym("10.0.0.1"));
    }
}
