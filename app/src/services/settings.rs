//! What the site is configured with and every page may read: the support
//! contacts, the card brand table (with the configured Elcart prefix),
//! whether it is in test mode, and the clock.

use chrono::{DateTime, Datelike, Utc};
use domain::{BrandTable, YearMonth};
use std::sync::Arc;

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How citizens reach the operator's support, from configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SupportContacts {
    pub email: String,
    /// As written for people, e.g. "(0312) 98-61-90"; links dial the digits.
    pub phones: Vec<String>,
}

pub struct SiteSettings {
    pub contacts: SupportContacts,
    pub brand_table: BrandTable,
    /// The Elcart prefix the brand table was built with: the card form's
    /// island builds the same table from it.
    pub elcart_prefix: String,
    /// No real money is taken (the sandbox, or a staging acquirer): every
    /// page shows a banner saying so.
    pub test_mode: bool,
    /// The site's address as browsers reach it (`https://pay.example.kg`),
    /// printed in receipts' verification addresses.
    pub site_url: String,
    /// The release's scripts and stylesheet with their hashes; `None` when
    /// the release has no manifest, and then no page offers a script.
    pub assets: Option<crate::integrity::PinnedAssets>,
    pub clock: Clock,
}

impl SiteSettings {
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }
}

/// The month a card's expiry is compared with: the calendar month in Bishkek.
pub fn current_month(now: DateTime<Utc>) -> YearMonth {
    let local = now.with_timezone(&chrono_tz::Asia::Bishkek);
    YearMonth {
        year: u16::try_from(local.year()).unwrap_or(u16::MAX),
        month: u8::try_from(local.month()).unwrap_or(1),
    }
}
