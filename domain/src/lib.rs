//! Domain types of the payments site for government services of Kyrgyzstan.
//!
//! Pure data and validation, shared by the server and the browser (wasm32):
//! no I/O, no clock (the current month is always passed in), no web
//! framework. Every type that carries user input is built only by parsing,
//! every error has a translation key, and no error or `Debug` output ever
//! contains the input, so card data cannot leak into logs or panics.
//!
//! ```
//! use domain::{BrandTable, CardBrand, CardNumber, Cvv, Expiry, Money, YearMonth};
//!
//! let table = BrandTable::default();
//! let card = CardNumber::parse("4111 1111 1111 1111", &table).expect("valid test card");
//! assert_eq!(card.brand(), CardBrand::Visa);
//! assert_eq!(format!("{card:?}"), r#"CardNumber { brand: Visa, masked: "411111******1111", .. }"#);
//!
//! let today = YearMonth { year: 2025, month: 6 };
//! let expiry = Expiry::parse("06/25", today).expect("current month is still valid");
//! assert_eq!(expiry.as_mm_yy(), "06/25");
//!
//! let cvv = Cvv::parse("123", Some(card.brand())).expect("three digits");
//! assert_eq!(format!("{cvv:?}"), "Cvv(***)");
//!
//! let fee: Money = "1 234,50".parse().expect("valid amount");
//! assert_eq!(fee.format(" ", ","), "1 234,50");
//!
//! let typo = CardNumber::parse("4111 1111 1111 1112", &table);
//! assert_eq!(typo.map_err(|e| e.key()), Err("card_number_luhn"));
//! ```

pub mod card;
pub mod decline;
pub mod document;
pub mod ids;
pub mod money;
pub mod payment;
pub mod payment_code;
pub mod receipt;
pub mod refund;
pub mod request;
pub mod staff;
pub mod words;

pub use card::*;
pub use decline::*;
pub use document::*;
pub use ids::*;
pub use money::*;
pub use payment::*;
pub use payment_code::*;
pub use receipt::*;
pub use refund::*;
pub use request::*;
pub use words::{Language, amount_in_words};
