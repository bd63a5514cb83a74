//! The primary account number (PAN) and the helpers the card form needs while
//! the citizen types it.
//!
//! A [`CardNumber`] can only be obtained by parsing, so holding one proves the
//! number has a known brand, a valid length and a correct Luhn check digit.
//! It never prints itself in full: `Debug` masks it and there is no `Display`
//! or `Serialize`, so it cannot end up in a log line or a JSON body by
//! accident.

use std::fmt;
use std::str::FromStr;

use super::brand::{BrandTable, CardBrand, is_separator};

/// Longest PAN any scheme issues (ISO/IEC 7812).
const MAX_PAN_DIGITS: usize = 19;

/// Why a card number was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardNumberError {
    /// Nothing but separators was entered.
    Empty,
    /// Something other than digits, spaces and hyphens was entered.
    InvalidCharacters,
    /// The leading digits match no accepted brand.
    UnknownBrand,
    /// The number of digits is not one the brand issues.
    WrongLength,
    /// The Luhn check digit is wrong (usually a typo).
    Luhn,
}

impl CardNumberError {
    /// Every error, for checks that each has a message.
    pub const ALL: [CardNumberError; 5] = [
        CardNumberError::Empty,
        CardNumberError::InvalidCharacters,
        CardNumberError::UnknownBrand,
        CardNumberError::WrongLength,
        CardNumberError::Luhn,
    ];

    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            CardNumberError::Empty => "card_number_empty",
            CardNumberError::InvalidCharacters => "card_number_invalid_characters",
            CardNumberError::UnknownBrand => "card_number_unknown_brand",
            CardNumberError::WrongLength => "card_number_wrong_length",
            CardNumberError::Luhn => "card_number_luhn",
        }
    }
}

impl fmt::Display for CardNumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CardNumberError::Empty => "card number is empty",
            CardNumberError::InvalidCharacters => "card number may contain only digits",
            CardNumberError::UnknownBrand => "card brand is not accepted",
            CardNumberError::WrongLength => "card number has the wrong number of digits",
            CardNumberError::Luhn => "card number check digit is wrong",
        })
    }
}

impl std::error::Error for CardNumberError {}

/// A validated card number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CardNumber {
    digits: String,
    brand: CardBrand,
}

impl CardNumber {
    /// Parses what the citizen typed, using `table` to recognise the brand.
    ///
    /// Spaces (any whitespace) and hyphens are stripped; everything else must
    /// be an ASCII digit.
    ///
    /// # Errors
    ///
    /// [`CardNumberError`] says which check failed, never echoing the input.
    pub fn parse(input: &str, table: &BrandTable) -> Result<CardNumber, CardNumberError> {
        let mut digits = String::new();
        let mut invalid = false;
        for c in input.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !is_separator(c) {
                invalid = true;
            }
        }
        // Checked after the loop so "abc" reports invalid characters but a
        // blank field reports empty, whatever order the characters came in.
        if invalid {
            return Err(CardNumberError::InvalidCharacters);
        }
        if digits.is_empty() {
            return Err(CardNumberError::Empty);
        }
        let rule = table
            .rule_for(&digits)
            .ok_or(CardNumberError::UnknownBrand)?;
        if !rule.lengths.iter().any(|&l| usize::from(l) == digits.len()) {
            return Err(CardNumberError::WrongLength);
        }
        if !luhn_valid(&digits) {
            return Err(CardNumberError::Luhn);
        }
        Ok(CardNumber {
            digits,
            brand: rule.brand,
        })
    }

    /// The brand recognised from the prefix.
    #[must_use]
    pub fn brand(&self) -> CardBrand {
        self.brand
    }

    /// The issuer identification part (first six digits), which may be shown
    /// and stored.
    #[must_use]
    pub fn first_six(&self) -> &str {
        self.digits.get(..6).unwrap_or("")
    }

    /// The last four digits, which may be shown and stored.
    #[must_use]
    pub fn last_four(&self) -> &str {
        let start = self.digits.len().saturating_sub(4);
        self.digits.get(start..).unwrap_or("")
    }

    /// First six, asterisks, last four, e.g. `411111******1111`: the most of
    /// a card number that may be displayed or logged.
    #[must_use]
    pub fn masked(&self) -> String {
        let hidden = self.digits.len().saturating_sub(10);
        let mut out = String::with_capacity(self.digits.len());
        out.push_str(self.first_six());
        out.extend(std::iter::repeat_n('*', hidden));
        out.push_str(self.last_four());
        out
    }

    /// The full number.
    ///
    /// This is the only way to get it, and it exists solely to send the
    /// number to the card processor. Never log, store or display the result.
    #[must_use]
    pub fn expose_digits(&self) -> &str {
        &self.digits
    }
}

/// The number leaves memory with its value: what a later allocation or a
/// core dump could show is zeros.
impl Drop for CardNumber {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.digits);
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardNumber")
            .field("brand", &self.brand)
            .field("masked", &self.masked())
            // The full digits are left out on purpose.
            .finish_non_exhaustive()
    }
}

impl FromStr for CardNumber {
    type Err = CardNumberError;

    /// Parses with [`BrandTable::default`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CardNumber::parse(s, &BrandTable::default())
    }
}

impl TryFrom<&str> for CardNumber {
    type Error = CardNumberError;

    /// Parses with [`BrandTable::default`].
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        CardNumber::parse(s, &BrandTable::default())
    }
}

/// Whether `digits` passes the Luhn (mod 10) check.
///
/// Anything other than a non-empty string of ASCII digits is `false`.
#[must_use]
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() {
        return false;
    }
    let mut sum: u32 = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        // Modulo as we go so absurdly long input cannot overflow.
        sum = (sum + d) % 10;
    }
    sum == 0
}

/// Keeps only the ASCII digits of `input`.
#[must_use]
pub fn digits_only(input: &str) -> String {
    input.chars().filter(char::is_ascii_digit).collect()
}

/// Regroups what the citizen is typing as `4111 1111 1111 1111`.
///
/// Non-digits are dropped and at most 19 digits kept (the longest PAN), so the
/// input box can be rewritten on every keystroke.
#[must_use]
pub fn group_in_fours(input: &str) -> String {
    let mut out = String::new();
    for (i, c) in input
        .chars()
        .filter(char::is_ascii_digit)
        .take(MAX_PAN_DIGITS)
        .enumerate()
    {
        if i > 0 && i.is_multiple_of(4) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests;
