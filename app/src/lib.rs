//! The tolem web application. Compiled twice: into the server (feature
//! `ssr`) and into the WebAssembly bundle (feature `hydrate`), where only the
//! card form's island, its checks, the wire types, the site's paths and the
//! client half of the `pay` server function exist.
//!
//! - `pay/`: paying (the island, the server function and its body, what
//!   follows a submit); `card_form`: the card checks both sides run;
//!   `api`: what crosses the wire; `paths`: every address of the site.
//! - Server only: `pages/` (one file per page), `backoffice/` (the staff's
//!   pages, one file each), `services/` (what pages ask
//!   of the server, one trait per feature), `feedback` (the form's checks),
//!   `messages` (typed messages), `http` (status, redirects, headers),
//!   `shell` (the document around a page), `lang`, `format`.
#![recursion_limit = "256"]

pub mod api;
pub mod card_form;
pub mod paths;
pub mod pay;

#[cfg(feature = "ssr")]
include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

#[cfg(feature = "ssr")]
pub mod backoffice;
#[cfg(feature = "ssr")]
pub mod feedback;
#[cfg(feature = "ssr")]
pub mod format;
#[cfg(feature = "ssr")]
pub mod http;
#[cfg(feature = "ssr")]
pub mod integrity;
#[cfg(feature = "ssr")]
pub mod lang;
#[cfg(feature = "ssr")]
pub mod messages;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod qr;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod shell;

/// Called by the WebAssembly entry point so the linker keeps this crate's
/// island exports in the bundle.
pub fn islands_linked() {}
