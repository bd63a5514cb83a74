//! Every address of the site, built in one place: the pages, the card form
//! island, the server's handlers and the payment service all take their URLs
//! from here, so a route cannot drift from the links that lead to it.

use domain::{DocumentKind, PaymentCode, PaymentId, VerificationCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub const HOME: &str = "/";
pub const DOCUMENTS: &str = "/documents";
pub const CONTACTS: &str = "/contacts";
pub const FEEDBACK: &str = "/feedback";
pub const FEEDBACK_SENT: &str = "/feedback/sent";
/// Finding a receipt again by its payment code and receipt number.
pub const FIND_RECEIPT: &str = "/find-receipt";
/// Checking a receipt: the form for a code typed by hand.
pub const VERIFY: &str = "/verify";
/// Where browsers report what a page's security policy blocked.
pub const CSP_REPORTS: &str = "/csp-reports";
/// The payment page's scripts, their hashes and why each is there.
pub const PAYMENT_PAGE_INVENTORY: &str = "/security/payment-page.json";

/// The lookup result for a code, as the home page's form asks for it.
pub fn lookup(code: &PaymentCode) -> String {
    format!("/?code={code}")
}

/// The pay page of a payment code (the no-JS form posts back to it).
pub fn pay(code: &PaymentCode) -> String {
    format!("/pay/{code}")
}

/// A payment's status page: the bank's challenge, or "we are confirming".
pub fn payment(id: &PaymentId) -> String {
    format!("/payment/{id}")
}

/// Where the issuer's challenge sends the browser back to (prefixed with the
/// site's public URL when the acquirer is elsewhere).
pub fn challenge_return(id: &PaymentId) -> String {
    format!("/payment/{id}/3ds")
}

/// A paid payment's receipt.
pub fn receipt(id: &PaymentId) -> String {
    format!("/receipt/{id}")
}

/// A paid payment's receipt as a PDF.
pub fn receipt_pdf(id: &PaymentId) -> String {
    format!("/receipt/{id}.pdf")
}

/// Finding a receipt again, with the payment code already filled in.
pub fn find_receipt(code: &PaymentCode) -> String {
    format!("{FIND_RECEIPT}?code={code}")
}

/// What a receipt's verification code vouches for (the QR code's target).
pub fn verify(code: &VerificationCode) -> String {
    format!("{VERIFY}/{code}")
}

/// A document: the edition in force.
pub fn document(kind: DocumentKind) -> String {
    format!("/documents/{}", kind.slug())
}

/// A document's earlier editions.
pub fn archive(kind: DocumentKind) -> String {
    format!("/documents/{}/editions", kind.slug())
}

/// The permanent address of one edition.
pub fn edition(kind: DocumentKind, edition: u32) -> String {
    format!("/documents/{}/editions/{edition}", kind.slug())
}

/// The language switch, returning to `next` (a path on this site).
pub fn language(tag: &str, next: &str) -> String {
    format!("/lang/{tag}?next={}", percent_encode_query(next))
}

/// Everything but unreserved characters and `/` is percent-encoded in a
/// query value (RFC 3986 section 2.3).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'/');

/// Percent-encodes a query value.
pub fn percent_encode_query(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_spelt_as_the_routes_expect() {
        let code = PaymentCode::parse("11202600000001").unwrap();
        let id = PaymentId::from_u128(0xab);
        assert_eq!(pay(&code), "/pay/11202600000001");
        assert_eq!(lookup(&code), "/?code=11202600000001");
        assert_eq!(receipt(&id), "/receipt/000000000000000000000000000000ab");
        assert_eq!(
            challenge_return(&id),
            "/payment/000000000000000000000000000000ab/3ds"
        );
        assert_eq!(
            edition(DocumentKind::UserAgreement, 2),
            "/documents/user-agreement/editions/2"
        );
        assert_eq!(
            language("en", "/?code=1 2&x"),
            "/lang/en?next=/%3Fcode%3D1%202%26x"
        );
    }
}
