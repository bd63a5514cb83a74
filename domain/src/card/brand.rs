//! Card brands and the table that recognises them from the leading digits.
//!
//! The table is data, not code, so that a prefix that turns out to be wrong
//! (see the Elcart note on [`BrandTable::default`]) can be fixed from
//! configuration without touching the parsing logic.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A card scheme accepted on the site.
///
/// Serialised with the same lower-case names as [`CardBrand::as_str`], so the
/// JSON form and the database form never disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CardBrand {
    /// Visa.
    #[serde(rename = "visa")]
    Visa,
    /// Mastercard (both the 51–55 and the 2221–2720 ranges).
    #[serde(rename = "mastercard")]
    Mastercard,
    /// China `UnionPay` (both the 62 and the 8100–8171 ranges).
    #[serde(rename = "unionpay")]
    UnionPay,
    /// Russia's national card scheme.
    #[serde(rename = "mir")]
    Mir,
    /// Kyrgyzstan's national card scheme.
    #[serde(rename = "elcart")]
    Elcart,
}

impl CardBrand {
    /// Every brand, in the order the site lists them.
    pub const ALL: [CardBrand; 5] = [
        CardBrand::Visa,
        CardBrand::Mastercard,
        CardBrand::UnionPay,
        CardBrand::Mir,
        CardBrand::Elcart,
    ];

    /// Stable machine name, used in storage, URLs and CSS classes.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CardBrand::Visa => "visa",
            CardBrand::Mastercard => "mastercard",
            CardBrand::UnionPay => "unionpay",
            CardBrand::Mir => "mir",
            CardBrand::Elcart => "elcart",
        }
    }

    /// Inverse of [`CardBrand::as_str`].
    #[must_use]
    pub fn from_str_opt(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// The brand's own spelling, shown to the citizen (a trademark, so it is
    /// not translated).
    #[must_use]
    pub fn display_name(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::UnionPay => "UnionPay",
            CardBrand::Mir => "Mir",
            CardBrand::Elcart => "Elcart",
        }
    }

    /// Number of digits in the card security code.
    ///
    /// All brands accepted today use 3; this stays a method so a brand with a
    /// 4-digit code (American Express style) can be added in one place.
    #[must_use]
    pub fn cvv_len(self) -> usize {
        match self {
            CardBrand::Visa
            | CardBrand::Mastercard
            | CardBrand::UnionPay
            | CardBrand::Mir
            | CardBrand::Elcart => 3,
        }
    }
}

/// One row of the brand table.
///
/// A number belongs to `brand` when its first `prefix_digits` digits, read as
/// an integer, lie in `prefix_start..=prefix_end`, and it is then valid only
/// with one of the `lengths`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrandRule {
    /// Brand this rule recognises.
    pub brand: CardBrand,
    /// Lowest prefix value (inclusive).
    pub prefix_start: u64,
    /// Highest prefix value (inclusive).
    pub prefix_end: u64,
    /// How many leading digits form the prefix.
    pub prefix_digits: u8,
    /// Allowed total lengths of the card number.
    pub lengths: Vec<u8>,
}

impl BrandRule {
    /// Whether the leading digits of `digits` fall in this rule's range.
    /// `digits` must already be ASCII digits only.
    fn matches(&self, digits: &str) -> bool {
        let n = usize::from(self.prefix_digits);
        if n == 0 {
            return false;
        }
        match digits.get(..n).and_then(leading_value) {
            Some(v) => (self.prefix_start..=self.prefix_end).contains(&v),
            None => false,
        }
    }
}

/// Reads an ASCII digit string as an integer; `None` on overflow or a
/// non-digit, so a hostile table or input can never panic here.
fn leading_value(s: &str) -> Option<u64> {
    s.bytes().try_fold(0_u64, |acc, b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// Why a brand table could not be built from configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BrandTableError {
    /// The prefix was empty.
    Empty,
    /// The prefix contained something other than ASCII digits.
    InvalidCharacters,
    /// The prefix was longer than 8 digits.
    TooLong,
}

impl BrandTableError {
    /// Translation key for this error.
    #[must_use]
    pub fn key(&self) -> &'static str {
        match self {
            BrandTableError::Empty => "brand_prefix_empty",
            BrandTableError::InvalidCharacters => "brand_prefix_invalid_characters",
            BrandTableError::TooLong => "brand_prefix_too_long",
        }
    }
}

impl fmt::Display for BrandTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BrandTableError::Empty => "card prefix is empty",
            BrandTableError::InvalidCharacters => "card prefix must contain only digits",
            BrandTableError::TooLong => "card prefix is too long",
        })
    }
}

impl std::error::Error for BrandTableError {}

/// Longest Elcart prefix accepted from configuration; longer would eat into
/// the account-number part of the card number.
const MAX_ELCART_PREFIX_DIGITS: usize = 8;

/// The ordered set of [`BrandRule`]s used to recognise card numbers.
#[derive(Clone, Debug)]
pub struct BrandTable {
    rules: Vec<BrandRule>,
}

impl Default for BrandTable {
    /// The standard table:
    ///
    /// | brand      | prefix           | lengths       |
    /// |------------|------------------|---------------|
    /// | Visa       | 4                | 13, 16, 19    |
    /// | Mastercard | 51–55, 2221–2720 | 16            |
    /// | Mir        | 2200–2204        | 16–19         |
    /// | `UnionPay` | 62, 8100–8171    | 14–19         |
    /// | Elcart     | 9417             | 16            |
    ///
    /// The ranges do not overlap (Mir ends at 2204, Mastercard's 2-series
    /// starts at 2221). 8172 onwards is outside `UnionPay`'s announced 8-series
    /// and stays unknown. All of 62 is `UnionPay`, as in the scheme-level
    /// tables cited in the code, not the finer BIN list some libraries keep.
    /// A configured Elcart prefix longer than the range it falls in (say six
    /// digits inside 62 or 8100–8171) wins for co-badged cards; one of equal
    /// length ties, and the tie goes to the built-in rule.
    ///
    /// **The Elcart prefix `9417` is an ASSUMPTION** not confirmed by any
    /// public source: the scheme does not publish its BIN ranges. It is
    /// configurable through [`BrandTable::with_elcart_prefix`] and must be
    /// checked against the acquiring bank's BIN list before going live.
    fn default() -> Self {
        let rule = |brand, prefix_start, prefix_end, prefix_digits, lengths: &[u8]| BrandRule {
            brand,
            prefix_start,
            prefix_end,
            prefix_digits,
            lengths: lengths.to_vec(),
        };
        // Sources of the ranges and lengths, one a line:
        // https://github.com/braintree/credit-card-type/blob/fbd8ed80a411fa9b238055208c19a7323cd38e21/src/lib/card-types.ts (v10.3.0, `cardTypes`)
        // https://github.com/braintree/credit-card-type/issues/95 (Vantiv bulletin quoted there: UnionPay 8-series BINs 81000000–81719999)
        // https://github.com/stripe/stripe-android/blob/034cd362cea43c977864b51e6142bf48643990e8/payments-core/src/main/java/com/stripe/android/model/CardBrand.kt (`CardBrand` patterns)
        // https://en.wikipedia.org/wiki/Payment_card_number#Issuer_identification_number_(IIN) (IIN table: Visa 4 with 13/16/19; Mastercard 51–55, 2221–2720 with 16; UnionPay 62)
        // Tests of every range end: domain/tests/brand_ranges.rs.
        BrandTable {
            rules: vec![
                rule(CardBrand::Visa, 4, 4, 1, &[13, 16, 19]),
                rule(CardBrand::Mastercard, 51, 55, 2, &[16]),
                rule(CardBrand::Mastercard, 2221, 2720, 4, &[16]),
                rule(CardBrand::Mir, 2200, 2204, 4, &[16, 17, 18, 19]),
                rule(CardBrand::UnionPay, 62, 62, 2, &[14, 15, 16, 17, 18, 19]),
                rule(
                    CardBrand::UnionPay,
                    8100,
                    8171,
                    4,
                    &[14, 15, 16, 17, 18, 19],
                ),
                rule(CardBrand::Elcart, 9417, 9417, 4, &[16]),
            ],
        }
    }
}

impl BrandTable {
    /// The standard table with the Elcart rule replaced by one for `prefix`
    /// (1–8 digits, surrounding whitespace ignored), length 16.
    ///
    /// # Errors
    ///
    /// [`BrandTableError`] when the prefix is empty, not all digits, or longer
    /// than 8 digits.
    pub fn with_elcart_prefix(prefix: &str) -> Result<BrandTable, BrandTableError> {
        let prefix = prefix.trim();
        if prefix.is_empty() {
            return Err(BrandTableError::Empty);
        }
        if !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BrandTableError::InvalidCharacters);
        }
        if prefix.len() > MAX_ELCART_PREFIX_DIGITS {
            return Err(BrandTableError::TooLong);
        }
        let value = leading_value(prefix).ok_or(BrandTableError::TooLong)?;
        let digits = u8::try_from(prefix.len()).map_err(|_| BrandTableError::TooLong)?;
        let mut table = BrandTable::default();
        table.rules.retain(|r| r.brand != CardBrand::Elcart);
        table.rules.push(BrandRule {
            brand: CardBrand::Elcart,
            prefix_start: value,
            prefix_end: value,
            prefix_digits: digits,
            lengths: vec![16],
        });
        Ok(table)
    }

    /// The rules, in table order.
    #[must_use]
    pub fn rules(&self) -> &[BrandRule] {
        &self.rules
    }

    /// The brand of a full or partial card number.
    ///
    /// Spaces and hyphens are skipped so the browser can call this on what the
    /// citizen is typing; any other non-digit gives `None`. A rule only
    /// matches once at least its `prefix_digits` digits are present, and the
    /// longest matching prefix wins (the earlier rule on a tie), so a
    /// configured Elcart prefix starting with `4` still beats Visa.
    #[must_use]
    pub fn detect(&self, digits: &str) -> Option<CardBrand> {
        let mut clean = String::new();
        for c in digits.chars() {
            if c.is_ascii_digit() {
                clean.push(c);
            } else if !is_separator(c) {
                return None;
            }
        }
        self.rule_for(&clean).map(|r| r.brand)
    }

    /// Every total length allowed for `brand`, sorted and without repeats;
    /// empty when the table has no rule for it.
    #[must_use]
    pub fn lengths_for(&self, brand: CardBrand) -> Vec<u8> {
        let mut lengths: Vec<u8> = self
            .rules
            .iter()
            .filter(|r| r.brand == brand)
            .flat_map(|r| r.lengths.iter().copied())
            .collect();
        lengths.sort_unstable();
        lengths.dedup();
        lengths
    }

    /// The winning rule for a string of ASCII digits.
    pub(crate) fn rule_for(&self, digits: &str) -> Option<&BrandRule> {
        let mut best: Option<&BrandRule> = None;
        for rule in self.rules.iter().filter(|r| r.matches(digits)) {
            if best.is_none_or(|b| rule.prefix_digits > b.prefix_digits) {
                best = Some(rule);
            }
        }
        best
    }
}

/// Characters a citizen may type between digit groups.
pub(crate) fn is_separator(c: char) -> bool {
    c == '-' || c.is_whitespace()
}

#[cfg(test)]
mod tests;
