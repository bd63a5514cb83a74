//! The payment code printed on a government service request.
//!
//! The citizen copies it from a receipt or an SMS, so spaces and hyphens are
//! tolerated. Unlike card data it is not secret: it only identifies what is
//! being paid for, so it may be displayed and logged.
//!
//! Codes issued through the agency API ([`PaymentCode::issue`]) have
//! [`ISSUED_DIGITS`] digits: the service's prefix, random digits, and a
//! check digit (Damm's algorithm, which catches every single mistyped digit
//! and every swap of two neighbouring digits), so a typo is caught before
//! any lookup and guessing a code is hopeless. Codes of other lengths (the
//! demonstration's, those issued before) carry no check digit and are
//! parsed as they always were.

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

    /// The prefix of its codes.
    #[must_use]
    pub fn prefix(self) -> &'static str {
        SERVICE_PREFIXES
            .iter()
            .find(|&&(_, kind)| kind == self)
            .map_or("", |&(prefix, _)| prefix)
    }
}

/// Which code prefix belongs to which service. Kept as data so a new service
/// is one line here.
pub const SERVICE_PREFIXES: &[(&str, ServiceKind)] = &[
    ("11", ServiceKind::Passport),
    ("16", ServiceKind::DrivingLicence),
    ("13", ServiceKind::MekenCard),
];

/// Digits of a code issued through the agency API: prefix (2), random (13),
/// check digit (1).
pub const ISSUED_DIGITS: usize = 16;
/// Random digits of an issued code.
pub const ISSUED_RANDOM_DIGITS: usize = ISSUED_DIGITS - 3;

/// Damm's quasigroup of order 10 (the table of his 2004 thesis).
const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Damm's interim digit of `digits` (ASCII digits): 0 when the last digit
/// is the check digit of those before it.
fn damm(digits: &str) -> u8 {
    digits.bytes().fold(0, |interim, d| {
        DAMM[usize::from(interim)][usize::from(d - b'0')]
    })
}

/// Why a payment code was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PaymentCodeError {
    /// Nothing but separators was entered.
    Empty,
    /// Something other than digits, spaces and hyphens was entered.
    InvalidCharacters,
    /// Not between 10 and 20 digits.
    WrongLength,
    /// An issued code whose check digit does not match: a digit was
    /// mistyped or two were swapped.
    CheckDigit,
}

impl PaymentCodeError {
    /// Every error, for checks that each has a message.
    pub const ALL: [PaymentCodeError; 4] = [
        PaymentCodeError::Empty,
        PaymentCodeError::InvalidCharacters,
        PaymentCodeError::WrongLength,
        PaymentCodeError::CheckDigit,
    ];

    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            PaymentCodeError::Empty => "code_empty",
            PaymentCodeError::InvalidCharacters => "code_invalid_characters",
            PaymentCodeError::WrongLength => "code_wrong_length",
            PaymentCodeError::CheckDigit => "code_mistyped",
        }
    }
}

impl fmt::Display for PaymentCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PaymentCodeError::Empty => "payment code is empty",
            PaymentCodeError::InvalidCharacters => "payment code may contain only digits",
            PaymentCodeError::WrongLength => "payment code has the wrong number of digits",
            PaymentCodeError::CheckDigit => "payment code has a mistyped digit",
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
        let code = PaymentCode(digits);
        if code.0.len() == ISSUED_DIGITS && code.service_kind().is_some() && damm(&code.0) != 0 {
            return Err(PaymentCodeError::CheckDigit);
        }
        Ok(code)
    }

    /// A new code for `service` from [`ISSUED_RANDOM_DIGITS`] random
    /// digits (each 0 to 9; others are taken modulo 10): the service's
    /// prefix, the digits, and their check digit.
    #[must_use]
    pub fn issue(service: ServiceKind, random: [u8; ISSUED_RANDOM_DIGITS]) -> PaymentCode {
        let mut digits = String::with_capacity(ISSUED_DIGITS);
        digits.push_str(service.prefix());
        digits.extend(random.iter().map(|d| char::from(b'0' + d % 10)));
        let check = damm(&digits);
        digits.push(char::from(b'0' + check));
        PaymentCode(digits)
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
    fn issued_codes_carry_a_check_digit() {
        let code = PaymentCode::issue(ServiceKind::DrivingLicence, [7; ISSUED_RANDOM_DIGITS]);
        assert_eq!(code.as_str().len(), ISSUED_DIGITS);
        assert!(code.as_str().starts_with("16"));
        assert_eq!(code.service_kind(), Some(ServiceKind::DrivingLicence));
        assert_eq!(PaymentCode::parse(code.as_str()), Ok(code.clone()));
        // Every single mistyped digit, and every swap of two different
        // neighbouring digits, is caught.
        let digits: Vec<u8> = code.as_str().bytes().collect();
        for i in 0..digits.len() {
            for d in b'0'..=b'9' {
                if d == digits[i] {
                    continue;
                }
                let mut typo = digits.clone();
                typo[i] = d;
                let typo = String::from_utf8(typo).unwrap();
                let got = PaymentCode::parse(&typo);
                // A typo in the prefix may make a code of no known service,
                // which carries no check digit.
                if PaymentCode(typo.clone()).service_kind().is_some() {
                    assert_eq!(got, Err(PaymentCodeError::CheckDigit), "{typo}");
                }
            }
        }
        let random = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3];
        let code = PaymentCode::issue(ServiceKind::Passport, random);
        let digits: Vec<u8> = code.as_str().bytes().collect();
        for i in 2..digits.len() - 1 {
            let mut swapped = digits.clone();
            swapped.swap(i, i + 1);
            if swapped != digits {
                let swapped = String::from_utf8(swapped).unwrap();
                assert_eq!(
                    PaymentCode::parse(&swapped),
                    Err(PaymentCodeError::CheckDigit)
                );
            }
        }
        // Demonstration codes and codes of other lengths keep working.
        assert!(PaymentCode::parse("11202600000001").is_ok());
        assert!(PaymentCode::parse("1100000000000000000").is_ok());
        assert_eq!(ServiceKind::MekenCard.prefix(), "13");
    }

    #[test]
    fn keys() {
        assert_eq!(PaymentCodeError::Empty.key(), "code_empty");
        assert_eq!(
            PaymentCodeError::InvalidCharacters.key(),
            "code_invalid_characters"
        );
        assert_eq!(PaymentCodeError::WrongLength.key(), "code_wrong_length");
        assert_eq!(PaymentCodeError::CheckDigit.key(), "code_mistyped");
    }
}
