//! The back office's payment search: payments with their request, filtered
//! by any combination of conditions, newest first in keyset pages, and the
//! count and sums of everything a filter matches. The SQL names only the
//! conditions that are set, so each database can use the index that fits
//! (time range, card's last four, payment code, receipt number). The totals
//! read the payments alone: each carries its request's service and agency,
//! and the time index covers every column they sum or filter by.

use super::StoreError;
use super::backend::Backend;
use super::queries::{brand, code, edition_number, money, state};
use super::store::SqlStore;
use super::values::{Row, Statement, Value, required, statement};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{CardBrand, Money, PaymentCode, PaymentState, ServiceKind};

/// What the staff filter payments by; every condition set must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentFilter {
    /// Made at or after.
    pub from: Option<DateTime<Utc>>,
    /// Made before.
    pub until: Option<DateTime<Utc>>,
    pub status: Option<PaymentState>,
    pub service: Option<ServiceKind>,
    pub agency: Option<String>,
    pub code: Option<PaymentCode>,
    pub receipt: Option<i64>,
    /// Four digits.
    pub last_four: Option<String>,
    pub brand: Option<CardBrand>,
    /// Tyiyn, inclusive.
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
}

/// Where a page starts: after the payment with this time and receipt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageAfter {
    pub created_at: DateTime<Utc>,
    pub receipt: i64,
}

/// A payment with its request, as the back office shows it. Card data is
/// brand, first six and last four only, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub receipt: i64,
    pub id: String,
    pub code: PaymentCode,
    pub service: ServiceKind,
    pub agency_id: Option<String>,
    pub agency_name: Option<String>,
    pub agency_reference: Option<String>,
    pub applicant_name: String,
    pub amount: Money,
    pub state: PaymentState,
    pub brand: CardBrand,
    pub first_six: String,
    pub last_four: String,
    pub acquirer_reference: Option<String>,
    pub decline_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub privacy_policy_edition: Option<u32>,
    pub user_agreement_edition: Option<u32>,
}

/// The count and sums of what a filter matches, in tyiyn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: i64,
    pub amount: i64,
    pub succeeded_count: i64,
    pub succeeded_amount: i64,
}

#[async_trait]
pub trait PaymentSearch: Send + Sync {
    /// Up to `limit` payments matching `filter`, newest first, after `after`.
    async fn search_payments(
        &self,
        filter: &PaymentFilter,
        after: Option<PageAfter>,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, StoreError>;
    async fn payment_totals(&self, filter: &PaymentFilter) -> Result<Totals, StoreError>;
    async fn payment_row(&self, id: &str) -> Result<Option<PaymentRow>, StoreError>;
}

macro_rules! columns {
    () => {
        "SELECT p.receipt_number, p.id, p.code, r.service_kind, r.agency_id, a.name,
            r.reference, r.applicant_name, p.amount_tyiyn, p.status, p.card_brand,
            p.card_first6, p.card_last4, p.processor_reference, p.decline_reason,
            p.created_at, p.completed_at, p.privacy_policy_edition, p.user_agreement_edition
     FROM payments p
     JOIN payment_requests r ON r.code = p.code
     LEFT JOIN agencies a ON a.id = r.agency_id"
    };
}

const COLUMNS: &str = columns!();
const ONE: &str = concat!(columns!(), " WHERE p.id = ?");

fn row(row: &dyn Row) -> Result<PaymentRow, StoreError> {
    Ok(PaymentRow {
        receipt: required(row.int(0)?, "receipt number")?,
        id: required(row.text(1)?, "payment id")?,
        code: code(row.text(2)?)?,
        service: ServiceKind::from_str_opt(&required(row.text(3)?, "service")?)
            .ok_or(StoreError::Corrupt("service"))?,
        agency_id: row.text(4)?,
        agency_name: row.text(5)?,
        agency_reference: row.text(6)?,
        applicant_name: required(row.text(7)?, "applicant")?,
        amount: money(row.int(8)?)?,
        state: state(row.text(9)?)?,
        brand: brand(row.text(10)?)?,
        first_six: required(row.text(11)?, "first six")?,
        last_four: required(row.text(12)?, "last four")?,
        acquirer_reference: row.text(13)?,
        decline_reason: row.text(14)?,
        created_at: required(row.time(15)?, "payment created")?,
        completed_at: row.time(16)?,
        privacy_policy_edition: edition_number(row.int(17)?)?,
        user_agreement_edition: edition_number(row.int(18)?)?,
    })
}

fn totals(row: &dyn Row) -> Result<Totals, StoreError> {
    Ok(Totals {
        count: row.int(0)?.unwrap_or(0),
        amount: row.int(1)?.unwrap_or(0),
        succeeded_count: row.int(2)?.unwrap_or(0),
        succeeded_amount: row.int(3)?.unwrap_or(0),
    })
}

/// The `WHERE` of a filter: its conditions and their arguments.
fn conditions(filter: &PaymentFilter) -> (String, Vec<Value>) {
    let mut clauses: Vec<&str> = Vec::new();
    let mut args: Vec<Value> = Vec::new();
    let mut add = |clause: &'static str, value: Value| {
        clauses.push(clause);
        args.push(value);
    };
    if let Some(at) = filter.from {
        add("p.created_at >= ?", at.into());
    }
    if let Some(at) = filter.until {
        add("p.created_at < ?", at.into());
    }
    if let Some(state) = filter.status {
        add("p.status = ?", state.as_str().into());
    }
    if let Some(service) = filter.service {
        add("p.service_kind = ?", service.as_str().into());
    }
    if let Some(agency) = &filter.agency {
        add("p.agency_id = ?", agency.as_str().into());
    }
    if let Some(code) = &filter.code {
        add("p.code = ?", code.as_str().into());
    }
    if let Some(receipt) = filter.receipt {
        add("p.receipt_number = ?", receipt.into());
    }
    if let Some(last_four) = &filter.last_four {
        add("p.card_last4 = ?", last_four.as_str().into());
    }
    if let Some(brand) = filter.brand {
        add("p.card_brand = ?", brand.as_str().into());
    }
    if let Some(min) = filter.min_amount {
        add("p.amount_tyiyn >= ?", min.into());
    }
    if let Some(max) = filter.max_amount {
        add("p.amount_tyiyn <= ?", max.into());
    }
    (clauses.join(" AND "), args)
}

fn search_statement(filter: &PaymentFilter, after: Option<PageAfter>, limit: i64) -> Statement {
    let (mut clauses, mut args) = conditions(filter);
    if let Some(after) = after {
        if !clauses.is_empty() {
            clauses.push_str(" AND ");
        }
        // The first condition bounds the index's range, so each page
        // starts at its cursor instead of walking down from the newest.
        clauses.push_str("p.created_at <= ? AND (p.created_at < ? OR p.receipt_number < ?)");
        args.extend([
            after.created_at.into(),
            after.created_at.into(),
            after.receipt.into(),
        ]);
    }
    args.push(limit.into());
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {clauses}")
    };
    Statement::new(
        format!("{COLUMNS}{filter} ORDER BY p.created_at DESC, p.receipt_number DESC LIMIT ?"),
        args,
    )
}

fn totals_statement(filter: &PaymentFilter) -> Statement {
    let (clauses, args) = conditions(filter);
    let filter = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {clauses}")
    };
    Statement::new(
        format!(
            "SELECT COUNT(*),
                    CAST(COALESCE(SUM(p.amount_tyiyn), 0) AS BIGINT),
                    COUNT(CASE WHEN p.status = 'succeeded' THEN 1 END),
                    CAST(COALESCE(SUM(CASE WHEN p.status = 'succeeded'
                                      THEN p.amount_tyiyn END), 0) AS BIGINT)
             FROM payments p{filter}"
        ),
        args,
    )
}

#[async_trait]
impl<B: Backend> PaymentSearch for SqlStore<B> {
    async fn search_payments(
        &self,
        filter: &PaymentFilter,
        after: Option<PageAfter>,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        self.backend()
            .fetch(search_statement(filter, after, limit), row)
            .await
    }

    async fn payment_totals(&self, filter: &PaymentFilter) -> Result<Totals, StoreError> {
        let rows = self
            .backend()
            .fetch(totals_statement(filter), totals)
            .await?;
        Ok(rows.into_iter().next().unwrap_or_default())
    }

    async fn payment_row(&self, id: &str) -> Result<Option<PaymentRow>, StoreError> {
        let rows = self.backend().fetch(statement!(ONE, id), row).await?;
        Ok(rows.into_iter().next())
    }
}
