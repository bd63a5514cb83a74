//! Staff passwords: argon2id with the crate's defaults (19 MiB, two passes,
//! OWASP's recommendation), hashed and checked on the blocking pool so a
//! sign-in never stalls the server's other requests.

use argon2::password_hash::SaltString;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use rand::RngCore;

/// PCI DSS 8.3.6 asks 12 characters at least.
pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have {MIN_CHARS} to {MAX_CHARS} characters")]
    Length,
}

/// Checks a new password's length (the only rule NIST 800-63B keeps).
pub fn check_new(password: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if (MIN_CHARS..=MAX_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(PasswordError::Length)
    }
}

/// A PHC string of `password`'s argon2id hash with a fresh salt.
pub fn hash(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashes any password with its default parameters")
        .to_string()
}

/// Whether `password` is the one `phc` was made from.
pub fn verify(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// [`hash`] on the blocking pool.
pub async fn hash_off_thread(password: String) -> String {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .expect("hashing does not panic")
}

/// [`verify`] on the blocking pool. With no account (`phc` is `None`) a
/// hash is still checked, so an unknown email takes as long as a wrong
/// password and timing does not tell which accounts exist.
pub async fn verify_off_thread(phc: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => verify(&phc, &password),
        None => {
            verify(dummy_hash(), &password);
            false
        }
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("not anybody's password"))
}

/// A password the server chooses: 20 characters from an alphabet without
/// look-alikes, about 110 bits.
pub fn new_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash("correct horse battery");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify(&phc, "correct horse battery"));
        assert!(!verify(&phc, "correct horse batterz"));
        assert!(!verify("not a hash", "correct horse battery"));
        assert_ne!(phc, hash("correct horse battery"), "salts differ");
    }

    #[test]
    fn new_passwords_need_twelve_characters() {
        assert_eq!(check_new("short"), Err(PasswordError::Length));
        assert_eq!(check_new("twelve chars"), Ok(()));
        assert_eq!(check_new("пароль123456"), Ok(()), "counted in characters");
    }
}
