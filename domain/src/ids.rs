//! The identifiers a payment goes by: its id (also its receipt's address and
//! the acquirer's order id) and the idempotency key its pay form carries.
//! Both are 32 lowercase hex digits (a UUID in simple form); anything else
//! is refused when parsed, so no other code checks their shape.

use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// Why a string is not an id. It never holds the string: it came from
/// outside and may be anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidId;

const INVALID_ID: &str = "not 32 lowercase hex digits";

impl fmt::Display for InvalidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(INVALID_ID)
    }
}

fn is_hex32(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// An id's text off the wire, checked as the ids' `parse` checks it. One
/// function for both ids, with an error that needs no formatting, so the
/// WebAssembly bundle (which reads ids in the `pay` answers) carries it once.
fn deserialize_hex32<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let text = String::deserialize(deserializer)?;
    if is_hex32(&text) {
        Ok(text)
    } else {
        Err(serde::de::Error::custom(INVALID_ID))
    }
}

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(into = "String")]
        pub struct $name(String);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                deserialize_hex32(deserializer).map($name)
            }
        }

        impl $name {
            pub fn parse(text: &str) -> Result<$name, InvalidId> {
                if is_hex32(text) {
                    Ok($name(text.to_owned()))
                } else {
                    Err(InvalidId)
                }
            }

            /// The id of 128 bits (a UUID), spelt as 32 hex digits.
            pub fn from_u128(bits: u128) -> $name {
                $name(format!("{bits:032x}"))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(text: String) -> Result<$name, InvalidId> {
                if is_hex32(&text) { Ok($name(text)) } else { Err(InvalidId) }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<$name, InvalidId> {
                $name::parse(text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

hex_id!(
    /// A payment: its receipt is at `/receipt/{id}` and the acquirer knows it
    /// as the order id. Unguessable (74 random bits at least).
    PaymentId
);

hex_id!(
    /// The key a pay form carries from the moment it is rendered: every
    /// submit of that form is the same payment attempt.
    IdempotencyKey
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_32_lowercase_hex_digits_are_an_id() {
        let good = "0190a3b4c5d6e7f8091a2b3c4d5e6f70";
        assert_eq!(PaymentId::parse(good).unwrap().as_str(), good);
        for bad in [
            "",
            "0190a3b4c5d6e7f8091a2b3c4d5e6f7",
            "0190a3b4c5d6e7f8091a2b3c4d5e6f700",
            "0190A3B4C5D6E7F8091A2B3C4D5E6F70",
            "0190a3b4-c5d6-e7f8-091a-2b3c4d5e",
            "../../../../../../../etc/passwd00",
        ] {
            assert_eq!(PaymentId::parse(bad), Err(InvalidId), "{bad:?}");
            assert_eq!(IdempotencyKey::parse(bad), Err(InvalidId), "{bad:?}");
        }
        assert_eq!(
            PaymentId::from_u128(0xabc).as_str(),
            "00000000000000000000000000000abc"
        );
    }

    #[test]
    fn ids_cross_the_wire_as_their_text_and_are_checked_on_the_way_in() {
        let id = IdempotencyKey::from_u128(u128::MAX);
        let json = serde_json_like(&id);
        assert_eq!(json, "ffffffffffffffffffffffffffffffff");
        assert!(IdempotencyKey::try_from("nope".to_string()).is_err());
    }

    #[test]
    fn ids_off_the_wire_are_checked_like_parsed_ones() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, StringDeserializer};
        fn wire(text: &str) -> StringDeserializer<Error> {
            text.to_string().into_deserializer()
        }
        let good = "0190a3b4c5d6e7f8091a2b3c4d5e6f70";
        assert_eq!(
            PaymentId::deserialize(wire(good)),
            Ok(PaymentId::parse(good).unwrap())
        );
        assert_eq!(
            IdempotencyKey::deserialize(wire(good)).map(String::from),
            Ok(good.to_string())
        );
        for bad in ["", "0190A3B4C5D6E7F8091A2B3C4D5E6F70", "nope"] {
            let refused = PaymentId::deserialize(wire(bad)).unwrap_err();
            assert_eq!(refused.to_string(), InvalidId.to_string(), "{bad:?}");
            assert!(IdempotencyKey::deserialize(wire(bad)).is_err(), "{bad:?}");
        }
    }

    fn serde_json_like(id: &IdempotencyKey) -> String {
        String::from(id.clone())
    }
}
