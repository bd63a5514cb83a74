//! The amount of a receipt in words, in Russian, Kyrgyz or English.
//!
//! Receipts print the amount in words beside the figures, as payment orders
//! do, so that a figure smudged in print or altered by hand can be checked
//! against the words. Whole som are spelled out; tyiyn stay two figures
//! ("05 тыйын"), the usual way of writing the minor unit on payment papers.
//! Amounts up to 999 999 999 999 som are spelled out; the few larger ones a
//! [`Money`] can hold, which no fee comes near, are printed in figures rather
//! than with scale words nobody could check at a glance.

use crate::money::Money;

/// A language receipts are printed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Ru,
    Ky,
    En,
}

/// The largest whole som spelled out; above it the som are given in figures.
const MAX_IN_WORDS: u64 = 999_999_999_999;

/// Index of the thousand in [`Vocabulary::scales`], the one scale word that
/// is feminine in Russian (одна тысяча, две тысячи).
const THOUSAND: usize = 0;

/// The words of one language.
///
/// Nouns after a numeral are given as `[one, few, many]`, the three Russian
/// forms (1 сом, 2 сома, 5 сомов). Kyrgyz and English nouns do not change
/// after a numeral, so their three forms are one word repeated, and a single
/// spelling routine serves all three languages.
struct Vocabulary {
    zero: &'static str,
    /// Indexed by the digit; index 0 is never used.
    units: [&'static str; 10],
    /// The units before a feminine noun; the same as `units` where the
    /// language has no gender.
    units_feminine: [&'static str; 10],
    /// 10 to 19, indexed by the last digit.
    teens: [&'static str; 10],
    /// Indexed by the tens digit; 0 and 1 are never used.
    tens: [&'static str; 10],
    /// What joins tens and units: English writes "forty-one" as one word.
    tens_units_joiner: char,
    /// Indexed by the hundreds digit; index 0 is never used.
    hundreds: [&'static str; 10],
    /// Thousand, million, billion.
    scales: [[&'static str; 3]; 3],
    som: [&'static str; 3],
    tyiyn: &'static str,
    /// Between groups of three digits when the som are given in figures.
    group_separator: char,
}

const RU_UNITS: [&str; 10] = [
    "",
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
];
const KY_UNITS: [&str; 10] = [
    "",
    "бир",
    "эки",
    "үч",
    "төрт",
    "беш",
    "алты",
    "жети",
    "сегиз",
    "тогуз",
];
const EN_UNITS: [&str; 10] = [
    "", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

const RU: Vocabulary = Vocabulary {
    zero: "ноль",
    units: RU_UNITS,
    units_feminine: [
        "",
        "одна",
        "две",
        "три",
        "четыре",
        "пять",
        "шесть",
        "семь",
        "восемь",
        "девять",
    ],
    teens: [
        "десять",
        "одиннадцать",
        "двенадцать",
        "тринадцать",
        "четырнадцать",
        "пятнадцать",
        "шестнадцать",
        "семнадцать",
        "восемнадцать",
        "девятнадцать",
    ],
    tens: [
        "",
        "",
        "двадцать",
        "тридцать",
        "сорок",
        "пятьдесят",
        "шестьдесят",
        "семьдесят",
        "восемьдесят",
        "девяносто",
    ],
    tens_units_joiner: ' ',
    hundreds: [
        "",
        "сто",
        "двести",
        "триста",
        "четыреста",
        "пятьсот",
        "шестьсот",
        "семьсот",
        "восемьсот",
        "девятьсот",
    ],
    scales: [
        ["тысяча", "тысячи", "тысяч"],
        ["миллион", "миллиона", "миллионов"],
        ["миллиард", "миллиарда", "миллиардов"],
    ],
    som: ["сом", "сома", "сомов"],
    tyiyn: "тыйын",
    group_separator: ' ',
};

const KY: Vocabulary = Vocabulary {
    zero: "нөл",
    units: KY_UNITS,
    units_feminine: KY_UNITS,
    // Kyrgyz teens are regular ("он бир" is "ten one"), listed only so the
    // three languages share one routine.
    teens: [
        "он",
        "он бир",
        "он эки",
        "он үч",
        "он төрт",
        "он беш",
        "он алты",
        "он жети",
        "он сегиз",
        "он тогуз",
    ],
    tens: [
        "",
        "",
        "жыйырма",
        "отуз",
        "кырк",
        "элүү",
        "алтымыш",
        "жетимиш",
        "сексен",
        "токсон",
    ],
    tens_units_joiner: ' ',
    // A hundred is "жүз" alone, but a thousand is "бир миң": the scales take
    // their count from `units`, the hundreds do not.
    hundreds: [
        "",
        "жүз",
        "эки жүз",
        "үч жүз",
        "төрт жүз",
        "беш жүз",
        "алты жүз",
        "жети жүз",
        "сегиз жүз",
        "тогуз жүз",
    ],
    scales: [
        ["миң", "миң", "миң"],
        ["миллион", "миллион", "миллион"],
        ["миллиард", "миллиард", "миллиард"],
    ],
    som: ["сом", "сом", "сом"],
    tyiyn: "тыйын",
    group_separator: ' ',
};

const EN: Vocabulary = Vocabulary {
    zero: "zero",
    units: EN_UNITS,
    units_feminine: EN_UNITS,
    teens: [
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ],
    tens: [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ],
    tens_units_joiner: '-',
    hundreds: [
        "",
        "one hundred",
        "two hundred",
        "three hundred",
        "four hundred",
        "five hundred",
        "six hundred",
        "seven hundred",
        "eight hundred",
        "nine hundred",
    ],
    scales: [
        ["thousand", "thousand", "thousand"],
        ["million", "million", "million"],
        ["billion", "billion", "billion"],
    ],
    som: ["som", "som", "som"],
    tyiyn: "tyiyn",
    group_separator: ',',
};

impl Language {
    fn vocabulary(self) -> &'static Vocabulary {
        match self {
            Language::Ru => &RU,
            Language::Ky => &KY,
            Language::En => &EN,
        }
    }
}

/// The amount in words, first letter capitalised, tyiyn in figures as two
/// digits.
///
/// Above 999 999 999 999 som the som are given in figures instead
/// ("1 000 000 000 000 сомов 00 тыйын"), so every [`Money`] has a text.
///
/// ```
/// use domain::{Language, Money, amount_in_words};
///
/// let fee = Money::from_tyiyn(124_105).expect("not negative");
/// assert_eq!(
///     amount_in_words(fee, Language::Ru),
///     "Одна тысяча двести сорок один сом 05 тыйын"
/// );
/// assert_eq!(
///     amount_in_words(fee, Language::Ky),
///     "Бир миң эки жүз кырк бир сом 05 тыйын"
/// );
/// assert_eq!(
///     amount_in_words(fee, Language::En),
///     "One thousand two hundred forty-one som 05 tyiyn"
/// );
/// ```
#[must_use]
pub fn amount_in_words(amount: Money, language: Language) -> String {
    let v = language.vocabulary();
    // Money is never negative, so this is the som count itself, and unlike a
    // cast it cannot wrap if that ever changed.
    let som = amount.som().unsigned_abs();
    let mut out = String::new();
    if som > MAX_IN_WORDS {
        out = in_figures(som, v.group_separator);
    } else if som == 0 {
        push_word(&mut out, v.zero);
    } else {
        let groups = [
            (som / 1_000_000_000 % 1000, Some(2)),
            (som / 1_000_000 % 1000, Some(1)),
            (som / 1000 % 1000, Some(THOUSAND)),
            (som % 1000, None),
        ];
        for (count, scale) in groups {
            if count == 0 {
                continue;
            }
            push_below_thousand(&mut out, v, count, scale == Some(THOUSAND));
            if let Some(forms) = scale.and_then(|s| v.scales.get(s)) {
                push_word(&mut out, plural(forms, count));
            }
        }
    }
    push_word(&mut out, plural(&v.som, som));
    push_word(&mut out, &format!("{:02}", amount.tyiyn_part()));
    push_word(&mut out, v.tyiyn);
    capitalise_first(&out)
}

/// Spells out 1 to 999 (`n` is never 0 or above 999 here).
fn push_below_thousand(out: &mut String, v: &Vocabulary, n: u64, feminine: bool) {
    let units = if feminine {
        &v.units_feminine
    } else {
        &v.units
    };
    let (hundreds, tens, unit) = (n / 100 % 10, n / 10 % 10, n % 10);
    push_word(out, pick(&v.hundreds, hundreds));
    if tens == 1 {
        push_word(out, pick(&v.teens, unit));
        return;
    }
    push_word(out, pick(&v.tens, tens));
    if unit == 0 {
        return;
    }
    if tens == 0 {
        push_word(out, pick(units, unit));
    } else {
        out.push(v.tens_units_joiner);
        out.push_str(pick(units, unit));
    }
}

/// The form of a noun after `count`, by the Russian rule (the forms of the
/// other languages are all alike): 1, 21, 101 take "one"; 2–4, 22–24 take
/// "few"; 0, 5–20, 25–30, 111–114 take "many".
fn plural(forms: &[&'static str; 3], count: u64) -> &'static str {
    let form = match (count % 10, count % 100) {
        (_, 11..=14) => 2,
        (1, _) => 0,
        (2..=4, _) => 1,
        _ => 2,
    };
    pick(forms, form)
}

/// A word from a table; every index used is in range, and an empty word
/// (rather than a panic) would be the worst outcome of a mistake.
fn pick(table: &[&'static str], index: u64) -> &'static str {
    usize::try_from(index)
        .ok()
        .and_then(|i| table.get(i))
        .copied()
        .unwrap_or("")
}

/// Appends `word` after a space; empty words are skipped so unused table
/// slots never leave double spaces.
fn push_word(out: &mut String, word: &str) {
    if word.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(word);
}

/// `som` in figures, grouped by three digits.
fn in_figures(som: u64, separator: char) -> String {
    let digits = som.to_string();
    let mut out = String::with_capacity(digits.len() * 2);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// `s` with its first letter upper-cased (Unicode-aware, so "нөл" becomes
/// "Нөл").
fn capitalise_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests;
