//! The card acquirer tolem charges through: the signed JSON protocol
//! ([`protocol`]), the HTTP client the site uses ([`client`]), and a sandbox
//! acquirer for development, tests and demonstrations ([`engine`] decides,
//! [`http`] serves it; the `sandbox-acquirer` binary runs it on its own).
//!
//! Card numbers and CVVs cross this crate only inside
//! [`protocol::AuthoriseRequest`]: no log line, error text or `Debug` output
//! of the crate carries them, and the sandbox keeps only the first six and
//! last four digits.

pub mod client;
pub mod engine;
pub mod http;
pub mod protocol;

pub use client::{Client, ClientConfig, ClientError};
pub use engine::{
    Answer, CardBehaviour, Engine, EngineConfig, EngineError, Fault, FaultKind, FaultPlan,
    NotifyConfig, TEST_CARDS,
};
pub use protocol::{
    AuthoriseRequest, CardData, Challenge, DeclineCode, LedgerEntry, Notification, OrderResponse,
    OrderStatus, ThreeDsMode,
};
