//! Request validation, done by the sandbox itself rather than with the
//! `domain` crate's card parsers.
//!
//! A real acquirer checks what it receives independently of the merchant:
//! sharing the merchant's parsers would hide the merchant's bugs from the
//! tests that run against the sandbox, and the merchant's brand table is a
//! list of the brands the site accepts (it refuses, say, a 12-digit number
//! or an Amex card), while the sandbox must take any Luhn-valid number of
//! 12 to 19 digits so that a merchant's own refusal can be tested. So the
//! Luhn check, the brand by prefix and the order-id shape live here.

use super::EngineError;
use crate::protocol::AuthoriseRequest;

/// The only currency the sandbox accepts.
pub const CURRENCY: &str = "KGS";
/// Largest amount accepted, in minor units: ten billion som.
const MAX_AMOUNT_MINOR: i64 = 1_000_000_000_000;

/// Luhn check over ASCII digits.
pub fn luhn_valid(number: &str) -> bool {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The card scheme, from the leading digits.
pub(super) fn brand(number: &str) -> &'static str {
    let prefix = |n: usize| number.get(..n).and_then(|p| p.parse::<u32>().ok());
    match (prefix(1), prefix(2), prefix(4)) {
        (Some(4), _, _) => "visa",
        (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => "mastercard",
        (_, _, Some(2200..=2204)) => "mir",
        (_, Some(34 | 37), _) => "amex",
        _ => "unknown",
    }
}

fn is_order_id(id: &str) -> bool {
    // At least one letter or digit: `.` and `..` are path segments a URL
    // parser would swallow.
    (1..=64).contains(&id.len())
        && id.bytes().any(|b| b.is_ascii_alphanumeric())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// An absolute http(s) URL, or a path on the challenge page's own origin.
fn valid_return_url(url: &str) -> bool {
    if url.is_empty() || url.len() > 2048 || url.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    if url.starts_with('/') {
        // `//host` and `/\host` are other origins to a browser.
        return !url.starts_with("//") && !url.starts_with("/\\");
    }
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// Checks a request; the messages never echo card values.
pub fn validate(request: &AuthoriseRequest) -> Result<(), EngineError> {
    let invalid = |message: &str| Err(EngineError::Invalid(message.to_owned()));
    let card = &request.card;
    if !is_order_id(&request.order_id) {
        return invalid(
            "order_id must be 1 to 64 letters, digits, '-', '_' or '.', with a letter or digit",
        );
    }
    if request.amount_minor <= 0 {
        return invalid("amount_minor must be positive");
    }
    if request.amount_minor > MAX_AMOUNT_MINOR {
        return invalid("amount_minor is too large");
    }
    if request.currency != CURRENCY {
        return invalid("currency must be KGS");
    }
    if !(12..=19).contains(&card.number.len()) || !card.number.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("card number must be 12 to 19 digits");
    }
    if !luhn_valid(&card.number) {
        return invalid("card number fails the Luhn check");
    }
    if !(1..=12).contains(&card.exp_month) {
        return invalid("exp_month must be 1 to 12");
    }
    if !(2000..=2099).contains(&card.exp_year) {
        return invalid("exp_year must be a four-digit year");
    }
    if !(3..=4).contains(&card.cvv.len()) || !card.cvv.bytes().all(|b| b.is_ascii_digit()) {
        return invalid("cvv must be 3 or 4 digits");
    }
    if card.holder.chars().count() > 100 || card.holder.chars().any(char::is_control) {
        return invalid("holder must be at most 100 characters, without control characters");
    }
    if !valid_return_url(&request.return_url) {
        return invalid("return_url must be an absolute http(s) URL or a path");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111111111111111"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4111-1111"));
    }

    #[test]
    fn brands() {
        assert_eq!(brand("4111111111111111"), "visa");
        assert_eq!(brand("5555555555554444"), "mastercard");
        assert_eq!(brand("2221000000000009"), "mastercard");
        assert_eq!(brand("2200000000000004"), "mir");
        assert_eq!(brand("378282246310005"), "amex");
        assert_eq!(brand("6011111111111117"), "unknown");
    }

    #[test]
    fn return_urls() {
        assert!(valid_return_url("https://tolem.kg/pay/return"));
        assert!(valid_return_url("http://127.0.0.1:3000/x?y=1"));
        assert!(valid_return_url("/pay/3ds-return"));
        assert!(!valid_return_url("//evil.example/x"));
        assert!(!valid_return_url("/\\evil.example"));
        assert!(!valid_return_url("javascript:alert(1)"));
        assert!(!valid_return_url("ftp://host/x"));
        assert!(!valid_return_url("relative/path"));
        assert!(!valid_return_url("/a\nb"));
    }
}
