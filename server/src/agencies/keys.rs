//! API keys and webhook signing secrets: drawn from the OS's random source,
//! shown once, and recognisable when leaked. A key is `tlm_live_` or
//! `tlm_test_` and 32 letters and digits (190 bits); only its SHA-256 is
//! stored (a random key has no dictionary to try, so a slow hash would
//! buy nothing), beside its first characters for lists.

use base64::Engine;
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

/// Letters and digits after the mode.
const KEY_BODY: usize = 32;
/// Characters of the body kept in the clear, for lists.
const SHOWN: usize = 8;

/// Whether a key takes real money (`live`) or works against the sandbox
/// and test acquirers (`test`); a server accepts only keys of its mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyMode {
    Live,
    Test,
}

impl KeyMode {
    pub fn of_server(test_mode: bool) -> KeyMode {
        if test_mode {
            KeyMode::Test
        } else {
            KeyMode::Live
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyMode::Live => "live",
            KeyMode::Test => "test",
        }
    }
}

/// A new key: the key itself (shown once), its hash and visible start.
pub struct NewKey {
    pub key: String,
    pub hash: String,
    pub prefix: String,
}

pub fn new_key(mode: KeyMode) -> NewKey {
    let body: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(KEY_BODY)
        .map(char::from)
        .collect();
    key_from(mode, &body)
}

/// The key `tlm_<mode>_<body>` (the demonstration's fixed key is made so).
pub fn key_from(mode: KeyMode, body: &str) -> NewKey {
    let key = format!("tlm_{}_{body}", mode.as_str());
    let shown = format!("tlm_{}_", mode.as_str()).len() + SHOWN.min(body.len());
    NewKey {
        hash: hash(&key),
        prefix: key[..shown].to_owned(),
        key,
    }
}

/// The mode of a presented key, if it has a key's shape at all.
pub fn shape(presented: &str) -> Option<KeyMode> {
    let (mode, body) = if let Some(body) = presented.strip_prefix("tlm_live_") {
        (KeyMode::Live, body)
    } else {
        (KeyMode::Test, presented.strip_prefix("tlm_test_")?)
    };
    (body.len() == KEY_BODY && body.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(mode)
}

pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_signing_secret() -> String {
    let bytes: [u8; 32] = rand::thread_rng().r#gen();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// A new id with a kind's prefix (`agc_`, `key_`, `evt_`).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_their_shape_and_are_stored_as_hashes() {
        let test = new_key(KeyMode::Test);
        assert!(test.key.starts_with("tlm_test_"));
        assert_eq!(test.key.len(), "tlm_test_".len() + KEY_BODY);
        assert_eq!(shape(&test.key), Some(KeyMode::Test));
        assert!(test.key.starts_with(&test.prefix));
        assert_eq!(test.prefix.len(), "tlm_test_".len() + SHOWN);
        assert_eq!(test.hash, hash(&test.key));
        assert_eq!(test.hash.len(), 64);
        assert!(!test.hash.contains(&test.key[9..]));
        let live = new_key(KeyMode::Live);
        assert_eq!(shape(&live.key), Some(KeyMode::Live));
        assert_ne!(live.key, new_key(KeyMode::Live).key);
        for bad in ["", "tlm_test_", "tlm_prod_abc", "Bearer x", &test.key[..20]] {
            assert_eq!(shape(bad), None, "{bad}");
        }
        let tampered = format!("{}!", &test.key[..test.key.len() - 1]);
        assert_eq!(shape(&tampered), None);
    }

    #[test]
    fn signing_secrets_are_whsec_and_32_bytes() {
        let secret = new_signing_secret();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(secret.strip_prefix("whsec_").unwrap())
            .unwrap();
        assert_eq!(bytes.len(), 32);
        assert_ne!(secret, new_signing_secret());
    }
}
