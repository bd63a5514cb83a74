//! Receipts beyond the payment flow: the receipts service the pages ask
//! ([`service`]), the signed verification codes printed on receipts
//! ([`signing`]), the PDF a citizen keeps ([`pdf`]) and its address
//! ([`download`]).

pub mod download;
pub mod pdf;
mod service;
mod signing;

pub use service::Receipts;
pub use signing::ReceiptSigner;
