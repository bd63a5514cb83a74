//! Keyed pseudonyms: a keyed HMAC-SHA256 of a value (a client's address, a
//! card number), the same on every server, from which nothing can be
//! learned without the key, not even by trying every IPv4 address or every
//! card number of an issuer's range, as a plain hash would allow. The key is
//! the operator's or, when none is set, one the first server generates and
//! keeps in the database for the others; it is held in a type that never
//! prints.

use crate::storage::{PaymentStore, StoreError};
use app::services::Clock;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// The operator's key, or the one kept in the database under `name`
/// (made now if this is the first server to need it): the same on every
/// server.
pub async fn shared_key(
    store: &dyn PaymentStore,
    clock: &Clock,
    name: &str,
    configured_key: Option<&str>,
) -> Result<Vec<u8>, StoreError> {
    Ok(match configured_key {
        Some(key) => key.as_bytes().to_vec(),
        None => {
            let candidate = format!(
                "{:032x}{:032x}",
                uuid::Uuid::new_v4().as_u128(),
                uuid::Uuid::new_v4().as_u128()
            );
            store
                .shared_secret(name, &candidate, clock())
                .await?
                .into_bytes()
        }
    })
}

pub struct Pseudonyms {
    key: SecretSlice<u8>,
}

impl Pseudonyms {
    /// With the operator's key, or the one kept in the database under
    /// `name` (made now if this is the first server to need it).
    pub async fn open(
        store: &dyn PaymentStore,
        clock: &Clock,
        name: &str,
        configured_key: Option<&str>,
    ) -> Result<Pseudonyms, StoreError> {
        let key = shared_key(store, clock, name, configured_key).await?;
        Ok(Pseudonyms { key: key.into() })
    }

    /// The pseudonym of `value`: 32 hex digits.
    pub fn of(&self, value: &[u8]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.key.expose_secret()) else {
            // HMAC takes a key of any length; this cannot happen.
            return String::new();
        };
        mac.update(value);
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}
