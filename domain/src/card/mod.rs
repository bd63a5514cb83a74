//! Everything the citizen types into the card form, as parsed types.
//!
//! Each type is built only by parsing, so code that holds one never has to
//! re-check it, and none of them can print card data in full.

mod brand;
mod cvv;
mod expiry;
mod holder;
mod number;
mod redact;

pub use brand::{BrandRule, BrandTable, BrandTableError, CardBrand};
pub use cvv::{Cvv, CvvError};
pub use expiry::{Expiry, ExpiryError, YearMonth};
pub use holder::{CardholderName, CardholderNameError};
pub use number::{CardNumber, CardNumberError, digits_only, group_in_fours, luhn_valid};
pub use redact::{REDACTED, card_numbers_in, redact_card_numbers};

/// A card form that passed every check: what the acquirer is sent. It lives
/// in memory for one payment and is never stored (only brand, first six and
/// last four are).
#[derive(Debug)]
pub struct CheckedCard {
    pub cardholder: CardholderName,
    pub number: CardNumber,
    pub expiry: Expiry,
    pub cvv: Cvv,
}
