//! What the limits on card testing (`crate::abuse`) read: how many attempts
//! each of an attempt's subjects made since a time and how many of them
//! were declined, the site's latest attempts and declines, and whether a
//! client ever paid. Each attempt that reached the acquirer is a row of
//! `attempts`, written with its payment (the group commit) and never
//! changed; its payment says whether it was declined. These are reads only,
//! the same on every server of one database.

use super::backend::Backend;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use super::{StoreError, Subjects};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::PaymentCode;

/// Attempts and declines of one subject in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub attempts: i64,
    pub declines: i64,
}

/// The tallies of an attempt's subjects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tallies {
    pub client: Tally,
    pub browser: Tally,
    pub card: Tally,
    pub code: Tally,
}

#[async_trait]
pub trait VelocityStore: Send + Sync {
    /// The attempts made since `since` by each subject (a subject that is
    /// `None` made none), and how many were declined when `declines` asks
    /// (else 0: counting them reads the payments, counting attempts only
    /// their index).
    async fn tallies(
        &self,
        subjects: Subjects<'_>,
        code: &PaymentCode,
        since: DateTime<Utc>,
        declines: bool,
    ) -> Result<Tallies, StoreError>;
    /// The site's latest attempts since `since` (at most [`SITE_SAMPLE`]).
    async fn site_tally(&self, since: DateTime<Utc>) -> Result<Tally, StoreError>;
    /// Whether the client's address or browser ever paid.
    async fn ever_paid(&self, subjects: Subjects<'_>) -> Result<bool, StoreError>;
}

/// A subject's attempts since a time (a range of its index of attempts)
/// and how many of them were declined (the status of those few payments).
macro_rules! tally_of {
    ($column:literal) => {
        concat!(
            "(SELECT COUNT(*) FROM attempts WHERE ",
            $column,
            " = ? AND created_at >= ?), (SELECT COUNT(*) FROM attempts a
               JOIN payments p ON p.id = a.payment_id
             WHERE a.",
            $column,
            " = ? AND a.created_at >= ? AND p.status = 'declined')"
        )
    };
}

/// One row: the attempts of each subject, in the order of [`Tallies`]'s
/// fields, from the indexes alone.
const ATTEMPTS: &str = "SELECT
       (SELECT COUNT(*) FROM attempts WHERE client = ? AND created_at >= ?),
       (SELECT COUNT(*) FROM attempts WHERE browser = ? AND created_at >= ?),
       (SELECT COUNT(*) FROM attempts WHERE card_fingerprint = ? AND created_at >= ?),
       (SELECT COUNT(*) FROM attempts WHERE code = ? AND created_at >= ?)";

/// One row: attempts and declines of each subject, in the order of
/// [`Tallies`]'s fields.
const TALLIES: &str = concat!(
    "SELECT ",
    tally_of!("client"),
    ", ",
    tally_of!("browser"),
    ", ",
    tally_of!("card_fingerprint"),
    ", ",
    tally_of!("code")
);
/// The site's latest attempts in the window, at most [`SITE_SAMPLE`] of
/// them, and how many were declined: the share of a window's last few
/// hundred attempts says what the whole window would, and the reading
/// costs the same however busy the site is.
const SITE_TALLY: &str = "SELECT COUNT(*),
       COALESCE(SUM(CASE WHEN p.status = 'declined' THEN 1 ELSE 0 END), 0)
     FROM (SELECT payment_id FROM attempts WHERE created_at >= ?
           ORDER BY created_at DESC LIMIT ?) latest
     JOIN payments p ON p.id = latest.payment_id";
/// How many of the latest attempts the tripwire reads.
pub const SITE_SAMPLE: i64 = 200;
const EVER_PAID: &str = "SELECT COUNT(*) FROM (
       SELECT 1 FROM attempts a JOIN payments p ON p.id = a.payment_id
       WHERE a.client = ? AND p.status = 'succeeded'
       UNION ALL
       SELECT 1 FROM attempts a JOIN payments p ON p.id = a.payment_id
       WHERE a.browser = ? AND p.status = 'succeeded'
     ) paid";

fn tally_at(row: &dyn Row, first: usize) -> Result<Tally, StoreError> {
    Ok(Tally {
        attempts: required(row.int(first)?, "attempts")?,
        declines: required(row.int(first + 1)?, "declines")?,
    })
}

#[async_trait]
impl<B: Backend> VelocityStore for SqlStore<B> {
    async fn tallies(
        &self,
        subjects: Subjects<'_>,
        code: &PaymentCode,
        since: DateTime<Utc>,
        declines: bool,
    ) -> Result<Tallies, StoreError> {
        let (client, browser, card) =
            (subjects.client, subjects.browser, subjects.card_fingerprint);
        let code = code.as_str();
        let (statement, decode): (_, super::values::Decode<Tallies>) = if declines {
            (
                statement!(
                    TALLIES, client, since, client, since, browser, since, browser, since, card,
                    since, card, since, code, since, code, since,
                ),
                |row| {
                    Ok(Tallies {
                        client: tally_at(row, 0)?,
                        browser: tally_at(row, 2)?,
                        card: tally_at(row, 4)?,
                        code: tally_at(row, 6)?,
                    })
                },
            )
        } else {
            (
                statement!(
                    ATTEMPTS, client, since, browser, since, card, since, code, since
                ),
                |row| {
                    let attempts = |column| -> Result<Tally, StoreError> {
                        Ok(Tally {
                            attempts: required(row.int(column)?, "attempts")?,
                            declines: 0,
                        })
                    };
                    Ok(Tallies {
                        client: attempts(0)?,
                        browser: attempts(1)?,
                        card: attempts(2)?,
                        code: attempts(3)?,
                    })
                },
            )
        };
        self.backend()
            .fetch(statement, decode)
            .await?
            .into_iter()
            .next()
            .ok_or(StoreError::Corrupt("the tallies of an attempt"))
    }

    async fn site_tally(&self, since: DateTime<Utc>) -> Result<Tally, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(SITE_TALLY, since, SITE_SAMPLE), |row| {
                tally_at(row, 0)
            })
            .await?;
        rows.into_iter()
            .next()
            .ok_or(StoreError::Corrupt("the site's tally"))
    }

    async fn ever_paid(&self, subjects: Subjects<'_>) -> Result<bool, StoreError> {
        let rows = self
            .backend()
            .fetch(
                statement!(EVER_PAID, subjects.client, subjects.browser),
                |row| required(row.int(0)?, "payments"),
            )
            .await?;
        Ok(rows.first().is_some_and(|n| *n > 0))
    }
}
