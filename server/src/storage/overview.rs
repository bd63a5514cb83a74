//! The back office's overview as stored: payments and refunds of a period
//! counted and summed by Bishkek day and by what the overview breaks them
//! down by (status, service, agency, decline reason), grouped in the
//! database so that a month of payments comes back as a few hundred rows.
//! The day is the one SQL expression the two databases write differently.

use super::StoreError;
use super::backend::Backend;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Payments of one day with the same status, service and agency (and for
/// declined ones on SQLite, reason); on PostgreSQL, rows of the status
/// `declined_reason` count the declined ones of one day by reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverviewRow {
    /// `YYYY-MM-DD` in Bishkek.
    pub day: String,
    pub status: String,
    pub service: Option<String>,
    pub agency_id: Option<String>,
    pub decline_reason: Option<String>,
    pub count: i64,
    pub tyiyn: i64,
}

/// Refunds asked for on one day, in one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundDay {
    pub day: String,
    pub status: String,
    pub count: i64,
    pub tyiyn: i64,
}

#[async_trait]
pub trait OverviewStore: Send + Sync {
    /// Payments made in `[from, until)`, grouped.
    async fn overview_rows(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OverviewRow>, StoreError>;
    /// Refunds asked for in `[from, until)`, by day and state.
    async fn refund_days(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<RefundDay>, StoreError>;
}

// SQLite: one read, the declined ones' reason beside their status.
const SQLITE_PAYMENTS: &str =
    "SELECT date(created_at, '+6 hours'), status, service_kind, agency_id,
            CASE WHEN status = 'declined' THEN COALESCE(decline_reason, '—') END,
            COUNT(*), CAST(SUM(amount_tyiyn) AS BIGINT)
     FROM payments WHERE created_at >= ? AND created_at < ?
     GROUP BY 1, 2, 3, 4, 5";
// PostgreSQL: two, every payment by the columns the time index covers (an
// index-only scan), then the declined ones, a small share, by their reason.
macro_rules! payments_by {
    ($day:literal) => {
        concat!(
            "SELECT ",
            $day,
            ", status, service_kind, agency_id, NULL, COUNT(*), CAST(SUM(amount_tyiyn) AS BIGINT)
             FROM payments WHERE created_at >= ? AND created_at < ?
             GROUP BY 1, 2, 3, 4
             UNION ALL
             SELECT ",
            $day,
            ", 'declined_reason', NULL, NULL, decline_reason, COUNT(*), CAST(SUM(amount_tyiyn) AS BIGINT)
             FROM payments WHERE created_at >= ? AND created_at < ? AND status = 'declined'
             GROUP BY 1, 5"
        )
    };
}
macro_rules! refunds_by {
    ($day:literal) => {
        concat!(
            "SELECT ",
            $day,
            ", status, COUNT(*), CAST(SUM(amount_tyiyn) AS BIGINT)
             FROM refunds WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2"
        )
    };
}
// Bishkek is UTC+6 all year (no daylight saving since 2005).
// A date's text is `YYYY-MM-DD` (the ISO date style sqlx's connections use);
// `to_char` would cost more than the rest of the read.
const POSTGRES_PAYMENTS: &str =
    payments_by!("CAST(CAST(created_at AT TIME ZONE 'Asia/Bishkek' AS DATE) AS TEXT)");
const SQLITE_REFUNDS: &str = refunds_by!("date(created_at, '+6 hours')");
const POSTGRES_REFUNDS: &str =
    refunds_by!("CAST(CAST(created_at AT TIME ZONE 'Asia/Bishkek' AS DATE) AS TEXT)");

fn overview_row(row: &dyn Row) -> Result<OverviewRow, StoreError> {
    Ok(OverviewRow {
        day: required(row.text(0)?, "day")?,
        status: required(row.text(1)?, "status")?,
        service: row.text(2)?,
        agency_id: row.text(3)?,
        decline_reason: row.text(4)?,
        count: row.int(5)?.unwrap_or(0),
        tyiyn: row.int(6)?.unwrap_or(0),
    })
}

fn refund_day(row: &dyn Row) -> Result<RefundDay, StoreError> {
    Ok(RefundDay {
        day: required(row.text(0)?, "day")?,
        status: required(row.text(1)?, "status")?,
        count: row.int(2)?.unwrap_or(0),
        tyiyn: row.int(3)?.unwrap_or(0),
    })
}

#[async_trait]
impl<B: Backend> OverviewStore for SqlStore<B> {
    async fn overview_rows(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<OverviewRow>, StoreError> {
        let read = if self.backend().name() == "postgres" {
            statement!(POSTGRES_PAYMENTS, from, until, from, until)
        } else {
            statement!(SQLITE_PAYMENTS, from, until)
        };
        self.backend().fetch(read, overview_row).await
    }

    async fn refund_days(
        &self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<RefundDay>, StoreError> {
        let sql = if self.backend().name() == "postgres" {
            POSTGRES_REFUNDS
        } else {
            SQLITE_REFUNDS
        };
        self.backend()
            .fetch(statement!(sql, from, until), refund_day)
            .await
    }
}
