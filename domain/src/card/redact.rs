//! Card numbers found in text that was never meant to hold one: a URL
//! someone typed a card number into, a browser's report of a blocked
//! request, a feedback message. Whatever is logged or stored from outside
//! passes through here.

use super::luhn_valid;
use std::borrow::Cow;
use std::ops::Range;

/// What a card number is replaced with.
pub const REDACTED: &str = "[card number]";

/// Where `text` holds something that looks like a card number, and its
/// digits: 13 to 19 digits in a row that pass the Luhn check and start as
/// bank cards do (2–6, 8 for UnionPay's 81 range, or 9), grouped or not by
/// one space, `-`, `+` or `%20` (a number typed into a URL). Payment codes
/// (starting 11, 13, 16) and phone numbers do not match.
pub fn card_numbers_in(text: &str) -> Vec<(Range<usize>, String)> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_digit() {
            at += 1;
            continue;
        }
        let (end, digits) = digit_run(bytes, at);
        if (13..=19).contains(&digits.len())
            && matches!(digits.as_bytes()[0], b'2'..=b'6' | b'8' | b'9')
            && luhn_valid(&digits)
        {
            found.push((at..end, digits));
        }
        at = end;
    }
    found
}

/// `text` with everything that looks like a card number
/// ([`card_numbers_in`]) replaced by [`REDACTED`].
pub fn redact_card_numbers(text: &str) -> Cow<'_, str> {
    let found = card_numbers_in(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (span, _) in found {
        out.push_str(&text[copied..span.start]);
        out.push_str(REDACTED);
        copied = span.end;
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Where the run of digits starting at `start` ends (after its last digit),
/// and its digits without the separators.
fn digit_run(bytes: &[u8], start: usize) -> (usize, String) {
    let mut digits = String::new();
    let mut at = start;
    let mut end = start;
    while at < bytes.len() {
        if bytes[at].is_ascii_digit() {
            digits.push(char::from(bytes[at]));
            at += 1;
            end = at;
            continue;
        }
        let separator = match bytes[at] {
            b' ' | b'-' | b'+' => 1,
            b'%' if bytes[at..].starts_with(b"%20") => 3,
            _ => 0,
        };
        // A separator counts only between digits.
        if separator == 0 || !bytes.get(at + separator).is_some_and(u8::is_ascii_digit) {
            break;
        }
        at += separator;
    }
    (end, digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_hidden_however_they_are_grouped() {
        for text in [
            "/pay/4111111111111111",
            "/pay/4111 1111 1111 1111",
            "/pay/4111-1111-1111-1111",
            "/pay/4111%201111%201111%201111",
            "/pay/4111+1111+1111+1111",
        ] {
            assert_eq!(redact_card_numbers(text), "/pay/[card number]", "{text}");
        }
        assert_eq!(
            redact_card_numbers("a 5555555555554444 b 4000000000000002."),
            "a [card number] b [card number]."
        );
    }

    #[test]
    fn other_digits_are_left_alone() {
        // A payment code, a number failing the Luhn check, a short run, a date.
        for text in [
            "/pay/1234567890",
            "/pay/11202600000001",
            "/pay/4111111111111112",
            "/receipt/123",
            "2026-12-03 07:30",
            "",
        ] {
            assert!(
                matches!(redact_card_numbers(text), Cow::Borrowed(_)),
                "{text}"
            );
        }
    }
}
