//! Card expiry dates.
//!
//! The current month is always passed in by the caller: this crate also runs
//! in the browser (wasm32) and must never read a clock itself, and passing it
//! in keeps every boundary testable.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A calendar month, e.g. "today" as supplied by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct YearMonth {
    /// Four-digit year.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
}

impl YearMonth {
    /// Months since year 0, so month differences are a subtraction.
    fn index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month)
    }
}

/// How far ahead an expiry may lie. Cards are issued for a few years; twenty
/// leaves ample room while still catching a mistyped year such as `2205`.
const MAX_MONTHS_AHEAD: i64 = 20 * 12;

/// Why an expiry date was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpiryError {
    /// Nothing was entered.
    Empty,
    /// Not in a recognised `MM/YY` shape.
    Malformed,
    /// The month is not 01–12.
    InvalidMonth,
    /// The card expired before the current month.
    Expired,
    /// More than twenty years ahead, almost certainly a typo.
    TooFarAhead,
}

impl ExpiryError {
    /// Every error, for checks that each has a message.
    pub const ALL: [ExpiryError; 5] = [
        ExpiryError::Empty,
        ExpiryError::Malformed,
        ExpiryError::InvalidMonth,
        ExpiryError::Expired,
        ExpiryError::TooFarAhead,
    ];

    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            ExpiryError::Empty => "expiry_empty",
            ExpiryError::Malformed => "expiry_malformed",
            ExpiryError::InvalidMonth => "expiry_invalid_month",
            ExpiryError::Expired => "expiry_expired",
            ExpiryError::TooFarAhead => "expiry_too_far",
        }
    }
}

impl fmt::Display for ExpiryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExpiryError::Empty => "expiry date is empty",
            ExpiryError::Malformed => "expiry date must look like MM/YY",
            ExpiryError::InvalidMonth => "expiry month is not a valid month",
            ExpiryError::Expired => "card has expired",
            ExpiryError::TooFarAhead => "expiry date is too far in the future",
        })
    }
}

impl std::error::Error for ExpiryError {}

/// A card expiry date that was not in the past when it was parsed.
///
/// A card is valid up to and including the last day of its expiry month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Expiry {
    // Year first so the derived ordering is chronological.
    year: u16,
    month: u8,
}

impl Expiry {
    /// Parses `MM/YY`, `MM/YYYY`, `MM / YY`, `MMYY` or `MMYYYY`.
    ///
    /// With a slash the month may also be a single digit (`1/27`).
    ///
    /// # Errors
    ///
    /// [`ExpiryError`] says which check failed, never echoing the input.
    pub fn parse(input: &str, today: YearMonth) -> Result<Expiry, ExpiryError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ExpiryError::Empty);
        }
        if let Some((month, year)) = input.split_once('/') {
            let (month, year) = (month.trim(), year.trim());
            if month.is_empty() || year.is_empty() {
                return Err(ExpiryError::Malformed);
            }
            return Expiry::from_parts(month, year, today);
        }
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !matches!(compact.len(), 4 | 6) || !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ExpiryError::Malformed);
        }
        // All ASCII digits, so byte 2 is a char boundary.
        match (compact.get(..2), compact.get(2..)) {
            (Some(month), Some(year)) => Expiry::from_parts(month, year, today),
            _ => Err(ExpiryError::Malformed),
        }
    }

    /// Builds an expiry from separate month and year fields.
    ///
    /// The month is 1 or 2 digits; the year is 2 digits (meaning `20YY`) or 4
    /// digits. Surrounding whitespace is ignored. A blank field is
    /// [`ExpiryError::Empty`].
    ///
    /// # Errors
    ///
    /// [`ExpiryError`] says which check failed, never echoing the input.
    pub fn from_parts(month: &str, year: &str, today: YearMonth) -> Result<Expiry, ExpiryError> {
        let (month, year) = (month.trim(), year.trim());
        // Two separate form fields: a blank one means "fill this in", not
        // "wrong shape".
        if month.is_empty() || year.is_empty() {
            return Err(ExpiryError::Empty);
        }
        let Some(month) = small_number(month, &[1, 2]) else {
            return Err(ExpiryError::Malformed);
        };
        let year = match (year.len(), small_number(year, &[2, 4])) {
            (2, Some(y)) => 2000 + y,
            (_, Some(y)) => y,
            (_, None) => return Err(ExpiryError::Malformed),
        };
        let Ok(month @ 1..=12) = u8::try_from(month) else {
            return Err(ExpiryError::InvalidMonth);
        };
        let expiry = YearMonth { year, month };
        let ahead = expiry.index() - today.index();
        if ahead < 0 {
            return Err(ExpiryError::Expired);
        }
        if ahead > MAX_MONTHS_AHEAD {
            return Err(ExpiryError::TooFarAhead);
        }
        Ok(Expiry { year, month })
    }

    /// Month, 1–12.
    #[must_use]
    pub fn month(&self) -> u8 {
        self.month
    }

    /// Four-digit year.
    #[must_use]
    pub fn year(&self) -> u16 {
        self.year
    }

    /// As printed on the card and expected by processors, e.g. `03/27`.
    #[must_use]
    pub fn as_mm_yy(&self) -> String {
        format!("{:02}/{:02}", self.month, self.year % 100)
    }
}

/// An all-ASCII-digit string whose length is one of `lengths`, as a number.
fn small_number(s: &str, lengths: &[usize]) -> Option<u16> {
    if !lengths.contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: YearMonth = YearMonth {
        year: 2025,
        month: 6,
    };

    /// (month, year) of a parse result.
    type Parsed = Result<(u8, u16), ExpiryError>;

    fn ym(e: Result<Expiry, ExpiryError>) -> Parsed {
        e.map(|e| (e.month(), e.year()))
    }

    #[test]
    fn accepted_shapes() {
        let cases: &[(&str, (u8, u16))] = &[
            ("12/27", (12, 2027)),
            ("12/2027", (12, 2027)),
            ("12 / 27", (12, 2027)),
            (" 12 /2027 ", (12, 2027)),
            ("1227", (12, 2027)),
            ("122027", (12, 2027)),
            ("1/27", (1, 2027)),
            ("01/27", (1, 2027)),
        ];
        for (input, want) in cases {
            assert_eq!(ym(Expiry::parse(input, TODAY)), Ok(*want), "{input:?}");
        }
    }

    #[test]
    fn boundaries() {
        let cases: &[(&str, Parsed)] = &[
            ("06/25", Ok((6, 2025))),
            ("05/25", Err(ExpiryError::Expired)),
            ("12/24", Err(ExpiryError::Expired)),
            ("07/25", Ok((7, 2025))),
            ("06/2045", Ok((6, 2045))),
            ("06/45", Ok((6, 2045))),
            ("07/2045", Err(ExpiryError::TooFarAhead)),
            ("07/45", Err(ExpiryError::TooFarAhead)),
            ("01/2099", Err(ExpiryError::TooFarAhead)),
            ("00/27", Err(ExpiryError::InvalidMonth)),
            ("13/27", Err(ExpiryError::InvalidMonth)),
            ("99/27", Err(ExpiryError::InvalidMonth)),
            ("0027", Err(ExpiryError::InvalidMonth)),
        ];
        for (input, want) in cases {
            assert_eq!(ym(Expiry::parse(input, TODAY)), *want, "{input:?}");
        }
    }

    #[test]
    fn year_boundary_in_december() {
        let today = YearMonth {
            year: 2025,
            month: 12,
        };
        assert_eq!(ym(Expiry::parse("12/25", today)), Ok((12, 2025)));
        assert_eq!(ym(Expiry::parse("11/25", today)), Err(ExpiryError::Expired));
        assert_eq!(ym(Expiry::parse("01/26", today)), Ok((1, 2026)));
        assert_eq!(ym(Expiry::parse("12/45", today)), Ok((12, 2045)));
        assert_eq!(
            ym(Expiry::parse("01/46", today)),
            Err(ExpiryError::TooFarAhead)
        );
    }

    #[test]
    fn malformed() {
        for input in [
            "12-27", "12/7", "12/027", "123/27", "12/", "/27", "12/27/1", "1227x", "127", "12270",
            "12/2７", "ab/cd", "12 / 2 7",
        ] {
            assert_eq!(
                ym(Expiry::parse(input, TODAY)),
                Err(ExpiryError::Malformed),
                "{input:?}"
            );
        }
        for input in ["", "   "] {
            assert_eq!(ym(Expiry::parse(input, TODAY)), Err(ExpiryError::Empty));
        }
    }

    #[test]
    fn from_parts() {
        assert_eq!(ym(Expiry::from_parts("3", "2030", TODAY)), Ok((3, 2030)));
        assert_eq!(ym(Expiry::from_parts("03", "30", TODAY)), Ok((3, 2030)));
        assert_eq!(
            ym(Expiry::from_parts("", "", TODAY)),
            Err(ExpiryError::Empty)
        );
        assert_eq!(
            ym(Expiry::from_parts("03", "", TODAY)),
            Err(ExpiryError::Empty)
        );
        assert_eq!(
            ym(Expiry::from_parts("03", "203", TODAY)),
            Err(ExpiryError::Malformed)
        );
        assert_eq!(
            ym(Expiry::from_parts("+3", "30", TODAY)),
            Err(ExpiryError::Malformed)
        );
        assert_eq!(
            ym(Expiry::from_parts("13", "30", TODAY)),
            Err(ExpiryError::InvalidMonth)
        );
    }

    #[test]
    fn mm_yy() {
        let e = Expiry::parse("3/2030", TODAY).map(|e| e.as_mm_yy());
        assert_eq!(e, Ok("03/30".to_owned()));
    }

    #[test]
    fn keys() {
        let cases = [
            (ExpiryError::Empty, "expiry_empty"),
            (ExpiryError::Malformed, "expiry_malformed"),
            (ExpiryError::InvalidMonth, "expiry_invalid_month"),
            (ExpiryError::Expired, "expiry_expired"),
            (ExpiryError::TooFarAhead, "expiry_too_far"),
        ];
        for (err, key) in cases {
            assert_eq!(err.key(), key);
        }
    }
}
