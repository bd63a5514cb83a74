//! Durable storage of payment requests and payments. Everything the service
//! needs goes through [`PaymentStore`], so another database can stand behind
//! the same seam.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{CardBrand, Money, PaymentCode, RequestStatus, ServiceKind};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::str::FromStr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored value is not valid: {0}")]
    Corrupt(&'static str),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRequest {
    pub code: PaymentCode,
    pub service: ServiceKind,
    pub applicant_name: String,
    pub amount: Money,
    pub status: RequestStatus,
    pub expires_at: DateTime<Utc>,
}

/// A payment as first written, before the processor is called.
pub struct NewPayment<'a> {
    pub id: &'a str,
    pub code: &'a PaymentCode,
    pub amount: Money,
    pub brand: CardBrand,
    pub first_six: &'a str,
    pub last_four: &'a str,
    pub cardholder: &'a str,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentResult {
    Approved {
        reference: String,
    },
    Declined {
        reason: &'static str,
        reference: String,
    },
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovedPayment {
    pub receipt_number: i64,
    pub request: PaymentRequest,
    pub amount: Money,
    pub brand: CardBrand,
    pub first_six: String,
    pub last_four: String,
    pub cardholder: String,
    pub reference: String,
    pub completed_at: DateTime<Utc>,
}

#[async_trait]
pub trait PaymentStore: Send + Sync {
    async fn find_request(&self, code: &PaymentCode) -> Result<Option<PaymentRequest>, StoreError>;
    async fn insert_request(
        &self,
        request: &PaymentRequest,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn count_requests(&self) -> Result<i64, StoreError>;
    async fn begin_payment(&self, payment: NewPayment<'_>) -> Result<(), StoreError>;
    /// Records the processor's answer; an approval also marks the request paid.
    async fn finish_payment(
        &self,
        id: &str,
        code: &PaymentCode,
        result: &PaymentResult,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn approved_payment(&self, id: &str) -> Result<Option<ApprovedPayment>, StoreError>;
}

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if needed) the database and applies the migrations.
    pub async fn connect(url: &str) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(std::time::Duration::from_secs(5));
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(e.into()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore { pool })
    }
}

fn request_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<PaymentRequest, StoreError> {
    let code: String = row.try_get("code")?;
    let service: String = row.try_get("service_kind")?;
    let status: String = row.try_get("status")?;
    Ok(PaymentRequest {
        code: PaymentCode::parse(&code).map_err(|_| StoreError::Corrupt("payment code"))?,
        service: ServiceKind::from_str_opt(&service).ok_or(StoreError::Corrupt("service kind"))?,
        applicant_name: row.try_get("applicant_name")?,
        amount: Money::from_tyiyn(row.try_get("amount_tyiyn")?)
            .map_err(|_| StoreError::Corrupt("amount"))?,
        status: RequestStatus::from_str_opt(&status).ok_or(StoreError::Corrupt("status"))?,
        expires_at: row.try_get("expires_at")?,
    })
}

#[async_trait]
impl PaymentStore for SqliteStore {
    async fn find_request(&self, code: &PaymentCode) -> Result<Option<PaymentRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT code, service_kind, applicant_name, amount_tyiyn, status, expires_at
             FROM payment_requests WHERE code = ?",
        )
        .bind(code.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(request_from_row).transpose()
    }

    async fn insert_request(
        &self,
        request: &PaymentRequest,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO payment_requests
               (code, service_kind, applicant_name, amount_tyiyn, currency, status, expires_at, created_at)
             VALUES (?, ?, ?, ?, 'KGS', ?, ?, ?)",
        )
        .bind(request.code.as_str())
        .bind(request.service.as_str())
        .bind(&request.applicant_name)
        .bind(request.amount.tyiyn())
        .bind(request.status.as_str())
        .bind(request.expires_at)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn count_requests(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM payment_requests")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn begin_payment(&self, payment: NewPayment<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO payments
               (id, code, amount_tyiyn, currency, card_brand, card_first6, card_last4,
                cardholder_name, status, created_at)
             VALUES (?, ?, ?, 'KGS', ?, ?, ?, ?, 'authorising', ?)",
        )
        .bind(payment.id)
        .bind(payment.code.as_str())
        .bind(payment.amount.tyiyn())
        .bind(payment.brand.as_str())
        .bind(payment.first_six)
        .bind(payment.last_four)
        .bind(payment.cardholder)
        .bind(payment.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn finish_payment(
        &self,
        id: &str,
        code: &PaymentCode,
        result: &PaymentResult,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (status, reason, reference) = match result {
            PaymentResult::Approved { reference } => ("approved", None, Some(reference.as_str())),
            PaymentResult::Declined { reason, reference } => {
                ("declined", Some(*reason), Some(reference.as_str()))
            }
            PaymentResult::Failed => ("failed", None, None),
        };
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE payments
             SET status = ?, decline_reason = ?, processor_reference = ?, completed_at = ?
             WHERE id = ? AND status = 'authorising'",
        )
        .bind(status)
        .bind(reason)
        .bind(reference)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if status == "approved" {
            sqlx::query(
                "UPDATE payment_requests SET status = 'paid'
                 WHERE code = ? AND status = 'awaiting_payment'",
            )
            .bind(code.as_str())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn approved_payment(&self, id: &str) -> Result<Option<ApprovedPayment>, StoreError> {
        let row = sqlx::query(
            "SELECT p.receipt_number, p.amount_tyiyn AS paid_tyiyn, p.card_brand, p.card_first6,
                    p.card_last4, p.cardholder_name, p.processor_reference, p.completed_at,
                    r.code, r.service_kind, r.applicant_name, r.amount_tyiyn, r.status, r.expires_at
             FROM payments p JOIN payment_requests r ON r.code = p.code
             WHERE p.id = ? AND p.status = 'approved'",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let brand: String = row.try_get("card_brand")?;
        Ok(Some(ApprovedPayment {
            receipt_number: row.try_get("receipt_number")?,
            request: request_from_row(&row)?,
            amount: Money::from_tyiyn(row.try_get("paid_tyiyn")?)
                .map_err(|_| StoreError::Corrupt("amount"))?,
            brand: CardBrand::from_str_opt(&brand).ok_or(StoreError::Corrupt("card brand"))?,
            first_six: row.try_get("card_first6")?,
            last_four: row.try_get("card_last4")?,
            cardholder: row.try_get("cardholder_name")?,
            reference: row
                .try_get::<Option<String>, _>("processor_reference")?
                .unwrap_or_default(),
            completed_at: row
                .try_get::<Option<DateTime<Utc>>, _>("completed_at")?
                .ok_or(StoreError::Corrupt("completion time"))?,
        }))
    }
}
