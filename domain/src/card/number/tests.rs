//! Tests of `number`.

use super::*;

fn parse(s: &str) -> Result<CardNumber, CardNumberError> {
    CardNumber::parse(s, &BrandTable::default())
}

#[test]
fn published_test_numbers() {
    let cases: &[(&str, CardBrand)] = &[
        ("4111111111111111", CardBrand::Visa),
        ("4012888888881881", CardBrand::Visa),
        ("4222222222222", CardBrand::Visa),
        ("4000000000000000006", CardBrand::Visa),
        ("5555555555554444", CardBrand::Mastercard),
        ("5105105105105100", CardBrand::Mastercard),
        ("2223003122003222", CardBrand::Mastercard),
        ("2720000000000005", CardBrand::Mastercard),
        ("6200000000000005", CardBrand::UnionPay),
        ("6212345678901232", CardBrand::UnionPay),
        ("6212000000000000005", CardBrand::UnionPay),
        ("62123456789002", CardBrand::UnionPay),
        ("8100513433325374", CardBrand::UnionPay),
        ("8168524506870054", CardBrand::UnionPay),
        ("2200000000000004", CardBrand::Mir),
        ("2204000000000000006", CardBrand::Mir),
        ("9417000000000008", CardBrand::Elcart),
    ];
    for (input, brand) in cases {
        let card = parse(input);
        assert_eq!(card.as_ref().map(CardNumber::brand), Ok(*brand), "{input}");
        assert_eq!(
            card.as_ref().map(CardNumber::expose_digits),
            Ok(*input),
            "{input}"
        );
    }
}

#[test]
fn separators_are_stripped() {
    for input in [
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        " 4111 - 1111  1111\t1111 ",
        "4111111111111111\n",
    ] {
        let card = parse(input);
        assert_eq!(
            card.as_ref().map(CardNumber::expose_digits),
            Ok("4111111111111111"),
            "{input:?}"
        );
    }
}

#[test]
fn refusals() {
    let cases: &[(&str, CardNumberError)] = &[
        ("", CardNumberError::Empty),
        ("   ", CardNumberError::Empty),
        ("- -", CardNumberError::Empty),
        ("4111 1111 1111 111a", CardNumberError::InvalidCharacters),
        ("abcd", CardNumberError::InvalidCharacters),
        ("4111.1111.1111.1111", CardNumberError::InvalidCharacters),
        (
            "４１１１１１１１１１１１１１１１",
            CardNumberError::InvalidCharacters,
        ),
        ("1111111111111111", CardNumberError::UnknownBrand),
        ("3782822463100050", CardNumberError::UnknownBrand),
        ("5", CardNumberError::UnknownBrand),
        ("8099000000000000", CardNumberError::UnknownBrand),
        ("8172000000000000", CardNumberError::UnknownBrand),
        ("411111111111111", CardNumberError::WrongLength),
        ("41111111111111111", CardNumberError::WrongLength),
        ("55555555555544440", CardNumberError::WrongLength),
        ("94170000000000008", CardNumberError::WrongLength),
        ("6212345678900", CardNumberError::WrongLength),
        ("81000000000000000000", CardNumberError::WrongLength),
        ("4111111111111112", CardNumberError::Luhn),
        ("5555555555554445", CardNumberError::Luhn),
        ("2200000000000005", CardNumberError::Luhn),
        ("9417000000000009", CardNumberError::Luhn),
    ];
    for (input, err) in cases {
        assert_eq!(parse(input), Err(*err), "{input:?}");
    }
}

#[test]
fn error_keys() {
    let cases = [
        (CardNumberError::Empty, "card_number_empty"),
        (
            CardNumberError::InvalidCharacters,
            "card_number_invalid_characters",
        ),
        (CardNumberError::UnknownBrand, "card_number_unknown_brand"),
        (CardNumberError::WrongLength, "card_number_wrong_length"),
        (CardNumberError::Luhn, "card_number_luhn"),
    ];
    for (err, key) in cases {
        assert_eq!(err.key(), key);
        assert!(!err.to_string().is_empty());
    }
}

#[test]
fn masking() {
    let card = parse("4111111111111111");
    assert_eq!(
        card.as_ref().map(CardNumber::masked),
        Ok("411111******1111".to_owned())
    );
    assert_eq!(card.as_ref().map(CardNumber::first_six), Ok("411111"));
    assert_eq!(card.as_ref().map(CardNumber::last_four), Ok("1111"));
    let short = parse("4222222222222");
    assert_eq!(
        short.as_ref().map(CardNumber::masked),
        Ok("422222***2222".to_owned())
    );
    let debug = format!("{card:?}");
    assert!(!debug.contains("4111111111111111"), "{debug}");
    assert!(debug.contains("411111******1111"), "{debug}");
}

#[test]
fn from_str_and_try_from() {
    let a: Result<CardNumber, _> = "5105 1051 0510 5100".parse();
    let b = CardNumber::try_from("5105105105105100");
    assert_eq!(a, b);
    assert!(a.is_ok());
}

#[test]
fn configured_elcart_prefix_is_used() {
    let table = BrandTable::with_elcart_prefix("9999").unwrap_or_default();
    assert_eq!(
        CardNumber::parse("9417000000000008", &table),
        Err(CardNumberError::UnknownBrand)
    );
    assert_eq!(
        CardNumber::parse("9999000000000004", &table).map(|c| c.brand()),
        Ok(CardBrand::Elcart)
    );
}

#[test]
fn luhn() {
    assert!(luhn_valid("0"));
    assert!(luhn_valid("18"));
    assert!(luhn_valid("4111111111111111"));
    assert!(!luhn_valid(""));
    assert!(!luhn_valid("4111 1111 1111 1111"));
    assert!(!luhn_valid("4111111111111112"));
}

#[test]
fn helpers() {
    assert_eq!(digits_only(" 4111-11a1 "), "4111111");
    assert_eq!(digits_only("٤١"), "");
    assert_eq!(group_in_fours(""), "");
    assert_eq!(group_in_fours("4111"), "4111");
    assert_eq!(group_in_fours("41111"), "4111 1");
    assert_eq!(group_in_fours("4111-1111 1111x1111"), "4111 1111 1111 1111");
    assert_eq!(
        group_in_fours("12345678901234567890123"),
        "1234 5678 9012 3456 789"
    );
}
