//! The tolem web application: server-rendered pages, the card-form island and
//! the `pay` server function. Compiled twice: into the server (feature `ssr`)
//! and into the WebAssembly bundle (feature `hydrate`), where only the islands
//! and the client half of the server function exist.
#![recursion_limit = "256"]

pub mod api;
pub mod card_form;
pub mod islands;

#[cfg(feature = "ssr")]
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "ssr")]
pub mod feedback;
#[cfg(feature = "ssr")]
pub mod format;
#[cfg(feature = "ssr")]
pub mod lang;
#[cfg(feature = "ssr")]
pub mod messages;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod shell;

/// Called by the WebAssembly entry point so the linker keeps this crate's
/// island exports in the bundle.
pub fn islands_linked() {}
