//! The cardholder name as embossed on the card.
//!
//! Card schemes only emboss unaccented Latin letters, so a Cyrillic name is
//! refused rather than transliterated: guessing a transliteration would not
//! match what the bank has on file.

use std::fmt;
use std::str::FromStr;

/// Shortest accepted name (after trimming), e.g. a two-letter given name.
const MIN_CHARS: usize = 2;
/// Longest name an embossed card line holds.
const MAX_CHARS: usize = 26;

/// Why a cardholder name was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CardholderNameError {
    /// Nothing but whitespace was entered.
    Empty,
    /// Fewer than 2 characters.
    TooShort,
    /// More than 26 characters.
    TooLong,
    /// A character other than Latin letters, space, hyphen, apostrophe, dot.
    InvalidCharacters,
}

impl CardholderNameError {
    /// Every error, for checks that each has a message.
    pub const ALL: [CardholderNameError; 4] = [
        CardholderNameError::Empty,
        CardholderNameError::TooShort,
        CardholderNameError::TooLong,
        CardholderNameError::InvalidCharacters,
    ];

    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            CardholderNameError::Empty => "name_empty",
            CardholderNameError::TooShort => "name_too_short",
            CardholderNameError::TooLong => "name_too_long",
            CardholderNameError::InvalidCharacters => "name_invalid_characters",
        }
    }
}

impl fmt::Display for CardholderNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CardholderNameError::Empty => "cardholder name is empty",
            CardholderNameError::TooShort => "cardholder name is too short",
            CardholderNameError::TooLong => "cardholder name is too long",
            CardholderNameError::InvalidCharacters => {
                "cardholder name may contain only Latin letters, spaces, hyphens, apostrophes and dots"
            }
        })
    }
}

impl std::error::Error for CardholderNameError {}

/// A cardholder name: trimmed, inner whitespace collapsed, upper-case ASCII.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CardholderName(String);

impl CardholderName {
    /// Normalises and checks the name.
    ///
    /// # Errors
    ///
    /// [`CardholderNameError`] says which check failed, never echoing the
    /// input.
    pub fn parse(input: &str) -> Result<CardholderName, CardholderNameError> {
        // Words joined by single spaces, built in place: the browser's copy
        // of this check is smaller without a vector and a join.
        let mut collapsed = String::with_capacity(input.len());
        for word in input.split_whitespace() {
            if !collapsed.is_empty() {
                collapsed.push(' ');
            }
            collapsed.push_str(word);
        }
        if collapsed.is_empty() {
            return Err(CardholderNameError::Empty);
        }
        if !collapsed.chars().all(is_allowed) {
            return Err(CardholderNameError::InvalidCharacters);
        }
        // All ASCII now, so bytes are characters.
        match collapsed.len() {
            n if n < MIN_CHARS => Err(CardholderNameError::TooShort),
            n if n > MAX_CHARS => Err(CardholderNameError::TooLong),
            _ => Ok(CardholderName(collapsed.to_ascii_uppercase())),
        }
    }

    /// The normalised name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_allowed(c: char) -> bool {
    c.is_ascii_alphabetic() || matches!(c, ' ' | '-' | '\'' | '.')
}

impl FromStr for CardholderName {
    type Err = CardholderNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CardholderName::parse(s)
    }
}

impl TryFrom<&str> for CardholderName {
    type Error = CardholderNameError;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        CardholderName::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<String, CardholderNameError> {
        CardholderName::parse(s).map(|n| n.as_str().to_owned())
    }

    #[test]
    fn accepted() {
        let cases: &[(&str, &str)] = &[
            ("Bakyt Asanov", "BAKYT ASANOV"),
            ("  bakyt   asanov ", "BAKYT ASANOV"),
            ("bakyt\t\nasanov", "BAKYT ASANOV"),
            ("Jo", "JO"),
            ("Mary-Jane O'Neil", "MARY-JANE O'NEIL"),
            ("J. R. R. Tolkien", "J. R. R. TOLKIEN"),
            ("ABCDEFGHIJKLM NOPQRSTUVWXY", "ABCDEFGHIJKLM NOPQRSTUVWXY"),
        ];
        for (input, want) in cases {
            assert_eq!(parse(input).as_deref(), Ok(*want), "{input:?}");
        }
    }

    #[test]
    fn refused() {
        let cases: &[(&str, CardholderNameError)] = &[
            ("", CardholderNameError::Empty),
            (" \t ", CardholderNameError::Empty),
            ("J", CardholderNameError::TooShort),
            ("  J  ", CardholderNameError::TooShort),
            ("ABCDEFGHIJKLM NOPQRSTUVWXYZ", CardholderNameError::TooLong),
            ("Бакыт Асанов", CardholderNameError::InvalidCharacters),
            ("José", CardholderNameError::InvalidCharacters),
            ("Agent 007", CardholderNameError::InvalidCharacters),
            ("a_b", CardholderNameError::InvalidCharacters),
        ];
        for (input, err) in cases {
            assert_eq!(parse(input), Err(*err), "{input:?}");
        }
    }

    #[test]
    fn twenty_six_versus_twenty_seven() {
        assert_eq!(parse(&"a".repeat(26)), Ok("A".repeat(26)));
        assert_eq!(parse(&"a".repeat(27)), Err(CardholderNameError::TooLong));
        // Collapsed whitespace does not count towards the limit.
        let padded = format!("  {}    {}  ", "a".repeat(12), "b".repeat(13));
        assert_eq!(parse(&padded).map(|s| s.len()), Ok(26));
    }

    #[test]
    fn from_str_and_keys() {
        let a: Result<CardholderName, _> = "ivan petrov".parse();
        assert_eq!(a, CardholderName::try_from("IVAN  PETROV"));
        assert_eq!(CardholderNameError::Empty.key(), "name_empty");
        assert_eq!(CardholderNameError::TooShort.key(), "name_too_short");
        assert_eq!(CardholderNameError::TooLong.key(), "name_too_long");
        assert_eq!(
            CardholderNameError::InvalidCharacters.key(),
            "name_invalid_characters"
        );
    }
}
