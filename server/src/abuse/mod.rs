//! Keeping card testers out (OWASP OAT-001): the limits on payment attempts
//! per client address, browser, card and payment code, with the site-wide
//! decline-ratio tripwire ([`velocity`]), and the throttle on lookups by
//! payment code ([`lookups`]). The limits come from configuration
//! ([`AbuseLimits`]); the attempts are counted in the database, so they hold
//! across every server of one database.

pub mod lookups;
pub mod velocity;

use std::time::Duration;

/// At most so many attempts, and so many declines, in the window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub attempts: i64,
    pub declines: i64,
}

/// How much one client, card or code may try, from configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbuseLimits {
    /// Off only for load tests and benchmarks that pay from one address.
    pub enabled: bool,
    /// The window the attempts are counted in.
    pub window: Duration,
    /// Per client address and per browser.
    pub per_client: Limit,
    /// Per card (by its keyed fingerprint).
    pub per_card: Limit,
    pub per_code: Limit,
    /// The tripwire: when at least `tripwire_min_attempts` attempts were
    /// made on the site in `tripwire_window` and this share (percent) or
    /// more of them were declined, clients that never paid get the cool-down.
    pub tripwire_decline_percent: i64,
    pub tripwire_min_attempts: i64,
    pub tripwire_window: Duration,
    /// While the tripwire holds, a client that never paid makes one attempt
    /// per cool-down.
    pub cool_down: Duration,
    /// Lookups by payment code per client and minute (a burst of as many,
    /// then one every `60 / n` seconds); 0 for none.
    pub lookups_per_minute: u32,
    /// Every lookup takes at least this long, whether the code exists or not.
    pub lookup_floor: Duration,
}

impl Default for AbuseLimits {
    /// The defaults of production: a citizen pays a few fees with one or
    /// two cards and mistypes a few times; a family or an office behind one
    /// address pays more, and so the address's limit is counted per hour
    /// and is far above one person's; a tester's stolen cards mostly
    /// decline, which is what the decline limits and the tripwire catch.
    fn default() -> Self {
        AbuseLimits {
            enabled: true,
            window: Duration::from_secs(3600),
            per_client: Limit {
                attempts: 10,
                declines: 5,
            },
            per_card: Limit {
                attempts: 10,
                declines: 3,
            },
            per_code: Limit {
                attempts: 10,
                declines: 5,
            },
            tripwire_decline_percent: 50,
            tripwire_min_attempts: 20,
            tripwire_window: Duration::from_secs(600),
            cool_down: Duration::from_secs(1800),
            lookups_per_minute: 20,
            lookup_floor: Duration::from_millis(50),
        }
    }
}

impl AbuseLimits {
    /// No limits: for load tests and benchmarks that pay from one address.
    pub fn off() -> AbuseLimits {
        AbuseLimits {
            enabled: false,
            lookups_per_minute: 0,
            lookup_floor: Duration::ZERO,
            ..AbuseLimits::default()
        }
    }
}
