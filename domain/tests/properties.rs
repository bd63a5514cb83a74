//! Property tests: the parsers accept what they must, refuse typos, never
//! panic, and never echo card data.

use domain::{
    BrandTable, CardBrand, CardNumber, CardNumberError, CardholderName, CardholderNameError, Cvv,
    CvvError, Expiry, ExpiryError, Money, MoneyError, PaymentCode, PaymentCodeError, YearMonth,
    luhn_valid,
};
use proptest::prelude::*;

const TODAY: YearMonth = YearMonth {
    year: 2025,
    month: 6,
};

/// The Luhn check digit that completes `body`.
fn check_digit(body: &[u8]) -> u8 {
    let mut sum = 0_u32;
    // Walking right to left, the digit next to the check digit is doubled.
    for (i, &d) in body.iter().rev().enumerate() {
        let mut d = u32::from(d);
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

fn to_string(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// A Luhn-valid number for a random rule of the default table, with its brand.
fn valid_card() -> impl Strategy<Value = (String, CardBrand)> {
    let rules = BrandTable::default().rules().to_vec();
    (
        0..rules.len(),
        any::<u64>(),
        any::<usize>(),
        any::<[u8; 19]>(),
    )
        .prop_map(move |(ri, pick, li, fill)| {
            let rule = &rules[ri];
            let span = rule.prefix_end - rule.prefix_start + 1;
            let prefix = rule.prefix_start + pick % span;
            let prefix = format!("{prefix:0width$}", width = usize::from(rule.prefix_digits));
            let len = usize::from(rule.lengths[li % rule.lengths.len()]);
            let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
            for f in fill.iter().take(len - digits.len() - 1) {
                digits.push(f % 10);
            }
            digits.push(check_digit(&digits));
            (to_string(&digits), rule.brand)
        })
}

/// Mostly digits and separators, where the interesting parser paths are.
fn digitish() -> impl Strategy<Value = String> {
    "[0-9 /.,\\-]{0,40}"
}

fn all_parsers_on(s: &str) {
    let _ = CardNumber::parse(s, &BrandTable::default());
    let _ = Expiry::parse(s, TODAY);
    let _ = Expiry::from_parts(s, s, TODAY);
    let _ = Cvv::parse(s, None);
    let _ = Cvv::parse(s, Some(CardBrand::Visa));
    let _ = CardholderName::parse(s);
    let _ = PaymentCode::parse(s);
    let _ = s.parse::<Money>();
    let _ = BrandTable::default().detect(s);
    let _ = BrandTable::with_elcart_prefix(s);
    let _ = domain::group_in_fours(s);
    let _ = domain::mask_person_name(s);
    let _ = luhn_valid(s);
}

/// Every error's Display text, for whatever `s` produces.
fn error_texts(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Err(e) = CardNumber::parse(s, &BrandTable::default()) {
        out.push(e.to_string());
        out.push(format!("{e:?}"));
    }
    if let Err(e) = Expiry::parse(s, TODAY) {
        out.push(e.to_string());
        out.push(format!("{e:?}"));
    }
    if let Err(e) = Cvv::parse(s, None) {
        out.push(e.to_string());
        out.push(format!("{e:?}"));
    }
    if let Err(e) = CardholderName::parse(s) {
        out.push(e.to_string());
        out.push(format!("{e:?}"));
    }
    if let Err(e) = PaymentCode::parse(s) {
        out.push(e.to_string());
        out.push(format!("{e:?}"));
    }
    if let Err(e) = s.parse::<Money>() {
        out.push(e.to_string());
        out.push(format!("{e:?}"));
    }
    out
}

proptest! {
    #[test]
    fn valid_numbers_are_accepted((number, brand) in valid_card()) {
        let card = CardNumber::parse(&number, &BrandTable::default());
        prop_assert_eq!(card.as_ref().map(CardNumber::brand), Ok(brand));
        prop_assert_eq!(card.as_ref().map(CardNumber::expose_digits), Ok(number.as_str()));
        prop_assert_eq!(BrandTable::default().detect(&number), Some(brand));
    }

    #[test]
    fn grouped_numbers_are_accepted((number, brand) in valid_card()) {
        let grouped = domain::group_in_fours(&number);
        let card = CardNumber::parse(&grouped, &BrandTable::default());
        prop_assert_eq!(card.map(|c| c.brand()), Ok(brand));
    }

    #[test]
    fn single_digit_changes_are_rejected(
        (number, _brand) in valid_card(),
        pos in any::<usize>(),
        delta in 1_u8..10,
    ) {
        let mut digits: Vec<u8> = number.bytes().map(|b| b - b'0').collect();
        let pos = pos % digits.len();
        digits[pos] = (digits[pos] + delta) % 10;
        let changed = to_string(&digits);
        prop_assert!(!luhn_valid(&changed));
        prop_assert!(CardNumber::parse(&changed, &BrandTable::default()).is_err());
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_strings(s in any::<String>()) {
        all_parsers_on(&s);
    }

    #[test]
    fn parsers_never_panic_on_digitish_strings(s in digitish()) {
        all_parsers_on(&s);
    }

    #[test]
    fn card_debug_never_contains_full_number((number, _brand) in valid_card()) {
        let card = CardNumber::parse(&number, &BrandTable::default());
        let debug = format!("{card:?}");
        prop_assert!(!debug.contains(&number), "{}", debug);
        let masked = card.map(|c| c.masked()).unwrap_or_default();
        prop_assert!(!masked.contains(&number));
        prop_assert_eq!(masked.len(), number.len());
    }

    #[test]
    fn cvv_debug_never_contains_code(code in "[0-9]{3}") {
        let cvv = Cvv::parse(&code, Some(CardBrand::Mastercard));
        prop_assert!(cvv.is_ok());
        let debug = format!("{cvv:?}");
        prop_assert!(!debug.contains(&code), "{}", debug);
    }

    #[test]
    fn errors_never_contain_digits(s in digitish()) {
        // Stronger than "does not contain the input": no digit of anything
        // typed can appear, because the texts have no digits at all.
        for text in error_texts(&s) {
            prop_assert!(!text.bytes().any(|b| b.is_ascii_digit()), "{}", text);
        }
    }

    #[test]
    fn errors_never_contain_the_input(s in any::<String>().prop_filter("long enough to be meaningful", |s| s.chars().count() >= 6)) {
        for text in error_texts(&s) {
            prop_assert!(!text.contains(&s));
        }
    }

    #[test]
    fn errors_never_contain_a_nearly_valid_number((number, _brand) in valid_card(), extra in "[0-9a-z]") {
        let input = format!("{number}{extra}");
        for text in error_texts(&input) {
            prop_assert!(!text.contains(&number));
        }
    }

    #[test]
    fn money_format_round_trips(t in 0_i64..=i64::MAX) {
        let m = Money::from_tyiyn(t);
        prop_assert!(m.is_ok());
        let m = m.unwrap_or(Money::ZERO);
        for (thousands, decimal) in [(" ", ","), ("\u{a0}", "."), ("", ".")] {
            let text = m.format(thousands, decimal);
            prop_assert_eq!(text.parse::<Money>(), Ok(m), "{}", text);
        }
    }

    #[test]
    fn payment_codes_of_valid_length_parse(code in "[0-9]{10,20}") {
        let parsed = PaymentCode::parse(&code);
        let issued_shape = code.len() == domain::ISSUED_DIGITS
            && domain::ServiceKind::ALL.iter().any(|k| code.starts_with(k.prefix()));
        if issued_shape {
            // A code of the agency API's shape carries a check digit: one
            // that does not add up is a typo, told apart from the rest.
            prop_assert!(
                matches!(&parsed, Ok(c) if c.as_str() == code)
                    || parsed == Err(domain::PaymentCodeError::CheckDigit)
            );
        } else {
            prop_assert_eq!(parsed.map(|c| c.to_string()), Ok(code));
        }
    }
}

#[test]
fn every_error_has_a_distinct_snake_case_key_and_no_digits_in_its_text() {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    for e in [
        CardNumberError::Empty,
        CardNumberError::InvalidCharacters,
        CardNumberError::UnknownBrand,
        CardNumberError::WrongLength,
        CardNumberError::Luhn,
    ] {
        pairs.push((e.key(), e.to_string()));
    }
    for e in [
        ExpiryError::Empty,
        ExpiryError::Malformed,
        ExpiryError::InvalidMonth,
        ExpiryError::Expired,
        ExpiryError::TooFarAhead,
    ] {
        pairs.push((e.key(), e.to_string()));
    }
    for e in [CvvError::Empty, CvvError::NotDigits, CvvError::WrongLength] {
        pairs.push((e.key(), e.to_string()));
    }
    for e in [
        CardholderNameError::Empty,
        CardholderNameError::TooShort,
        CardholderNameError::TooLong,
        CardholderNameError::InvalidCharacters,
    ] {
        pairs.push((e.key(), e.to_string()));
    }
    for e in [
        PaymentCodeError::Empty,
        PaymentCodeError::InvalidCharacters,
        PaymentCodeError::WrongLength,
    ] {
        pairs.push((e.key(), e.to_string()));
    }
    for e in [
        MoneyError::Negative,
        MoneyError::Malformed,
        MoneyError::TooManyDecimals,
        MoneyError::Overflow,
    ] {
        pairs.push((e.key(), e.to_string()));
    }
    let mut keys: Vec<_> = pairs.iter().map(|(k, _)| *k).collect();
    for (key, text) in &pairs {
        assert!(
            key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{key}"
        );
        assert!(!text.is_empty());
        assert!(!text.bytes().any(|b| b.is_ascii_digit()), "{text}");
    }
    let n = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), n);
}
