//! Both ends of every range in the brand table: the first and last prefix are
//! the brand, with a Luhn-valid number of every allowed length; the prefixes
//! just outside are not; and the lengths around the allowed ones are refused.
//!
//! The sources of the ranges are listed in `domain/src/card/brand.rs`.

use domain::{BrandTable, CardBrand, CardNumber, CardNumberError, luhn_valid};

/// One range of a brand table and what lies either side of it.
struct Range {
    brand: CardBrand,
    first: &'static str,
    last: &'static str,
    /// The prefix just below `first`, and the brand it has.
    below: (&'static str, Option<CardBrand>),
    /// The prefix just above `last`, and the brand it has.
    above: (&'static str, Option<CardBrand>),
    lengths: &'static [usize],
}

const UNIONPAY_LENGTHS: &[usize] = &[14, 15, 16, 17, 18, 19];
const MIR_LENGTHS: &[usize] = &[16, 17, 18, 19];

/// The default table, written out by hand so a change to it must be made
/// here too.
const DEFAULT_RANGES: &[Range] = &[
    Range {
        brand: CardBrand::Visa,
        first: "4",
        last: "4",
        below: ("3", None),
        above: ("5", None),
        lengths: &[13, 16, 19],
    },
    Range {
        brand: CardBrand::Mastercard,
        first: "51",
        last: "55",
        below: ("50", None),
        above: ("56", None),
        lengths: &[16],
    },
    Range {
        brand: CardBrand::Mastercard,
        first: "2221",
        last: "2720",
        below: ("2220", None),
        above: ("2721", None),
        lengths: &[16],
    },
    Range {
        brand: CardBrand::Mir,
        first: "2200",
        last: "2204",
        below: ("2199", None),
        above: ("2205", None),
        lengths: MIR_LENGTHS,
    },
    Range {
        brand: CardBrand::UnionPay,
        first: "62",
        last: "62",
        below: ("61", None),
        above: ("63", None),
        lengths: UNIONPAY_LENGTHS,
    },
    Range {
        brand: CardBrand::UnionPay,
        first: "8100",
        last: "8171",
        below: ("8099", None),
        above: ("8172", None),
        lengths: UNIONPAY_LENGTHS,
    },
    Range {
        brand: CardBrand::Elcart,
        first: "9417",
        last: "9417",
        below: ("9416", None),
        above: ("9418", None),
        lengths: &[16],
    },
];

/// A Luhn-valid number of `len` digits: `prefix`, then `fill` repeated, then
/// the check digit.
fn luhn_number(prefix: &str, fill: char, len: usize) -> String {
    let mut body = prefix.to_owned();
    while body.len() + 1 < len {
        body.push(fill);
    }
    let number = ('0'..='9')
        .map(|d| format!("{body}{d}"))
        .find(|n| luhn_valid(n))
        .unwrap_or_default();
    assert_eq!(number.len(), len, "{prefix} at {len}");
    number
}

/// The same number with its check digit wrong.
fn with_wrong_check_digit(number: &str) -> String {
    let (body, check) = number.split_at(number.len() - 1);
    let wrong = if check == "0" { '1' } else { '0' };
    format!("{body}{wrong}")
}

fn brand_of(table: &BrandTable, number: &str) -> Result<CardBrand, CardNumberError> {
    CardNumber::parse(number, table).map(|c| c.brand())
}

fn check_range(table: &BrandTable, r: &Range) {
    let min = r.lengths.iter().copied().min().unwrap_or(0);
    let max = r.lengths.iter().copied().max().unwrap_or(0);
    for end in [r.first, r.last] {
        assert_eq!(table.detect(end), Some(r.brand), "prefix {end}");
        for &len in r.lengths {
            for fill in ['0', '9'] {
                let n = luhn_number(end, fill, len);
                assert_eq!(brand_of(table, &n), Ok(r.brand), "{n}");
                assert_eq!(table.detect(&n), Some(r.brand), "{n}");
                assert_eq!(
                    brand_of(table, &with_wrong_check_digit(&n)),
                    Err(CardNumberError::Luhn),
                    "{n} with a typo"
                );
            }
        }
        // One length either side of the allowed ones, and any gap between.
        for len in (min - 1)..=(max + 1) {
            if !r.lengths.contains(&len) {
                let n = luhn_number(end, '0', len);
                assert_eq!(
                    brand_of(table, &n),
                    Err(CardNumberError::WrongLength),
                    "{n}"
                );
            }
        }
    }
    for (outside, want) in [r.below, r.above] {
        assert_eq!(table.detect(outside), want, "prefix {outside}");
        for &len in r.lengths {
            let n = luhn_number(outside, '0', len);
            let got = brand_of(table, &n);
            match want {
                Some(brand) => assert_eq!(got, Ok(brand), "{n}"),
                None => assert_eq!(got, Err(CardNumberError::UnknownBrand), "{n}"),
            }
        }
    }
}

#[test]
fn default_table_is_the_documented_one() {
    let rules = BrandTable::default();
    let got: Vec<_> = rules
        .rules()
        .iter()
        .map(|r| {
            (
                r.brand,
                r.prefix_start,
                r.prefix_end,
                usize::from(r.prefix_digits),
                r.lengths
                    .iter()
                    .map(|&l| usize::from(l))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let want: Vec<_> = DEFAULT_RANGES
        .iter()
        .map(|r| {
            (
                r.brand,
                r.first.parse::<u64>().unwrap_or(u64::MAX),
                r.last.parse::<u64>().unwrap_or(u64::MAX),
                r.first.len(),
                r.lengths.to_vec(),
            )
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn every_default_range_at_both_ends() {
    let table = BrandTable::default();
    for r in DEFAULT_RANGES {
        check_range(&table, r);
    }
}

#[test]
fn configured_elcart_prefix_at_both_ends() {
    // Inside Visa's range: the numbers either side are Visa.
    let table = BrandTable::with_elcart_prefix("41234").unwrap_or_default();
    check_range(
        &table,
        &Range {
            brand: CardBrand::Elcart,
            first: "41234",
            last: "41234",
            below: ("41233", Some(CardBrand::Visa)),
            above: ("41235", Some(CardBrand::Visa)),
            lengths: &[16],
        },
    );
}

#[test]
fn unionpay_81_range() {
    let table = BrandTable::default();
    // The first and last eight-digit BINs of UnionPay's 8-series, and the
    // numbers either side.
    for (prefix, want) in [
        ("80999999", None),
        ("81000000", Some(CardBrand::UnionPay)),
        ("81719999", Some(CardBrand::UnionPay)),
        ("81720000", None),
    ] {
        assert_eq!(table.detect(prefix), want, "{prefix}");
        let n = luhn_number(prefix, '0', 16);
        let expected = want.ok_or(CardNumberError::UnknownBrand);
        assert_eq!(brand_of(&table, &n), expected, "{n}");
    }
    // Published test numbers (braintree/credit-card-type's tests).
    for n in [
        "8100513433325374",
        "8111700872004845",
        "8141618644273338",
        "8158163233706018",
        "8168524506870054",
        "62123456789002",
        "621234567890003",
    ] {
        assert_eq!(brand_of(&table, n), Ok(CardBrand::UnionPay), "{n}");
    }
    // What the citizen has typed so far: a four-digit range needs four digits.
    for (typed, want) in [
        ("8", None),
        ("81", None),
        ("810", None),
        ("8100", Some(CardBrand::UnionPay)),
        ("8171 5", Some(CardBrand::UnionPay)),
        ("8172 5", None),
    ] {
        assert_eq!(table.detect(typed), want, "{typed:?}");
    }
}

#[test]
fn elcart_prefix_inside_unionpay_ranges() {
    // Co-badged cards: a configured Elcart prefix longer than the UnionPay
    // range it falls in wins; the rest of the range stays UnionPay.
    for (prefix, neighbour) in [("621234", "621235"), ("810012", "810013")] {
        let table = BrandTable::with_elcart_prefix(prefix).unwrap_or_default();
        assert_eq!(table.detect(prefix), Some(CardBrand::Elcart), "{prefix}");
        assert_eq!(
            brand_of(&table, &luhn_number(prefix, '0', 16)),
            Ok(CardBrand::Elcart)
        );
        assert_eq!(table.detect(neighbour), Some(CardBrand::UnionPay));
        assert_eq!(
            brand_of(&table, &luhn_number(neighbour, '0', 19)),
            Ok(CardBrand::UnionPay)
        );
    }
    // A prefix exactly as long as the range ties, and the built-in rule wins.
    let table = BrandTable::with_elcart_prefix("8150").unwrap_or_default();
    assert_eq!(table.detect("8150"), Some(CardBrand::UnionPay));
}
