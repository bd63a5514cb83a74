//! Integration tests: the real server on port 0 with a fresh SQLite file,
//! driven over HTTP the way browsers (with and without JavaScript) drive it.

mod agencies;
mod agencies_desk;
mod backoffice;
mod backoffice_access;
mod carding;
mod crash;
mod cross_origin;
mod documents;
mod documents_desk;
mod errors;
mod floods;
mod gateway;
mod helpers;
mod idempotency;
mod late_acquirer;
mod lookup;
mod monitoring;
mod overview;
mod page_copies;
mod page_integrity;
mod pay;
mod receipts;
mod receiver;
mod recovery;
mod refunds;
mod security;
mod site;
mod staff;
mod startup;
mod three_ds;
mod traffic;
mod webhooks;
