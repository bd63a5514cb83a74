//! Citizens' messages to the operator.

use super::ServiceError;
use async_trait::async_trait;

/// A message from the feedback form, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub topic: String,
    pub message: String,
    pub reply_email: Option<String>,
    pub receipt_number: Option<String>,
    pub language: String,
    /// Who sent it, as the rate limit counts (an address, never stored raw).
    pub client: String,
}

#[async_trait]
pub trait FeedbackService: Send + Sync {
    /// Stores a message, unless its sender sent too many lately.
    async fn send_feedback(&self, feedback: Feedback) -> Result<(), ServiceError>;
}
