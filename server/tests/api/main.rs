//! Integration tests: the real server on port 0 with a fresh SQLite file,
//! driven over HTTP the way browsers (with and without JavaScript) drive it.

mod helpers;
mod lookup;
mod pay;
mod security;
mod site;
