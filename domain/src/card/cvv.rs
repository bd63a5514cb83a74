//! The card security code (CVV2 / CVC2).
//!
//! It is sensitive authentication data: it may be sent to the processor once
//! and never stored or logged, so [`Cvv`] hides it in `Debug` and has no
//! `Display` or `Serialize`.

use std::fmt;

use super::brand::CardBrand;

/// Code length when the brand is not known yet; every accepted brand uses it.
const DEFAULT_CVV_LEN: usize = 3;

/// Why a security code was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CvvError {
    /// Nothing was entered.
    Empty,
    /// Something other than ASCII digits was entered.
    NotDigits,
    /// Not as many digits as the brand uses.
    WrongLength,
}

impl CvvError {
    /// Every error, for checks that each has a message.
    pub const ALL: [CvvError; 3] = [CvvError::Empty, CvvError::NotDigits, CvvError::WrongLength];

    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            CvvError::Empty => "cvv_empty",
            CvvError::NotDigits => "cvv_not_digits",
            CvvError::WrongLength => "cvv_wrong_length",
        }
    }
}

impl fmt::Display for CvvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CvvError::Empty => "security code is empty",
            CvvError::NotDigits => "security code may contain only digits",
            CvvError::WrongLength => "security code has the wrong number of digits",
        })
    }
}

impl std::error::Error for CvvError {}

/// A security code of the right length for its brand.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvv {
    digits: String,
}

impl Cvv {
    /// Parses the code; it must have exactly `brand.cvv_len()` digits, or 3
    /// when the brand is not known. Surrounding whitespace is ignored.
    ///
    /// # Errors
    ///
    /// [`CvvError`] says which check failed, never echoing the input.
    pub fn parse(input: &str, brand: Option<CardBrand>) -> Result<Cvv, CvvError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(CvvError::Empty);
        }
        if !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CvvError::NotDigits);
        }
        let want = brand.map_or(DEFAULT_CVV_LEN, CardBrand::cvv_len);
        if input.len() != want {
            return Err(CvvError::WrongLength);
        }
        Ok(Cvv {
            digits: input.to_owned(),
        })
    }

    /// The code itself, solely for sending to the card processor. Never log,
    /// store or display the result.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.digits
    }
}

/// The code leaves memory with its value (see [`crate::CardNumber`]'s `Drop`).
impl Drop for Cvv {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.digits);
    }
}

impl fmt::Debug for Cvv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvv(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        let visa = Some(CardBrand::Visa);
        let cases: &[(&str, Option<CardBrand>, Result<&str, CvvError>)] = &[
            ("123", visa, Ok("123")),
            (" 007 ", visa, Ok("007")),
            ("123", None, Ok("123")),
            ("123", Some(CardBrand::Elcart), Ok("123")),
            ("", visa, Err(CvvError::Empty)),
            ("  ", None, Err(CvvError::Empty)),
            ("12", visa, Err(CvvError::WrongLength)),
            ("1234", visa, Err(CvvError::WrongLength)),
            ("1234", None, Err(CvvError::WrongLength)),
            ("12a", visa, Err(CvvError::NotDigits)),
            ("1 23", visa, Err(CvvError::NotDigits)),
            ("１２３", visa, Err(CvvError::NotDigits)),
        ];
        for (input, brand, want) in cases {
            let got = Cvv::parse(input, *brand);
            assert_eq!(
                got.as_ref().map(Cvv::expose).map_err(|e| *e),
                *want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn debug_hides_code() {
        let cvv = Cvv::parse("987", None);
        assert_eq!(format!("{cvv:?}"), "Ok(Cvv(***))");
    }

    #[test]
    fn keys() {
        assert_eq!(CvvError::Empty.key(), "cvv_empty");
        assert_eq!(CvvError::NotDigits.key(), "cvv_not_digits");
        assert_eq!(CvvError::WrongLength.key(), "cvv_wrong_length");
    }
}
