//! The browsers' reports of what the pages' security policy blocked, as
//! stored: one row each, already stripped of anything but where and what
//! (`crate::page_integrity::reports`), the newest read first.

use super::StoreError;
use super::backend::Backend;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// One violation, as kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspReport {
    pub received_at: DateTime<Utc>,
    /// The path of the page it happened on.
    pub page: String,
    /// The directive that blocked it (`script-src-elem`, ...).
    pub directive: String,
    /// `inline`, `eval`, `wasm-eval`, or the origin of what was blocked.
    pub blocked: String,
    /// The script (origin and path) that did it, when the browser said.
    pub source: Option<String>,
    pub line: Option<i64>,
    /// `enforce` (blocked) or `report` (only reported).
    pub disposition: String,
}

#[async_trait]
pub trait CspReportStore: Send + Sync {
    async fn record_csp_report(&self, report: &CspReport) -> Result<(), StoreError>;
    /// The latest `limit` reports, newest first.
    async fn latest_csp_reports(&self, limit: i64) -> Result<Vec<CspReport>, StoreError>;
}

const INSERT: &str = "INSERT INTO csp_reports
       (received_at, page, directive, blocked, source, line, disposition)
     VALUES (?, ?, ?, ?, ?, ?, ?)";
const LATEST: &str = "SELECT received_at, page, directive, blocked, source, line, disposition
     FROM csp_reports ORDER BY received_at DESC, id DESC LIMIT ?";

fn report(row: &dyn Row) -> Result<CspReport, StoreError> {
    Ok(CspReport {
        received_at: required(row.time(0)?, "report time")?,
        page: required(row.text(1)?, "report page")?,
        directive: required(row.text(2)?, "report directive")?,
        blocked: required(row.text(3)?, "report blocked")?,
        source: row.text(4)?,
        line: row.int(5)?,
        disposition: required(row.text(6)?, "report disposition")?,
    })
}

#[async_trait]
impl<B: Backend> CspReportStore for SqlStore<B> {
    async fn record_csp_report(&self, r: &CspReport) -> Result<(), StoreError> {
        let insert = statement!(
            INSERT,
            r.received_at,
            r.page.as_str(),
            r.directive.as_str(),
            r.blocked.as_str(),
            r.source.clone(),
            r.line,
            r.disposition.as_str()
        );
        self.backend().execute(insert).await.map(|_| ())
    }

    async fn latest_csp_reports(&self, limit: i64) -> Result<Vec<CspReport>, StoreError> {
        self.backend()
            .fetch(statement!(LATEST, limit), report)
            .await
    }
}
