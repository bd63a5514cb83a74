//! Tests of `brand`.

use super::*;

#[test]
fn as_str_round_trips() {
    for b in CardBrand::ALL {
        assert_eq!(CardBrand::from_str_opt(b.as_str()), Some(b));
        assert_eq!(b.cvv_len(), 3);
    }
    assert_eq!(CardBrand::from_str_opt("Visa"), None);
    assert_eq!(CardBrand::from_str_opt(""), None);
}

#[test]
fn display_names() {
    let names: Vec<_> = CardBrand::ALL.iter().map(|b| b.display_name()).collect();
    assert_eq!(names, ["Visa", "Mastercard", "UnionPay", "Mir", "Elcart"]);
}

#[test]
fn detect_partial_numbers() {
    let t = BrandTable::default();
    let cases: &[(&str, Option<CardBrand>)] = &[
        ("", None),
        ("4", Some(CardBrand::Visa)),
        ("4111 11", Some(CardBrand::Visa)),
        ("5", None),
        ("50", None),
        ("51", Some(CardBrand::Mastercard)),
        ("55", Some(CardBrand::Mastercard)),
        ("56", None),
        ("22", None),
        ("222", None),
        ("2221", Some(CardBrand::Mastercard)),
        ("2720", Some(CardBrand::Mastercard)),
        ("2721", None),
        ("2200", Some(CardBrand::Mir)),
        ("2204", Some(CardBrand::Mir)),
        ("2205", None),
        ("62", Some(CardBrand::UnionPay)),
        ("6", None),
        ("8", None),
        ("810", None),
        ("8099", None),
        ("8100", Some(CardBrand::UnionPay)),
        ("8171 0000", Some(CardBrand::UnionPay)),
        ("8172", None),
        ("941", None),
        ("9417", Some(CardBrand::Elcart)),
        ("9417-0000", Some(CardBrand::Elcart)),
        ("9418", None),
        ("4x", None),
    ];
    for (input, want) in cases {
        assert_eq!(t.detect(input), *want, "input {input:?}");
    }
}

#[test]
fn lengths_for_brands() {
    let t = BrandTable::default();
    assert_eq!(t.lengths_for(CardBrand::Visa), [13, 16, 19]);
    assert_eq!(t.lengths_for(CardBrand::Mastercard), [16]);
    assert_eq!(t.lengths_for(CardBrand::Mir), [16, 17, 18, 19]);
    assert_eq!(t.lengths_for(CardBrand::UnionPay), [14, 15, 16, 17, 18, 19]);
    assert_eq!(t.lengths_for(CardBrand::Elcart), [16]);
}

#[test]
fn elcart_prefix_is_configurable() {
    let t = BrandTable::with_elcart_prefix(" 41234 ");
    assert!(t.is_ok());
    let t = t.unwrap_or_default();
    assert_eq!(t.detect("4123"), Some(CardBrand::Visa));
    assert_eq!(t.detect("41234"), Some(CardBrand::Elcart));
    assert_eq!(t.detect("9417"), None);
    let elcart: Vec<_> = t
        .rules()
        .iter()
        .filter(|r| r.brand == CardBrand::Elcart)
        .collect();
    assert_eq!(elcart.len(), 1);
}

#[test]
fn elcart_prefix_errors() {
    let cases: &[(&str, BrandTableError, &str)] = &[
        ("", BrandTableError::Empty, "brand_prefix_empty"),
        ("  ", BrandTableError::Empty, "brand_prefix_empty"),
        (
            "94a7",
            BrandTableError::InvalidCharacters,
            "brand_prefix_invalid_characters",
        ),
        (
            "123456789",
            BrandTableError::TooLong,
            "brand_prefix_too_long",
        ),
    ];
    for (input, err, key) in cases {
        let got = BrandTable::with_elcart_prefix(input).map(|_| ());
        assert_eq!(got, Err(*err), "input {input:?}");
        assert_eq!(err.key(), *key);
    }
    assert!(BrandTable::with_elcart_prefix("12345678").is_ok());
}

#[test]
fn leading_zero_prefix() {
    let t = BrandTable::with_elcart_prefix("0417");
    let t = t.unwrap_or_default();
    assert_eq!(t.detect("0417"), Some(CardBrand::Elcart));
    assert_eq!(t.detect("041"), None);
}
