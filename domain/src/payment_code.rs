//! The payment code printed on a government service request.
//!
//! The citizen copies it from a receipt or an SMS, so spaces and hyphens are
//! tolerated. Unlike card data it is not secret: it only identifies what is
//! being paid for, so it may be displayed and logged.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Fewest digits a payment code has.
const MIN_DIGITS: usize = 10;
/// Most digits a payment code has.
const MAX_DIGITS: usize = 20;

/// The government service a payment is for.
///
/// Serialised with the same names as [`ServiceKind::as_str`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// Passport issue or replacement.
    Passport,
    /// Driving licence.
    DrivingLicence,
    /// Meken card (identity card).
    MekenCard,
}

impl ServiceKind {
    /// Every kind, in display order.
    pub const ALL: [ServiceKind; 3] = [
        ServiceKind::Passport,
        ServiceKind::DrivingLicence,
        ServiceKind::MekenCard,
    ];

    /// Stable machine name, used in storage and URLs.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceKind::Passport => "passport",
            ServiceKind::DrivingLicence => "driving_licence",
            ServiceKind::MekenCard => "meken_card",
        }
    }

    /// The translation key of the service's name.
    #[must_use]
    pub fn message_key(self) -> &'static str {
        match self {
            ServiceKind::Passport => "service_passport",
            ServiceKind::DrivingLicence => "service_driving_licence",
            ServiceKind::MekenCard => "service_meken_card",
        }
    }

    /// Inverse of [`ServiceKind::as_str`].
    #[must_use]
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Which code prefix belongs to which service. Kept as data so a new service
/// is one line here.
pub const SERVICE_PREFIXES: &[(&str, ServiceKind)] = &[
    ("11", ServiceKind::Passport),
    ("16", ServiceKind::DrivingLicence),
    ("13", ServiceKind::MekenCard),
];

/// Why a payment code was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentCodeError {
    /// Nothing but separators was entered.
    Empty,
    /// Something other than digits, spaces and hyphens was entered.
    InvalidCharacters,
    /// Not between 10 and 20 digits.
    WrongLength,
}

impl PaymentCodeError {
    /// Every error, for checks that each has a message.
    pub const ALL: [PaymentCodeError; 3] = [
        PaymentCodeError::Empty,
        PaymentCodeError::InvalidCharacters,
        PaymentCodeError::WrongLength,
    ];

    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            PaymentCodeError::Empty => "code_empty",
            PaymentCodeError::InvalidCharacters => "code_invalid_characters",
            PaymentCodeError::WrongLength => "code_wrong_length",
        }
    }
}

impl fmt::Display for PaymentCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PaymentCodeError::Empty => "payment code is empty",
            PaymentCodeError::InvalidCharacters => "payment code may contain only digits",
            PaymentCodeError::WrongLength => "payment code has the wrong number of digits",
        })
    }
}

impl std::error::Error for PaymentCodeError {}

/// A payment code: 10 to 20 ASCII digits, separators removed.
///
/// Serialised as a plain string; deserialising parses it again.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PaymentCode(String);

impl PaymentCode {
    /// Parses a code, stripping spaces (any whitespace) and hyphens.
    ///
    /// # Errors
    ///
    /// [`PaymentCodeError`] says which check failed.
    pub fn parse(input: &str) -> Result<PaymentCode, PaymentCodeError> {
        let mut digits = String::new();
        let mut invalid = false;
        for c in input.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !(c == '-' || c.is_whitespace()) {
                invalid = true;
            }
        }
        if invalid {
            return Err(PaymentCodeError::InvalidCharacters);
        }
        if digits.is_empty() {
            return Err(PaymentCodeError::Empty);
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
            return Err(PaymentCodeError::WrongLength);
        }
        Ok(PaymentCode(digits))
    }

    /// The digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The service the code's prefix stands for, if it is a known one.
    #[must_use]
    pub fn service_kind(&self) -> Option<ServiceKind> {
        SERVICE_PREFIXES
            .iter()
            .find(|(prefix, _)| self.0.starts_with(prefix))
            .map(|&(_, kind)| kind)
    }
}

impl fmt::Display for PaymentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for PaymentCode {
    type Err = PaymentCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PaymentCode::parse(s)
    }
}

impl TryFrom<&str> for PaymentCode {
    type Error = PaymentCodeError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        PaymentCode::parse(s)
    }
}

impl TryFrom<String> for PaymentCode {
    type Error = PaymentCodeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        PaymentCode::parse(&s)
    }
}

impl From<PaymentCode> for String {
    fn from(code: PaymentCode) -> Self {
        code.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let cases: &[(&str, Result<&str, PaymentCodeError>)] = &[
            ("1100000001", Ok("1100000001")),
            ("11 0000 0001", Ok("1100000001")),
            ("11-0000-0001", Ok("1100000001")),
            (" 16000000000000000009 ", Ok("16000000000000000009")),
            ("", Err(PaymentCodeError::Empty)),
            (" - ", Err(PaymentCodeError::Empty)),
            ("110000000", Err(PaymentCodeError::WrongLength)),
            ("110000000000000000001", Err(PaymentCodeError::WrongLength)),
            ("11000000O1", Err(PaymentCodeError::InvalidCharacters)),
            ("11/0000/0001", Err(PaymentCodeError::InvalidCharacters)),
        ];
        for (input, want) in cases {
            let got = PaymentCode::parse(input);
            assert_eq!(
                got.as_ref().map(PaymentCode::as_str).map_err(|e| *e),
                *want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn prefixes() {
        let cases: &[(&str, Option<ServiceKind>)] = &[
            ("1123456789", Some(ServiceKind::Passport)),
            ("1623456789", Some(ServiceKind::DrivingLicence)),
            ("1323456789", Some(ServiceKind::MekenCard)),
            ("1223456789", None),
            ("2123456789", None),
        ];
        for (input, want) in cases {
            let got = PaymentCode::parse(input).map(|c| c.service_kind());
            assert_eq!(got, Ok(*want), "{input}");
        }
    }

    #[test]
    fn service_kind_names() {
        for k in ServiceKind::ALL {
            assert_eq!(ServiceKind::from_str_opt(k.as_str()), Some(k));
        }
        assert_eq!(ServiceKind::Passport.as_str(), "passport");
        assert_eq!(ServiceKind::DrivingLicence.as_str(), "driving_licence");
        assert_eq!(ServiceKind::MekenCard.as_str(), "meken_card");
        assert_eq!(ServiceKind::from_str_opt("Passport"), None);
    }

    #[test]
    fn display_and_conversions() {
        let code: Result<PaymentCode, _> = "13-1234-5678".parse();
        assert_eq!(
            code.as_ref().map(ToString::to_string),
            Ok("1312345678".to_owned())
        );
        assert_eq!(code, PaymentCode::try_from("1312345678"));
        assert_eq!(code, PaymentCode::try_from("1312345678".to_owned()));
        assert_eq!(code.map(String::from), Ok("1312345678".to_owned()));
    }

    #[test]
    fn deserialising_parses_again() {
        use serde::de::IntoDeserializer;
        use serde::de::value::Error;

        let code = |s: &str| {
            let de = IntoDeserializer::<Error>::into_deserializer(s.to_owned());
            PaymentCode::deserialize(de)
                .map(String::from)
                .map_err(|_| ())
        };
        assert_eq!(code("11-2233-4455"), Ok("1122334455".to_owned()));
        assert_eq!(code("11"), Err(()));
        let kind = |s: &str| {
            ServiceKind::deserialize(IntoDeserializer::<Error>::into_deserializer(s)).ok()
        };
        assert_eq!(kind("meken_card"), Some(ServiceKind::MekenCard));
        assert_eq!(kind("MekenCard"), None);
    }

    #[test]
    fn keys() {
        assert_eq!(PaymentCodeError::Empty.key(), "code_empty");
        assert_eq!(
            PaymentCodeError::InvalidCharacters.key(),
            "code_invalid_characters"
        );
        assert_eq!(PaymentCodeError::WrongLength.key(), "code_wrong_length");
    }
}
