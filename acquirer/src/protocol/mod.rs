//! The wire protocol between a merchant (our site) and the card acquirer:
//! the JSON messages and how both sides sign them.
//!
//! Every message is signed with HMAC-SHA256 under a key both sides share.
//! The signed text is `"{timestamp}\n{method}\n{path}\n"` followed by the raw
//! body bytes, and travels in two headers, [`TIMESTAMP_HEADER`] (Unix seconds)
//! and [`SIGNATURE_HEADER`] (lowercase hex):
//!
//! - requests (merchant → acquirer) sign the HTTP method and the request path
//!   including its query, e.g. `POST` and `/v1/orders`;
//! - responses sign `RESPONSE <status code> <request signature>` (see
//!   [`response_method`]) and the path of the request they answer, so an
//!   answer cannot be replayed for another request, even one on the same
//!   path, or with another status;
//! - notifications (acquirer → merchant) are signed like requests: `POST` and
//!   the path of the notification URL.
//!
//! A signature older or newer than [`MAX_SKEW_SECS`] is refused, which bounds
//! how long a captured message can be replayed; the acquirer's idempotency on
//! order ids makes a replay inside that window harmless.
//!
//! The messages carry card data ([`CardData`]) in one direction only, and the
//! `Debug` output of every card-bearing type is redacted so that a stray
//! `{:?}` in a log line cannot leak a card number or a CVV.

mod messages;
mod signing;
#[cfg(test)]
mod tests;

pub use messages::*;
pub use signing::*;
