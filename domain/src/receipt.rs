//! Receipt numbers and the verification codes printed on receipts.
//!
//! A receipt number (`TLM-00000123`) is the payment's sequence number: easy
//! to read out, and so easy to guess. A verification code is the number
//! followed by a tag the server computes from it with a secret key, so only
//! a receipt the site printed has one that checks; this module only reads
//! and writes the text of both, the server signs and checks. People type
//! these codes from paper: case, spaces, hyphens and the letters O, I and L
//! (Crockford's base 32 reads them as 0, 1, 1) are forgiven.

use std::fmt;
use std::str::FromStr;

/// The printed prefix of receipt numbers.
pub const RECEIPT_PREFIX: &str = "TLM";
/// How many base-32 characters the tag has (50 bits: guessing one takes
/// about 10^15 tries against a throttled page).
pub const TAG_CHARS: usize = 10;
/// The digits a receipt number is printed with.
const NUMBER_DIGITS: usize = 8;
/// At most this many digits are read as a number (far beyond any site's count).
const MAX_NUMBER_DIGITS: usize = 15;
/// Crockford's base 32 alphabet: no I, L, O or U.
pub const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A receipt's number, as printed (`TLM-00000123`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptNumber(i64);

/// What was typed is not a receipt number or verification code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptTextError {
    Empty,
    Malformed,
}

impl ReceiptTextError {
    /// The translation key of the message.
    #[must_use]
    pub fn key(self) -> &'static str {
        match self {
            ReceiptTextError::Empty => "receipt_number_missing",
            ReceiptTextError::Malformed => "receipt_number_malformed",
        }
    }
}

impl fmt::Display for ReceiptTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl std::error::Error for ReceiptTextError {}

/// The letters and digits of what was typed, upper-cased, without the
/// printed prefix: `tlm 0000-0123` is `00000123`.
fn compact(text: &str) -> String {
    let mut out: String = text
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if out.starts_with(RECEIPT_PREFIX) {
        out.drain(..RECEIPT_PREFIX.len());
    }
    out
}

fn number_of(digits: &str) -> Result<ReceiptNumber, ReceiptTextError> {
    if digits.is_empty()
        || digits.len() > MAX_NUMBER_DIGITS
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ReceiptTextError::Malformed);
    }
    match digits.parse::<i64>() {
        Ok(n) if n > 0 => Ok(ReceiptNumber(n)),
        _ => Err(ReceiptTextError::Malformed),
    }
}

impl ReceiptNumber {
    /// The number a payment was given by the database.
    #[must_use]
    pub fn from_sequence(n: i64) -> Option<ReceiptNumber> {
        (n > 0).then_some(ReceiptNumber(n))
    }

    #[must_use]
    pub fn value(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{RECEIPT_PREFIX}-{:0width$}",
            self.0,
            width = NUMBER_DIGITS
        )
    }
}

impl FromStr for ReceiptNumber {
    type Err = ReceiptTextError;

    fn from_str(text: &str) -> Result<ReceiptNumber, ReceiptTextError> {
        let digits = compact(text);
        if digits.is_empty() {
            return Err(ReceiptTextError::Empty);
        }
        number_of(&digits)
    }
}

/// A receipt number with its tag, as printed under the QR code
/// (`00000123-7KQ4M-X9D2P`) and carried in the verification address. Its
/// tag is only well-formed here; whether it is the right one is the
/// server's to say.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerificationCode {
    number: ReceiptNumber,
    tag: String,
}

/// Crockford's reading of a typed character: the look-alikes O, I and L
/// are the digits they look like.
fn crockford(c: char) -> Option<char> {
    match c {
        'O' => Some('0'),
        'I' | 'L' => Some('1'),
        'U' => None,
        c if ALPHABET.contains(&(c as u8)) => Some(c),
        _ => None,
    }
}

impl VerificationCode {
    /// The code of `number` with `tag`, as the server computed it: `tag`
    /// is [`TAG_CHARS`] characters of [`ALPHABET`].
    #[must_use]
    pub fn new(number: ReceiptNumber, tag: String) -> Option<VerificationCode> {
        (tag.len() == TAG_CHARS && tag.bytes().all(|b| ALPHABET.contains(&b)))
            .then_some(VerificationCode { number, tag })
    }

    #[must_use]
    pub fn number(&self) -> ReceiptNumber {
        self.number
    }

    #[must_use]
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.tag.split_at(TAG_CHARS / 2);
        write!(
            f,
            "{:0width$}-{a}-{b}",
            self.number.0,
            width = NUMBER_DIGITS
        )
    }
}

impl FromStr for VerificationCode {
    type Err = ReceiptTextError;

    fn from_str(text: &str) -> Result<VerificationCode, ReceiptTextError> {
        let chars = compact(text);
        if chars.is_empty() {
            return Err(ReceiptTextError::Empty);
        }
        if chars.len() <= TAG_CHARS {
            return Err(ReceiptTextError::Malformed);
        }
        let (digits, tag) = chars.split_at(chars.len() - TAG_CHARS);
        let tag = tag
            .chars()
            .map(crockford)
            .collect::<Option<String>>()
            .ok_or(ReceiptTextError::Malformed)?;
        Ok(VerificationCode {
            number: number_of(digits)?,
            tag,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_numbers_read_as_people_type_them() {
        let n = ReceiptNumber::from_sequence(123).unwrap();
        assert_eq!(n.to_string(), "TLM-00000123");
        for typed in [
            "TLM-00000123",
            "tlm 00000123",
            "00000123",
            "123",
            " TLM-0000 0123 ",
        ] {
            assert_eq!(typed.parse::<ReceiptNumber>(), Ok(n), "{typed:?}");
        }
        assert_eq!("".parse::<ReceiptNumber>(), Err(ReceiptTextError::Empty));
        assert_eq!(
            "  - ".parse::<ReceiptNumber>(),
            Err(ReceiptTextError::Empty)
        );
        for bad in ["TLM-0", "12a", "ABC", "9999999999999999", "-"] {
            let parsed = bad.parse::<ReceiptNumber>();
            assert!(parsed.is_err(), "{bad:?} gave {parsed:?}");
        }
        assert_eq!(ReceiptNumber::from_sequence(0), None);
        let big = ReceiptNumber::from_sequence(123_456_789).unwrap();
        assert_eq!(big.to_string(), "TLM-123456789");
        assert_eq!(big.to_string().parse::<ReceiptNumber>(), Ok(big));
    }

    #[test]
    fn verification_codes_print_in_groups_and_read_back_forgivingly() {
        let n = ReceiptNumber::from_sequence(123).unwrap();
        let code = VerificationCode::new(n, "7KQ4MX9D20".into()).unwrap();
        assert_eq!(code.to_string(), "00000123-7KQ4M-X9D20");
        assert_eq!(
            code.to_string().parse::<VerificationCode>(),
            Ok(code.clone())
        );
        for typed in [
            "00000123-7kq4m-x9d2o",
            "TLM-00000123 7KQ4M X9D20",
            "123-7KQ4MX9D20",
            "0000 0123 7KQ4 MX9D 2O",
        ] {
            assert_eq!(
                typed.parse::<VerificationCode>(),
                Ok(code.clone()),
                "{typed:?}"
            );
        }
        let with_ones = "123-1111111111".parse::<VerificationCode>().unwrap();
        assert_eq!("123-IiLl111111".parse::<VerificationCode>(), Ok(with_ones));
        for bad in [
            "",
            "7KQ4MX9D20",
            "1-7KQ4MX9D2",
            "123-7KQ4MX9D2U",
            "12X-7KQ4MX9D20",
            "0-7KQ4MX9D20",
        ] {
            assert!(bad.parse::<VerificationCode>().is_err(), "{bad:?}");
        }
        assert_eq!(VerificationCode::new(n, "short".into()), None);
        assert_eq!(VerificationCode::new(n, "UUUUUUUUUU".into()), None);
    }
}
