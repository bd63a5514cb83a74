//! Tests of `words`.

use proptest::prelude::*;

use super::*;

/// The largest amount spelled out: 999 999 999 999.99 som.
const MAX_WORDS_TYIYN: i64 = 99_999_999_999_999;

fn words(tyiyn: i64, language: Language) -> String {
    let amount = Money::from_tyiyn(tyiyn).unwrap_or(Money::ZERO);
    amount_in_words(amount, language)
}

/// Amounts in tyiyn with the text expected in Russian, Kyrgyz and English.
const CASES: &[(i64, &str, &str, &str)] = &[
    (
        50,
        "Ноль сомов 50 тыйын",
        "Нөл сом 50 тыйын",
        "Zero som 50 tyiyn",
    ),
    (
        0,
        "Ноль сомов 00 тыйын",
        "Нөл сом 00 тыйын",
        "Zero som 00 tyiyn",
    ),
    (
        1,
        "Ноль сомов 01 тыйын",
        "Нөл сом 01 тыйын",
        "Zero som 01 tyiyn",
    ),
    (
        100,
        "Один сом 00 тыйын",
        "Бир сом 00 тыйын",
        "One som 00 tyiyn",
    ),
    (
        200,
        "Два сома 00 тыйын",
        "Эки сом 00 тыйын",
        "Two som 00 tyiyn",
    ),
    (
        500,
        "Пять сомов 00 тыйын",
        "Беш сом 00 тыйын",
        "Five som 00 tyiyn",
    ),
    (
        1_100,
        "Одиннадцать сомов 00 тыйын",
        "Он бир сом 00 тыйын",
        "Eleven som 00 tyiyn",
    ),
    (
        1_200,
        "Двенадцать сомов 00 тыйын",
        "Он эки сом 00 тыйын",
        "Twelve som 00 tyiyn",
    ),
    (
        2_100,
        "Двадцать один сом 00 тыйын",
        "Жыйырма бир сом 00 тыйын",
        "Twenty-one som 00 tyiyn",
    ),
    (
        2_200,
        "Двадцать два сома 00 тыйын",
        "Жыйырма эки сом 00 тыйын",
        "Twenty-two som 00 tyiyn",
    ),
    (
        10_000,
        "Сто сомов 00 тыйын",
        "Жүз сом 00 тыйын",
        "One hundred som 00 tyiyn",
    ),
    (
        10_100,
        "Сто один сом 00 тыйын",
        "Жүз бир сом 00 тыйын",
        "One hundred one som 00 tyiyn",
    ),
    (
        11_200,
        "Сто двенадцать сомов 00 тыйын",
        "Жүз он эки сом 00 тыйын",
        "One hundred twelve som 00 tyiyn",
    ),
    (
        11_500,
        "Сто пятнадцать сомов 00 тыйын",
        "Жүз он беш сом 00 тыйын",
        "One hundred fifteen som 00 tyiyn",
    ),
    (
        20_000,
        "Двести сомов 00 тыйын",
        "Эки жүз сом 00 тыйын",
        "Two hundred som 00 tyiyn",
    ),
    (
        99_999,
        "Девятьсот девяносто девять сомов 99 тыйын",
        "Тогуз жүз токсон тогуз сом 99 тыйын",
        "Nine hundred ninety-nine som 99 tyiyn",
    ),
    (
        100_000,
        "Одна тысяча сомов 00 тыйын",
        "Бир миң сом 00 тыйын",
        "One thousand som 00 tyiyn",
    ),
    (
        100_100,
        "Одна тысяча один сом 00 тыйын",
        "Бир миң бир сом 00 тыйын",
        "One thousand one som 00 tyiyn",
    ),
    (
        124_105,
        "Одна тысяча двести сорок один сом 05 тыйын",
        "Бир миң эки жүз кырк бир сом 05 тыйын",
        "One thousand two hundred forty-one som 05 tyiyn",
    ),
    (
        200_000,
        "Две тысячи сомов 00 тыйын",
        "Эки миң сом 00 тыйын",
        "Two thousand som 00 tyiyn",
    ),
    (
        500_000,
        "Пять тысяч сомов 00 тыйын",
        "Беш миң сом 00 тыйын",
        "Five thousand som 00 tyiyn",
    ),
    (
        1_100_000,
        "Одиннадцать тысяч сомов 00 тыйын",
        "Он бир миң сом 00 тыйын",
        "Eleven thousand som 00 tyiyn",
    ),
    (
        2_100_000,
        "Двадцать одна тысяча сомов 00 тыйын",
        "Жыйырма бир миң сом 00 тыйын",
        "Twenty-one thousand som 00 tyiyn",
    ),
    (
        2_200_000,
        "Двадцать две тысячи сомов 00 тыйын",
        "Жыйырма эки миң сом 00 тыйын",
        "Twenty-two thousand som 00 tyiyn",
    ),
    (
        10_000_000,
        "Сто тысяч сомов 00 тыйын",
        "Жүз миң сом 00 тыйын",
        "One hundred thousand som 00 tyiyn",
    ),
    (
        100_000_000,
        "Один миллион сомов 00 тыйын",
        "Бир миллион сом 00 тыйын",
        "One million som 00 tyiyn",
    ),
    (
        100_100_000,
        "Один миллион одна тысяча сомов 00 тыйын",
        "Бир миллион бир миң сом 00 тыйын",
        "One million one thousand som 00 tyiyn",
    ),
    (
        250_000_000,
        "Два миллиона пятьсот тысяч сомов 00 тыйын",
        "Эки миллион беш жүз миң сом 00 тыйын",
        "Two million five hundred thousand som 00 tyiyn",
    ),
    (
        500_000_000,
        "Пять миллионов сомов 00 тыйын",
        "Беш миллион сом 00 тыйын",
        "Five million som 00 tyiyn",
    ),
    (
        123_456_789,
        "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь сомов 89 тыйын",
        "Бир миллион эки жүз отуз төрт миң беш жүз алтымыш жети сом 89 тыйын",
        "One million two hundred thirty-four thousand five hundred sixty-seven som 89 tyiyn",
    ),
    (
        100_000_000_000,
        "Один миллиард сомов 00 тыйын",
        "Бир миллиард сом 00 тыйын",
        "One billion som 00 tyiyn",
    ),
    (
        200_000_000_300,
        "Два миллиарда три сома 00 тыйын",
        "Эки миллиард үч сом 00 тыйын",
        "Two billion three som 00 tyiyn",
    ),
    (
        500_200_000_000,
        "Пять миллиардов два миллиона сомов 00 тыйын",
        "Беш миллиард эки миллион сом 00 тыйын",
        "Five billion two million som 00 tyiyn",
    ),
    (
        MAX_WORDS_TYIYN,
        "Девятьсот девяносто девять миллиардов девятьсот девяносто девять миллионов \
         девятьсот девяносто девять тысяч девятьсот девяносто девять сомов 99 тыйын",
        "Тогуз жүз токсон тогуз миллиард тогуз жүз токсон тогуз миллион \
         тогуз жүз токсон тогуз миң тогуз жүз токсон тогуз сом 99 тыйын",
        "Nine hundred ninety-nine billion nine hundred ninety-nine million \
         nine hundred ninety-nine thousand nine hundred ninety-nine som 99 tyiyn",
    ),
    // Beyond the words, figures, with the noun still agreeing in Russian.
    (
        MAX_WORDS_TYIYN + 1,
        "1 000 000 000 000 сомов 00 тыйын",
        "1 000 000 000 000 сом 00 тыйын",
        "1,000,000,000,000 som 00 tyiyn",
    ),
    (
        100_000_000_000_121,
        "1 000 000 000 001 сом 21 тыйын",
        "1 000 000 000 001 сом 21 тыйын",
        "1,000,000,000,001 som 21 tyiyn",
    ),
    (
        i64::MAX,
        "92 233 720 368 547 758 сомов 07 тыйын",
        "92 233 720 368 547 758 сом 07 тыйын",
        "92,233,720,368,547,758 som 07 tyiyn",
    ),
];

#[test]
fn known_amounts() {
    for &(tyiyn, ru, ky, en) in CASES {
        assert_eq!(words(tyiyn, Language::Ru), ru, "{tyiyn} tyiyn in Russian");
        assert_eq!(words(tyiyn, Language::Ky), ky, "{tyiyn} tyiyn in Kyrgyz");
        assert_eq!(words(tyiyn, Language::En), en, "{tyiyn} tyiyn in English");
    }
}

/// Russian agreement of сом, тысяча, миллион and миллиард with the number
/// before them, the part most easily got wrong.
#[test]
fn russian_agreement() {
    let cases: &[(i64, &str)] = &[
        (1, "Один сом"),
        (2, "Два сома"),
        (3, "Три сома"),
        (4, "Четыре сома"),
        (5, "Пять сомов"),
        (10, "Десять сомов"),
        (11, "Одиннадцать сомов"),
        (14, "Четырнадцать сомов"),
        (20, "Двадцать сомов"),
        (21, "Двадцать один сом"),
        (22, "Двадцать два сома"),
        (25, "Двадцать пять сомов"),
        (111, "Сто одиннадцать сомов"),
        (112, "Сто двенадцать сомов"),
        (121, "Сто двадцать один сом"),
        (1_000, "Одна тысяча сомов"),
        (2_000, "Две тысячи сомов"),
        (4_000, "Четыре тысячи сомов"),
        (5_000, "Пять тысяч сомов"),
        (12_000, "Двенадцать тысяч сомов"),
        (21_000, "Двадцать одна тысяча сомов"),
        (22_000, "Двадцать две тысячи сомов"),
        (112_000, "Сто двенадцать тысяч сомов"),
        (1_000_000, "Один миллион сомов"),
        (2_000_000, "Два миллиона сомов"),
        (11_000_000, "Одиннадцать миллионов сомов"),
        (21_000_000, "Двадцать один миллион сомов"),
        (1_000_000_000, "Один миллиард сомов"),
        (3_000_000_000, "Три миллиарда сомов"),
        (13_000_000_000, "Тринадцать миллиардов сомов"),
    ];
    for &(som, want) in cases {
        assert_eq!(
            words(som * 100, Language::Ru),
            format!("{want} 00 тыйын"),
            "{som} som"
        );
    }
}

/// Amounts spelled out: weighted towards the small ones receipts show, but
/// reaching the largest.
fn amount_in_words_range() -> impl Strategy<Value = i64> {
    prop_oneof![0..=1_000_000_i64, 0..=MAX_WORDS_TYIYN]
}

fn language() -> impl Strategy<Value = Language> {
    prop_oneof![Just(Language::Ru), Just(Language::Ky), Just(Language::En)]
}

fn unit(language: Language) -> &'static str {
    match language {
        Language::Ru | Language::Ky => "тыйын",
        Language::En => "tyiyn",
    }
}

proptest! {
    #[test]
    fn spelled_out_amounts_are_words(tyiyn in amount_in_words_range(), language in language()) {
        let text = words(tyiyn, language);
        let first = text.chars().next();
        prop_assert!(first.is_some_and(char::is_uppercase), "{text:?}");
        let tail = format!(" {:02} {}", tyiyn % 100, unit(language));
        prop_assert!(text.ends_with(&tail), "{text:?} should end with {tail:?}");
        // The som are words: the only digits are those of the tyiyn, and
        // the words are joined by single spaces.
        let digits = text.chars().filter(char::is_ascii_digit).count();
        prop_assert_eq!(digits, 2, "{:?}", text);
        prop_assert!(!text.contains("  ") && !text.contains(" -"), "{text:?}");
        // Only the first letter is a capital.
        prop_assert!(!text.chars().skip(1).any(char::is_uppercase), "{text:?}");
    }

    /// Any `Money` at all gives a text without panicking: words, or figures
    /// above 999 999 999 999 som.
    #[test]
    fn every_amount_has_a_text(tyiyn in 0..=i64::MAX, language in language()) {
        let text = words(tyiyn, language);
        prop_assert!(!text.is_empty());
        let first = text.chars().next();
        prop_assert!(
            first.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit()),
            "{text:?}"
        );
        let tail = format!(" {:02} {}", tyiyn % 100, unit(language));
        prop_assert!(text.ends_with(&tail), "{text:?} should end with {tail:?}");
    }
}
