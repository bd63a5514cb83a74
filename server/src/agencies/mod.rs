//! Government offices as tolem's clients: an agency issues payment
//! requests for the services it may bill and learns by webhook when they
//! are paid, expired or cancelled. Here are the agency API's service
//! ([`Desk`]: who is calling, and what they may do with their requests),
//! its keys and secrets ([`keys`]), the parsing of a new request
//! ([`draft`]), what the API shows ([`view`]), and the operator's
//! commands that create agencies and keys ([`admin`]). The HTTP side is
//! `crate::api`; delivery of the events is `crate::webhooks`.

pub mod admin;
pub mod cli;
pub mod draft;
pub mod keys;
mod requests;
pub mod view;

pub use requests::{Answer, Idempotency, ListQuery, RequestError};

use crate::config::ApiSettings;
use crate::storage::{AgencyRecord, PaymentStore, StoreError};
use app::services::Clock;
use std::sync::Arc;
use tokio::sync::Notify;

/// The agency API's service, shared by its handlers.
pub struct Desk {
    pub store: Arc<dyn PaymentStore>,
    pub clock: Clock,
    pub settings: ApiSettings,
    /// Which keys this server takes (`tlm_test_` in test mode).
    pub test_mode: bool,
    /// The site's address as citizens reach it, for `pay_url`.
    pub site_url: String,
    /// Wakes the webhook worker when an event to deliver was written here.
    pub wake: Arc<Notify>,
}

/// The agency an authenticated request acts for, and with which key.
#[derive(Clone, Debug)]
pub struct Caller {
    pub agency: AgencyRecord,
    pub key_id: String,
}

/// Why a request was not authenticated. Each is answered 401 alike but
/// for its detail: none says whether another agency or key exists.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no API key was sent: send `Authorization: Bearer <key>`")]
    Missing,
    #[error("the API key is not valid")]
    Invalid,
    #[error("this API key has been revoked")]
    Revoked,
    #[error("a test key works only on the test site, a live key only on the live one")]
    WrongMode,
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl Desk {
    /// The caller of a request bearing `presented` (the whole header value).
    pub async fn authenticate(&self, presented: Option<&str>) -> Result<Caller, AuthError> {
        let header = presented.ok_or(AuthError::Missing)?.trim();
        let key = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::Missing)?
            .trim();
        let mode = keys::shape(key).ok_or(AuthError::Invalid)?;
        let record = self
            .store
            .api_key_by_hash(&keys::hash(key))
            .await?
            .ok_or(AuthError::Invalid)?;
        if record.revoked_at.is_some() {
            return Err(AuthError::Revoked);
        }
        if mode != keys::KeyMode::of_server(self.test_mode) {
            return Err(AuthError::WrongMode);
        }
        let agency = self
            .store
            .agency(&record.agency_id)
            .await?
            .ok_or(AuthError::Invalid)?;
        Ok(Caller {
            agency,
            key_id: record.id,
        })
    }
}
