//! Amounts in Kyrgyz som.
//!
//! Money is held as an integer count of tyiyn (1 som = 100 tyiyn) and parsed
//! digit by digit, never through floating point, so `0.1 + 0.2` problems can
//! not reach a payment.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// ISO 4217 alphabetic code of the Kyrgyz som.
pub const CURRENCY_CODE: &str = "KGS";
/// ISO 4217 numeric code of the Kyrgyz som.
pub const CURRENCY_NUMERIC: u16 = 417;

/// Tyiyn per som (KGS has two decimals).
const MINOR_PER_MAJOR: i64 = 100;

/// Why an amount was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MoneyError {
    /// Below zero; payments and fees are never negative.
    Negative,
    /// Not a number in a recognised format.
    Malformed,
    /// More than two digits after the decimal separator.
    TooManyDecimals,
    /// Too large to represent.
    Overflow,
}

impl MoneyError {
    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            MoneyError::Negative => "money_negative",
            MoneyError::Malformed => "money_malformed",
            MoneyError::TooManyDecimals => "money_too_many_decimals",
            MoneyError::Overflow => "money_overflow",
        }
    }
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoneyError::Negative => "amount may not be negative",
            MoneyError::Malformed => "amount is not a valid number",
            MoneyError::TooManyDecimals => "amount has more than two decimals",
            MoneyError::Overflow => "amount is too large",
        })
    }
}

impl std::error::Error for MoneyError {}

/// A non-negative amount of KGS, in tyiyn.
///
/// Serialised as `{"tyiyn": N}`; deserialising refuses a negative `N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawMoney")]
pub struct Money {
    tyiyn: i64,
}

/// Same shape as [`Money`], used so deserialisation goes through
/// [`Money::from_tyiyn`] instead of trusting the wire.
#[derive(Deserialize)]
struct RawMoney {
    tyiyn: i64,
}

impl TryFrom<RawMoney> for Money {
    type Error = MoneyError;

    fn try_from(raw: RawMoney) -> Result<Self, Self::Error> {
        Money::from_tyiyn(raw.tyiyn)
    }
}

impl Money {
    /// Nothing.
    pub const ZERO: Money = Money { tyiyn: 0 };
    /// Same as the module-level [`CURRENCY_CODE`], reachable from the type.
    pub const CURRENCY_CODE: &'static str = CURRENCY_CODE;
    /// Same as the module-level [`CURRENCY_NUMERIC`], reachable from the type.
    pub const CURRENCY_NUMERIC: u16 = CURRENCY_NUMERIC;

    /// An amount from a count of tyiyn.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Negative`] when `t < 0`.
    pub fn from_tyiyn(t: i64) -> Result<Money, MoneyError> {
        if t < 0 {
            Err(MoneyError::Negative)
        } else {
            Ok(Money { tyiyn: t })
        }
    }

    /// The amount in tyiyn.
    #[must_use]
    pub fn tyiyn(&self) -> i64 {
        self.tyiyn
    }

    /// Whole som.
    #[must_use]
    pub fn som(&self) -> i64 {
        self.tyiyn / MINOR_PER_MAJOR
    }

    /// The tyiyn after the whole som, 0–99.
    #[must_use]
    pub fn tyiyn_part(&self) -> u8 {
        // Never negative, so the remainder is 0..=99 and always fits.
        u8::try_from(self.tyiyn % MINOR_PER_MAJOR).unwrap_or(0)
    }

    /// Sum, or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.tyiyn
            .checked_add(other.tyiyn)
            .map(|tyiyn| Money { tyiyn })
    }

    /// Formats with the given separators, always with two decimals:
    /// `format(" ", ",")` of 123450 tyiyn is `1 234,50`.
    #[must_use]
    pub fn format(&self, thousands_sep: &str, decimal_sep: &str) -> String {
        let som = self.som().to_string();
        let mut out = String::new();
        for (i, c) in som.chars().enumerate() {
            if i > 0 && (som.len() - i).is_multiple_of(3) {
                out.push_str(thousands_sep);
            }
            out.push(c);
        }
        out.push_str(decimal_sep);
        let part = self.tyiyn_part();
        out.push(char::from(b'0' + part / 10));
        out.push(char::from(b'0' + part % 10));
        out
    }
}

/// Thousands separators a citizen or a locale may put in an amount: space,
/// no-break space, narrow no-break space and thin space.
fn is_group_separator(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}')
}

impl FromStr for Money {
    type Err = MoneyError;

    /// Parses `1234`, `1234.5`, `1234.50`, `1 234,50`.
    ///
    /// Spaces (including no-break spaces) may group the whole som; `.` or `,`
    /// is the decimal separator, followed by one or two digits. A single `,`
    /// is always decimal, so `1,234` is refused rather than silently read as
    /// one thousand. A leading `-` on an otherwise valid amount gives
    /// [`MoneyError::Negative`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, s),
        };
        let (whole, fraction) = match s.find(['.', ',']) {
            Some(i) => (s.get(..i).unwrap_or(""), s.get(i + 1..)),
            None => (s, None),
        };

        let mut som: i64 = 0;
        let mut seen_digit = false;
        let mut prev_was_sep = false;
        for c in whole.chars() {
            if let Some(d) = c.to_digit(10) {
                som = som
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(i64::from(d)))
                    .ok_or(MoneyError::Overflow)?;
                seen_digit = true;
                prev_was_sep = false;
            } else if is_group_separator(c) && seen_digit && !prev_was_sep {
                prev_was_sep = true;
            } else {
                return Err(MoneyError::Malformed);
            }
        }
        // A separator must sit between digits, not before the decimal point.
        if !seen_digit || prev_was_sep {
            return Err(MoneyError::Malformed);
        }

        let minor = match fraction {
            None => 0,
            Some(f) => {
                if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(MoneyError::Malformed);
                }
                match f.as_bytes() {
                    [a] => i64::from(a - b'0') * 10,
                    [a, b] => i64::from(a - b'0') * 10 + i64::from(b - b'0'),
                    _ => return Err(MoneyError::TooManyDecimals),
                }
            }
        };

        let tyiyn = som
            .checked_mul(MINOR_PER_MAJOR)
            .and_then(|v| v.checked_add(minor))
            .ok_or(MoneyError::Overflow)?;
        if negative && tyiyn != 0 {
            return Err(MoneyError::Negative);
        }
        if negative {
            // "-0" is not an amount anyone means to type.
            return Err(MoneyError::Malformed);
        }
        Money::from_tyiyn(tyiyn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Result<i64, MoneyError> {
        s.parse::<Money>().map(|m| m.tyiyn())
    }

    #[test]
    fn parsing() {
        let cases: &[(&str, Result<i64, MoneyError>)] = &[
            ("0", Ok(0)),
            ("1234", Ok(123_400)),
            ("1234.5", Ok(123_450)),
            ("1234.50", Ok(123_450)),
            ("1234,50", Ok(123_450)),
            ("1 234,50", Ok(123_450)),
            ("1\u{a0}234,50", Ok(123_450)),
            ("1\u{202f}234.05", Ok(123_405)),
            ("12 345 678.90", Ok(1_234_567_890)),
            (" 7 ", Ok(700)),
            ("0.01", Ok(1)),
            ("007", Ok(700)),
            ("1234.567", Err(MoneyError::TooManyDecimals)),
            ("1,234", Err(MoneyError::TooManyDecimals)),
            ("", Err(MoneyError::Malformed)),
            ("   ", Err(MoneyError::Malformed)),
            ("abc", Err(MoneyError::Malformed)),
            ("12a", Err(MoneyError::Malformed)),
            (".5", Err(MoneyError::Malformed)),
            ("5.", Err(MoneyError::Malformed)),
            ("1.2.3", Err(MoneyError::Malformed)),
            ("1,234.50", Err(MoneyError::Malformed)),
            ("1  234", Err(MoneyError::Malformed)),
            ("1 .5", Err(MoneyError::Malformed)),
            ("+5", Err(MoneyError::Malformed)),
            ("1e3", Err(MoneyError::Malformed)),
            ("١٢", Err(MoneyError::Malformed)),
            ("-5", Err(MoneyError::Negative)),
            ("-0.01", Err(MoneyError::Negative)),
            ("-0", Err(MoneyError::Malformed)),
            ("-", Err(MoneyError::Malformed)),
            ("92233720368547759", Err(MoneyError::Overflow)),
            ("92233720368547758", Ok(9_223_372_036_854_775_800)),
            ("99999999999999999999", Err(MoneyError::Overflow)),
            ("92233720368547758.07", Ok(i64::MAX)),
        ];
        for (input, want) in cases {
            assert_eq!(t(input), *want, "{input:?}");
        }
    }

    #[test]
    fn formatting() {
        let cases: &[(i64, &str)] = &[
            (0, "0,00"),
            (5, "0,05"),
            (99, "0,99"),
            (100, "1,00"),
            (123_450, "1 234,50"),
            (12_345_000, "123 450,00"),
            (100_000_000, "1 000 000,00"),
        ];
        for (tyiyn, want) in cases {
            let m = Money::from_tyiyn(*tyiyn).unwrap_or(Money::ZERO);
            assert_eq!(m.format(" ", ","), *want);
        }
        let m = Money::from_tyiyn(123_450).unwrap_or(Money::ZERO);
        assert_eq!(m.format("", "."), "1234.50");
        assert_eq!(m.format("\u{a0}", ","), "1\u{a0}234,50");
        assert_eq!(m.som(), 1234);
        assert_eq!(m.tyiyn_part(), 50);
    }

    #[test]
    fn construction_and_sum() {
        assert_eq!(Money::from_tyiyn(-1), Err(MoneyError::Negative));
        let a = Money::from_tyiyn(150).unwrap_or(Money::ZERO);
        let b = Money::from_tyiyn(275).unwrap_or(Money::ZERO);
        assert_eq!(a.checked_add(b).map(|m| m.tyiyn()), Some(425));
        let max = Money::from_tyiyn(i64::MAX).unwrap_or(Money::ZERO);
        assert_eq!(max.checked_add(a), None);
        assert_eq!(CURRENCY_CODE, "KGS");
        assert_eq!(CURRENCY_NUMERIC, 417);
        assert_eq!(Money::CURRENCY_CODE, "KGS");
        assert_eq!(Money::CURRENCY_NUMERIC, 417);
    }

    #[test]
    fn deserialising_refuses_negative_amounts() {
        use serde::de::IntoDeserializer;
        use serde::de::value::{Error, MapDeserializer};

        let money = |t: i64| {
            let de = MapDeserializer::<_, Error>::new([("tyiyn", t)].into_iter());
            Money::deserialize(de).map_err(|_| ())
        };
        assert_eq!(money(150), Ok(Money { tyiyn: 150 }));
        assert_eq!(money(-1), Err(()));
        let not_a_map = IntoDeserializer::<Error>::into_deserializer(5_i64);
        assert!(Money::deserialize(not_a_map).is_err());
    }

    #[test]
    fn keys() {
        assert_eq!(MoneyError::Negative.key(), "money_negative");
        assert_eq!(MoneyError::Malformed.key(), "money_malformed");
        assert_eq!(MoneyError::TooManyDecimals.key(), "money_too_many_decimals");
        assert_eq!(MoneyError::Overflow.key(), "money_overflow");
    }
}
