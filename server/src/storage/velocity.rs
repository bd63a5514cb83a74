//! What the limits on card testing (`crate::abuse`) read: how many attempts
//! each of an attempt's subjects made since a time and how many of them
//! were declined, the site's attempts and declines, and whether a client
//! ever paid. The payments are the counters (each attempt that reached the
//! acquirer is a row carrying its subjects), so these are reads only, the
//! same on every server of one database.

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
    /// `None` made none).
    async fn tallies(
        &self,
        subjects: Subjects<'_>,
        code: &PaymentCode,
        since: DateTime<Utc>,
    ) -> Result<Tallies, StoreError>;
    /// Every attempt on the site since `since`.
    async fn site_tally(&self, since: DateTime<Utc>) -> Result<Tally, StoreError>;
    /// Whether the client's address or browser ever paid.
    async fn ever_paid(&self, subjects: Subjects<'_>) -> Result<bool, StoreError>;
}

macro_rules! tally_of {
    ($column:literal) => {
        concat!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'declined' THEN 1 ELSE 0 END), 0)
             FROM payments WHERE ",
            $column,
            " = ? AND created_at >= ?"
        )
    };
}

/// One row per subject, in the order of [`Tallies`]'s fields.
const TALLIES: &str = concat!(
    "SELECT 1 AS n, * FROM (",
    tally_of!("client"),
    ") a UNION ALL SELECT 2, * FROM (",
    tally_of!("browser"),
    ") b UNION ALL SELECT 3, * FROM (",
    tally_of!("card_fingerprint"),
    ") c UNION ALL SELECT 4, * FROM (",
    tally_of!("code"),
    ") d ORDER BY n"
);
const SITE_TALLY: &str =
    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'declined' THEN 1 ELSE 0 END), 0)
     FROM payments WHERE created_at >= ?";
const EVER_PAID: &str = "SELECT COUNT(*) FROM (
       SELECT 1 FROM payments WHERE client = ? AND status = 'succeeded'
       UNION ALL
       SELECT 1 FROM payments WHERE browser = ? AND status = 'succeeded'
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
    ) -> Result<Tallies, StoreError> {
        let rows = self
            .backend()
            .fetch(
                statement!(
                    TALLIES,
                    subjects.client,
                    since,
                    subjects.browser,
                    since,
                    subjects.card_fingerprint,
                    since,
                    code.as_str(),
                    since,
                ),
                |row| tally_at(row, 1),
            )
            .await?;
        let [client, browser, card, code] = rows[..] else {
            return Err(StoreError::Corrupt("a tally per subject"));
        };
        Ok(Tallies {
            client,
            browser,
            card,
            code,
        })
    }

    async fn site_tally(&self, since: DateTime<Utc>) -> Result<Tally, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(SITE_TALLY, since), |row| tally_at(row, 0))
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
