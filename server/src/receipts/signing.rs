//! The tag that makes a receipt's verification code: an HMAC-SHA256 of the
//! receipt number under a key only the servers hold, cut to 50 bits and
//! written in Crockford's base 32. Without the key nobody can make the tag
//! of a number, so a clerk who sees "valid" knows the site printed that
//! receipt, and the sequential numbers cannot be walked. The key is the
//! operator's (`TOLEM_RECEIPT_KEY`) or one the first server makes and keeps
//! in the database for the others; like every key it never prints.

use crate::storage::{PaymentStore, StoreError};
use app::services::Clock;
use domain::{ALPHABET, ReceiptNumber, TAG_CHARS, VerificationCode};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// The database's name for the generated key.
const SHARED_NAME: &str = "receipt-signing";
/// Bound into every tag, so a tag is never valid for another purpose of the
/// same key, and a new scheme can be told from this one.
const CONTEXT: &[u8] = b"tolem receipt v1:";

pub struct ReceiptSigner {
    key: SecretSlice<u8>,
}

impl ReceiptSigner {
    /// With the operator's key, or the one the servers share.
    pub async fn open(
        store: &dyn PaymentStore,
        clock: &Clock,
        configured_key: Option<&str>,
    ) -> Result<ReceiptSigner, StoreError> {
        let key = crate::pseudonyms::shared_key(store, clock, SHARED_NAME, configured_key).await?;
        Ok(ReceiptSigner::with_key(key))
    }

    pub fn with_key(key: Vec<u8>) -> ReceiptSigner {
        ReceiptSigner { key: key.into() }
    }

    fn tag(&self, number: ReceiptNumber) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.key.expose_secret()) else {
            // HMAC takes a key of any length; this cannot happen.
            return String::new();
        };
        mac.update(CONTEXT);
        mac.update(number.value().to_string().as_bytes());
        let digest = mac.finalize().into_bytes();
        // The first 64 bits, read five at a time from the top.
        let mut bits = digest[..8]
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        (0..TAG_CHARS)
            .map(|_| {
                let index = (bits >> 59) as usize;
                bits <<= 5;
                char::from(ALPHABET[index])
            })
            .collect()
    }

    /// The code printed on the receipt with this number.
    pub fn code(&self, number: ReceiptNumber) -> Option<VerificationCode> {
        VerificationCode::new(number, self.tag(number))
    }

    /// Whether the site printed `code`. Compared without an early exit, so
    /// the time taken does not tell how many characters were right.
    pub fn genuine(&self, code: &VerificationCode) -> bool {
        let expected = self.tag(code.number());
        expected.len() == code.tag().len()
            && expected
                .bytes()
                .zip(code.tag().bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: i64) -> ReceiptNumber {
        ReceiptNumber::from_sequence(n).unwrap()
    }

    #[test]
    fn a_code_checks_and_every_altered_one_does_not() {
        let signer = ReceiptSigner::with_key(b"a key of the operator's, long enough".to_vec());
        let code = signer.code(number(123)).unwrap();
        assert!(signer.genuine(&code));
        let text = code.to_string();
        assert_eq!(text.len(), "00000123-ABCDE-FGHJK".len());
        // Change each tag character in turn to every other one.
        let tag_positions = text
            .char_indices()
            .skip(9)
            .filter(|(_, c)| *c != '-')
            .map(|(i, _)| i);
        for i in tag_positions {
            for other in ALPHABET.iter().map(|b| char::from(*b)) {
                if text[i..].starts_with(other) {
                    continue;
                }
                let mut altered = text.clone();
                altered.replace_range(i..=i, &other.to_string());
                let altered: VerificationCode = altered.parse().unwrap();
                assert!(!signer.genuine(&altered), "{altered}");
            }
        }
        // Another number with the same tag.
        let moved = VerificationCode::new(number(124), code.tag().to_string()).unwrap();
        assert!(!signer.genuine(&moved));
    }

    #[test]
    fn tags_differ_by_number_and_by_key() {
        let one = ReceiptSigner::with_key(b"first key first key first key 12".to_vec());
        let two = ReceiptSigner::with_key(b"second key second key second key".to_vec());
        let tags: std::collections::HashSet<String> =
            (1..=1000).map(|n| one.tag(number(n))).collect();
        assert_eq!(tags.len(), 1000);
        assert_ne!(one.tag(number(7)), two.tag(number(7)));
        assert!(!two.genuine(&one.code(number(7)).unwrap()));
    }
}
