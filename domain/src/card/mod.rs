//! Everything the citizen types into the card form, as parsed types.
//!
//! Each type is built only by parsing, so code that holds one never has to
//! re-check it, and none of them can print card data in full.

mod brand;
mod cvv;
mod expiry;
mod holder;
mod number;

pub use brand::{BrandRule, BrandTable, BrandTableError, CardBrand};
pub use cvv::{Cvv, CvvError};
pub use expiry::{Expiry, ExpiryError, YearMonth};
pub use holder::{CardholderName, CardholderNameError};
pub use number::{CardNumber, CardNumberError, digits_only, group_in_fours, luhn_valid};
