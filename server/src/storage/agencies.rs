//! Agencies and their API keys as stored: who may issue payment requests
//! for which services, where their webhooks go and what they are signed
//! with; keys only as a hash with their visible start. Written once over
//! the [`Backend`] contract, like the store.

use super::StoreError;
use super::backend::Backend;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ServiceKind;

/// An agency as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyRecord {
    pub id: String,
    pub name: String,
    pub services: Vec<ServiceKind>,
    pub webhook: Option<WebhookEndpoint>,
    pub created_at: DateTime<Utc>,
}

/// Where an agency's webhooks go and the secrets they are signed with.
/// `Debug` leaves the secrets out.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookEndpoint {
    pub url: String,
    /// `whsec_<base64>`.
    pub secret: String,
    /// The secret before the last rotation, still used beside the new one
    /// until `previous_until`.
    pub previous_secret: Option<String>,
    pub previous_until: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("url", &self.url)
            .field("previous_until", &self.previous_until)
            .finish_non_exhaustive()
    }
}

/// An API key as stored (never the key itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub agency_id: String,
    /// The start of the key, shown in lists (`tlm_test_AbCd1234`).
    pub prefix: String,
    /// `live` or `test`.
    pub mode: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait AgencyStore: Send + Sync {
    async fn insert_agency(&self, agency: &AgencyRecord) -> Result<(), StoreError>;
    async fn agency(&self, id: &str) -> Result<Option<AgencyRecord>, StoreError>;
    async fn agencies(&self) -> Result<Vec<AgencyRecord>, StoreError>;
    /// Replaces an agency's endpoint (a new URL or a rotated secret).
    async fn set_webhook(&self, id: &str, endpoint: &WebhookEndpoint) -> Result<bool, StoreError>;
    async fn insert_api_key(&self, key: &ApiKeyRecord, hash: &str) -> Result<(), StoreError>;
    /// The key whose SHA-256 is `hash`, revoked or not.
    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError>;
    async fn api_keys(&self, agency_id: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError>;
    /// False when no such key is live.
    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError>;
}

macro_rules! agency_columns {
    () => {
        "SELECT id, name, services, webhook_url, webhook_secret, previous_webhook_secret,
                previous_secret_until, created_at
         FROM agencies "
    };
}

macro_rules! key_columns {
    () => {
        "SELECT id, agency_id, prefix, mode, label, created_at, revoked_at FROM api_keys "
    };
}

const INSERT_AGENCY: &str = "INSERT INTO agencies
       (id, name, services, webhook_url, webhook_secret, previous_webhook_secret,
        previous_secret_until, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const AGENCY: &str = concat!(agency_columns!(), "WHERE id = ?");
const AGENCIES: &str = concat!(agency_columns!(), "ORDER BY created_at, id");
const SET_WEBHOOK: &str = "UPDATE agencies
     SET webhook_url = ?, webhook_secret = ?, previous_webhook_secret = ?,
         previous_secret_until = ?
     WHERE id = ?";
const INSERT_KEY: &str = "INSERT INTO api_keys
       (id, agency_id, prefix, hash, mode, label, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)";
const KEY_BY_HASH: &str = concat!(key_columns!(), "WHERE hash = ?");
const KEYS: &str = concat!(
    key_columns!(),
    "WHERE CAST(? AS TEXT) IS NULL OR agency_id = ? ORDER BY created_at, id"
);
const REVOKE_KEY: &str = "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";

/// The stored list of service kinds, comma-separated.
pub fn services_text(services: &[ServiceKind]) -> String {
    services
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn agency(row: &dyn Row) -> Result<AgencyRecord, StoreError> {
    let services = required(row.text(2)?, "agency services")?
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| ServiceKind::from_str_opt(s).ok_or(StoreError::Corrupt("agency service")))
        .collect::<Result<Vec<_>, _>>()?;
    let webhook = match (row.text(3)?, row.text(4)?) {
        (Some(url), Some(secret)) => Some(WebhookEndpoint {
            url,
            secret,
            previous_secret: row.text(5)?,
            previous_until: row.time(6)?,
        }),
        _ => None,
    };
    Ok(AgencyRecord {
        id: required(row.text(0)?, "agency id")?,
        name: required(row.text(1)?, "agency name")?,
        services,
        webhook,
        created_at: required(row.time(7)?, "agency created")?,
    })
}

fn api_key(row: &dyn Row) -> Result<ApiKeyRecord, StoreError> {
    Ok(ApiKeyRecord {
        id: required(row.text(0)?, "key id")?,
        agency_id: required(row.text(1)?, "key agency")?,
        prefix: required(row.text(2)?, "key prefix")?,
        mode: required(row.text(3)?, "key mode")?,
        label: row.text(4)?,
        created_at: required(row.time(5)?, "key created")?,
        revoked_at: row.time(6)?,
    })
}

#[async_trait]
impl<B: Backend> AgencyStore for SqlStore<B> {
    async fn insert_agency(&self, agency: &AgencyRecord) -> Result<(), StoreError> {
        let webhook = agency.webhook.as_ref();
        self.backend()
            .execute(statement!(
                INSERT_AGENCY,
                agency.id.as_str(),
                agency.name.as_str(),
                services_text(&agency.services),
                webhook.map(|w| w.url.as_str()),
                webhook.map(|w| w.secret.as_str()),
                webhook.and_then(|w| w.previous_secret.as_deref()),
                webhook.and_then(|w| w.previous_until),
                agency.created_at,
            ))
            .await
            .map(drop)
    }

    async fn agency(&self, id: &str) -> Result<Option<AgencyRecord>, StoreError> {
        let rows = self.backend().fetch(statement!(AGENCY, id), agency).await?;
        Ok(rows.into_iter().next())
    }

    async fn agencies(&self) -> Result<Vec<AgencyRecord>, StoreError> {
        self.backend().fetch(statement!(AGENCIES), agency).await
    }

    async fn set_webhook(&self, id: &str, endpoint: &WebhookEndpoint) -> Result<bool, StoreError> {
        let changed = self
            .backend()
            .execute(statement!(
                SET_WEBHOOK,
                endpoint.url.as_str(),
                endpoint.secret.as_str(),
                endpoint.previous_secret.as_deref(),
                endpoint.previous_until,
                id,
            ))
            .await?;
        Ok(changed == 1)
    }

    async fn insert_api_key(&self, key: &ApiKeyRecord, hash: &str) -> Result<(), StoreError> {
        self.backend()
            .execute(statement!(
                INSERT_KEY,
                key.id.as_str(),
                key.agency_id.as_str(),
                key.prefix.as_str(),
                hash,
                key.mode.as_str(),
                key.label.as_deref(),
                key.created_at,
            ))
            .await
            .map(drop)
    }

    async fn api_key_by_hash(&self, hash: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(KEY_BY_HASH, hash), api_key)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn api_keys(&self, agency_id: Option<&str>) -> Result<Vec<ApiKeyRecord>, StoreError> {
        self.backend()
            .fetch(statement!(KEYS, agency_id, agency_id), api_key)
            .await
    }

    async fn revoke_api_key(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = self
            .backend()
            .execute(statement!(REVOKE_KEY, at, id))
            .await?;
        Ok(changed == 1)
    }
}
