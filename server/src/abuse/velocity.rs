//! The limits on payment attempts: before an attempt is recorded (and so
//! before the acquirer hears of it), the attempts and declines of its
//! client address, browser, card fingerprint and payment code in the window
//! are read from the payments, and an attempt over any limit is refused
//! with the time to wait. A site-wide tripwire watches the share of
//! declines: past it, clients that never paid make one attempt per
//! cool-down, and an alert line is logged.

use super::{AbuseLimits, Limit};
use crate::pseudonyms::Pseudonyms;
use crate::storage::{PaymentStore, StoreError, Subjects, Tally};
use app::services::{Client, Clock};
use chrono::{DateTime, Utc};
use domain::{CardNumber, PaymentCode};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The name of the generated pseudonym key in the database's secrets.
const KEY_NAME: &str = "attempt-pseudonym-key";
/// How long one server trusts its reading of the site's decline share: a
/// bot pays a few hundred times a second, a reading a second old would let
/// hundreds through; ten readings a second of one indexed count are cheap
/// at a payment site's volume (a window's rows, not the table's).
const TRIPWIRE_FRESH: Duration = Duration::from_millis(100);
/// Declines this server saw since its last reading that make it read again
/// at once: a bot faster than ten readings a second is read every few of
/// its declines, while citizens, who are seldom declined, cost no more.
const EARLY_READ_DECLINES: u32 = 5;

/// The pseudonyms an attempt is counted under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub client: String,
    pub browser: Option<String>,
    pub card: String,
}

impl Attempt {
    pub fn subjects(&self) -> Subjects<'_> {
        Subjects {
            client: Some(&self.client),
            browser: self.browser.as_deref(),
            card_fingerprint: Some(&self.card),
        }
    }
}

/// Why an attempt was refused, for the log (the citizen reads one message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Over {
    Client,
    Browser,
    Card,
    Code,
    Tripwire,
}

/// An attempt refused: wait this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub over: Over,
    pub retry_after: Duration,
}

#[derive(Default)]
struct TripwireReading {
    read_at: Option<Instant>,
    tripped: bool,
}

pub struct Guard {
    store: Arc<dyn PaymentStore>,
    clock: Clock,
    limits: AbuseLimits,
    pseudonyms: Pseudonyms,
    tripwire: Mutex<TripwireReading>,
    /// Declines of this server's attempts since its last reading.
    declines_seen: AtomicU32,
}

fn over(tally: Tally, limit: Limit) -> bool {
    tally.attempts >= limit.attempts || tally.declines >= limit.declines
}

impl Guard {
    pub async fn open(
        store: Arc<dyn PaymentStore>,
        clock: Clock,
        limits: AbuseLimits,
    ) -> Result<Guard, StoreError> {
        let pseudonyms = Pseudonyms::open(store.as_ref(), &clock, KEY_NAME, None).await?;
        Ok(Guard {
            store,
            clock,
            limits,
            pseudonyms,
            tripwire: Mutex::default(),
            declines_seen: AtomicU32::new(0),
        })
    }

    /// The pseudonyms of an attempt: the card only by its keyed
    /// fingerprint, the browser's id as the cookie carried it (a random id
    /// of ours, nothing of the person). None while the limits are off:
    /// nothing is kept that nothing counts.
    pub fn attempt(&self, client: &Client, number: &CardNumber) -> Option<Attempt> {
        if !self.limits.enabled {
            return None;
        }
        let card = zeroize::Zeroizing::new(format!("card:{}", number.expose_digits()));
        Some(Attempt {
            client: self
                .pseudonyms
                .of(format!("address:{}", client.address).as_bytes()),
            browser: client.browser.clone(),
            card: self.pseudonyms.of(card.as_bytes()),
        })
    }

    /// Whether the attempt may go on to the acquirer (always, with the
    /// limits off).
    pub async fn admit(
        &self,
        attempt: Option<&Attempt>,
        code: &PaymentCode,
    ) -> Result<(), AdmitError> {
        let Some(attempt) = attempt else {
            return Ok(());
        };
        let now = (self.clock)();
        let since = now - chrono_of(self.limits.window);
        let limits = &self.limits;
        // Attempts first, from the indexes alone; their declines (which read
        // the payments) only when a subject made as many attempts as some
        // limit allows declines, since a first attempt never needs them.
        let attempts = self
            .store
            .tallies(attempt.subjects(), code, since, false)
            .await
            .map_err(AdmitError::Store)?;
        let fewest_declines = limits
            .per_client
            .declines
            .min(limits.per_card.declines)
            .min(limits.per_code.declines);
        let busiest = [
            attempts.client,
            attempts.browser,
            attempts.card,
            attempts.code,
        ]
        .iter()
        .map(|t| t.attempts)
        .max()
        .unwrap_or(0);
        let tallies = if busiest >= fewest_declines {
            self.store
                .tallies(attempt.subjects(), code, since, true)
                .await
                .map_err(AdmitError::Store)?
        } else {
            attempts
        };
        for (tally, limit, which) in [
            (tallies.client, limits.per_client, Over::Client),
            (tallies.browser, limits.per_client, Over::Browser),
            (tallies.card, limits.per_card, Over::Card),
            (tallies.code, limits.per_code, Over::Code),
        ] {
            if over(tally, limit) {
                return Err(AdmitError::Refused(Refused {
                    over: which,
                    retry_after: limits.window,
                }));
            }
        }
        if self.tripped(now).await.map_err(AdmitError::Store)?
            && !self
                .store
                .ever_paid(attempt.subjects())
                .await
                .map_err(AdmitError::Store)?
        {
            let recent = self
                .store
                .tallies(
                    attempt.subjects(),
                    code,
                    now - chrono_of(limits.cool_down),
                    false,
                )
                .await
                .map_err(AdmitError::Store)?;
            if recent.client.attempts > 0 || recent.browser.attempts > 0 {
                return Err(AdmitError::Refused(Refused {
                    over: Over::Tripwire,
                    retry_after: limits.cool_down,
                }));
            }
        }
        Ok(())
    }

    /// Whether the site's declines are over the tripwire's share, read at
    /// most every [`TRIPWIRE_FRESH`] per server (sooner after
    /// [`EARLY_READ_DECLINES`] of its own declines); the moment it trips or clears is
    /// logged (the trip as an alert for the operator).
    async fn tripped(&self, now: DateTime<Utc>) -> Result<bool, StoreError> {
        if self.limits.tripwire_decline_percent == 0 {
            return Ok(false);
        }
        if let Ok(reading) = self.tripwire.lock()
            && reading
                .read_at
                .is_some_and(|at| at.elapsed() < TRIPWIRE_FRESH)
            && (reading.tripped || self.declines_seen.load(Ordering::Relaxed) < EARLY_READ_DECLINES)
        {
            return Ok(reading.tripped);
        }
        let limits = &self.limits;
        self.declines_seen.store(0, Ordering::Relaxed);
        let site = self
            .store
            .site_tally(now - chrono_of(limits.tripwire_window))
            .await?;
        let tripped = limits.tripwire_decline_percent > 0
            && site.attempts >= limits.tripwire_min_attempts
            && site.declines * 100 >= site.attempts * limits.tripwire_decline_percent;
        if let Ok(mut reading) = self.tripwire.lock() {
            if tripped && !reading.tripped {
                tracing::error!(
                    alert = "card_testing",
                    attempts = site.attempts,
                    declines = site.declines,
                    window_secs = limits.tripwire_window.as_secs(),
                    "ALERT: the share of declined payments passed the tripwire; clients that \
                     never paid get the cool-down"
                );
            } else if !tripped && reading.tripped {
                tracing::warn!(
                    attempts = site.attempts,
                    declines = site.declines,
                    "the share of declined payments is back under the tripwire"
                );
            }
            *reading = TripwireReading {
                read_at: Some(Instant::now()),
                tripped,
            };
        }
        Ok(tripped)
    }

    /// One of this server's attempts was declined: the tripwire's reading
    /// is renewed early after a few.
    pub fn saw_decline(&self) {
        self.declines_seen.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why [`Guard::admit`] said no.
#[derive(Debug)]
pub enum AdmitError {
    Refused(Refused),
    Store(StoreError),
}

fn chrono_of(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::MAX)
}
