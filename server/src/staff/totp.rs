//! The second factor: time-based one-time codes (RFC 6238: SHA-1, six
//! digits, 30-second steps, as every authenticator app reads them), the
//! `otpauth://` URI that enrols one and its QR code. A code is accepted
//! one step either side of now (clocks drift) and only once: the step it
//! was accepted at is stored, and no code of that step or an earlier one
//! is taken again.

use qrcode::QrCode;
use qrcode::render::svg;
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

const STEP_SECS: u64 = 30;

/// A new secret, base32 as stored and as authenticator apps take it.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    match Secret::Raw(bytes.to_vec()).to_encoded() {
        Secret::Encoded(text) => text,
        Secret::Raw(_) => unreachable!("to_encoded answers an encoded secret"),
    }
}

fn totp(secret: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        bytes,
        Some(issuer.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// The `otpauth://totp/...` URI an authenticator app enrols from.
pub fn enrolment_uri(secret: &str, issuer: &str, account: &str) -> Option<String> {
    totp(secret, issuer, account).map(|t| t.get_url())
}

/// The step (30-second period since the epoch) whose code `code` is, if it
/// is the code of the step before, at or after `unix_secs`.
pub fn check(secret: &str, code: &str, unix_secs: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "tolem", "staff")?;
    let now = unix_secs / STEP_SECS;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .find(|&step| constant_time_eq(totp.generate(step * STEP_SECS).as_bytes(), code.as_bytes()))
        .and_then(|step| i64::try_from(step).ok())
}

/// The code of `unix_secs`'s step (tests and the demo's sign-in hint).
pub fn code_at(secret: &str, unix_secs: u64) -> Option<String> {
    totp(secret, "tolem", "staff").map(|t| t.generate(unix_secs))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `text` (the enrolment URI) as an SVG QR code, to put inline in a page.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The renderer starts with an XML declaration, which has no place
    // inside an HTML document.
    image.find("<svg").map(|start| image[start..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_good_one_step_either_side_and_says_its_step() {
        let secret = new_secret();
        let at = 1_800_000_000;
        let step = (at / STEP_SECS) as i64;
        let code = code_at(&secret, at).expect("a code");
        assert_eq!(check(&secret, &code, at), Some(step));
        assert_eq!(check(&secret, &code, at + STEP_SECS), Some(step));
        assert_eq!(check(&secret, &code, at - STEP_SECS), Some(step));
        assert_eq!(check(&secret, &code, at + 2 * STEP_SECS), None);
        assert_eq!(check(&secret, "12345", at), None);
        assert_eq!(check(&secret, "abcdef", at), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(check(&secret, &spaced, at), Some(step));
    }

    #[test]
    fn the_uri_names_issuer_and_account_and_its_qr_is_inline_svg() {
        let secret = new_secret();
        let uri = enrolment_uri(&secret, "tolem", "clerk@infocom.kg").expect("uri");
        assert!(
            uri.starts_with("otpauth://totp/tolem:clerk%40infocom.kg?"),
            "{uri}"
        );
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        let svg = qr_svg(&uri).expect("svg");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
    }
}
