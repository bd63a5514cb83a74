//! The operator's work on agencies until the back office has pages for it:
//! creating an agency (with its webhook endpoint and signing secret),
//! creating, listing and revoking API keys, rotating the signing secret.
//! The command line (`server agency …`, `server api-key …`) calls these.

use super::keys::{self, KeyMode};
use crate::storage::{AgencyRecord, ApiKeyRecord, PaymentStore, StoreError, WebhookEndpoint};
use chrono::{DateTime, Duration, Utc};
use domain::ServiceKind;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("no agency {0}")]
    NoAgency(String),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// An agency to create.
pub struct NewAgency<'a> {
    pub name: &'a str,
    /// Comma-separated service kinds (`passport,driving_licence`).
    pub services: &'a str,
    pub webhook_url: Option<&'a str>,
}

/// Parses `passport,driving_licence,…`.
pub fn parse_services(text: &str) -> Result<Vec<ServiceKind>, AdminError> {
    let mut services = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind = ServiceKind::from_str_opt(name).ok_or_else(|| {
            let known: Vec<_> = ServiceKind::ALL.iter().map(|k| k.as_str()).collect();
            AdminError::Invalid(format!(
                "unknown service {name:?}: one of {}",
                known.join(", ")
            ))
        })?;
        if !services.contains(&kind) {
            services.push(kind);
        }
    }
    if services.is_empty() {
        return Err(AdminError::Invalid("name at least one service".into()));
    }
    Ok(services)
}

/// Creates an agency; with a webhook URL, answers its signing secret too
/// (shown once).
pub async fn create_agency(
    store: &dyn PaymentStore,
    new: &NewAgency<'_>,
    test_mode: bool,
    now: DateTime<Utc>,
) -> Result<(AgencyRecord, Option<String>), AdminError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AdminError::Invalid(
            "the name must have 1 to 200 characters".into(),
        ));
    }
    let webhook = new
        .webhook_url
        .map(|url| {
            crate::webhooks::endpoint_url(url, test_mode).map(|url| WebhookEndpoint {
                url,
                secret: keys::new_signing_secret(),
                previous_secret: None,
                previous_until: None,
            })
        })
        .transpose()
        .map_err(AdminError::Invalid)?;
    let agency = AgencyRecord {
        id: keys::new_id("agc"),
        name: name.to_owned(),
        services: parse_services(new.services)?,
        webhook,
        created_at: now,
    };
    store.insert_agency(&agency).await?;
    let secret = agency.webhook.as_ref().map(|w| w.secret.clone());
    Ok((agency, secret))
}

async fn agency(store: &dyn PaymentStore, id: &str) -> Result<AgencyRecord, AdminError> {
    store
        .agency(id)
        .await?
        .ok_or_else(|| AdminError::NoAgency(id.to_owned()))
}

/// Creates a key of the server's mode for the agency; answers it (shown once).
pub async fn create_key(
    store: &dyn PaymentStore,
    agency_id: &str,
    label: Option<&str>,
    mode: KeyMode,
    now: DateTime<Utc>,
) -> Result<(ApiKeyRecord, String), AdminError> {
    create_key_from(store, agency_id, label, keys::new_key(mode), mode, now).await
}

/// [`create_key`] with a key made beforehand (the demonstration's).
pub async fn create_key_from(
    store: &dyn PaymentStore,
    agency_id: &str,
    label: Option<&str>,
    new: keys::NewKey,
    mode: KeyMode,
    now: DateTime<Utc>,
) -> Result<(ApiKeyRecord, String), AdminError> {
    agency(store, agency_id).await?;
    let record = ApiKeyRecord {
        id: keys::new_id("key"),
        agency_id: agency_id.to_owned(),
        prefix: new.prefix,
        mode: mode.as_str().to_owned(),
        label: label.map(str::to_owned),
        created_at: now,
        revoked_at: None,
    };
    store.insert_api_key(&record, &new.hash).await?;
    Ok((record, new.key))
}

/// Revokes a key by its id or its visible start; false when none is live.
pub async fn revoke_key(
    store: &dyn PaymentStore,
    id_or_prefix: &str,
    now: DateTime<Utc>,
) -> Result<bool, AdminError> {
    let keys = store.api_keys(None).await?;
    let matching: Vec<_> = keys
        .iter()
        .filter(|k| k.revoked_at.is_none() && (k.id == id_or_prefix || k.prefix == id_or_prefix))
        .collect();
    match matching.as_slice() {
        [] => Ok(false),
        [key] => Ok(store.revoke_api_key(&key.id, now).await?),
        _ => Err(AdminError::Invalid(
            "several live keys start so: give the key's id".into(),
        )),
    }
}

/// Gives the agency a new signing secret (answered, shown once); the old
/// one signs beside it for `overlap`, so the agency can switch without
/// losing a delivery.
pub async fn rotate_secret(
    store: &dyn PaymentStore,
    agency_id: &str,
    overlap: Duration,
    now: DateTime<Utc>,
) -> Result<String, AdminError> {
    let agency = agency(store, agency_id).await?;
    let Some(old) = agency.webhook else {
        return Err(AdminError::Invalid(
            "the agency has no webhook endpoint".into(),
        ));
    };
    let endpoint = WebhookEndpoint {
        url: old.url,
        secret: keys::new_signing_secret(),
        previous_secret: Some(old.secret),
        previous_until: Some(now + overlap),
    };
    store.set_webhook(agency_id, &endpoint).await?;
    Ok(endpoint.secret)
}

/// Sets (or replaces) the agency's webhook URL; answers the signing secret
/// when the agency had none (shown once).
pub async fn set_webhook_url(
    store: &dyn PaymentStore,
    agency_id: &str,
    url: &str,
    test_mode: bool,
) -> Result<Option<String>, AdminError> {
    let agency = agency(store, agency_id).await?;
    let url = crate::webhooks::endpoint_url(url, test_mode).map_err(AdminError::Invalid)?;
    let (endpoint, new_secret) = match agency.webhook {
        Some(old) => (WebhookEndpoint { url, ..old }, None),
        None => {
            let secret = keys::new_signing_secret();
            let endpoint = WebhookEndpoint {
                url,
                secret: secret.clone(),
                previous_secret: None,
                previous_until: None,
            };
            (endpoint, Some(secret))
        }
    };
    store.set_webhook(agency_id, &endpoint).await?;
    Ok(new_secret)
}
