//! Durable storage of payment requests and payments. Everything the service
//! needs goes through [`PaymentStore`], so another database can stand behind
//! the same seam.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::{
    CardBrand, InvalidTransition, Money, PaymentCode, PaymentState, RequestStatus, ServiceKind,
};
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
    #[error("{0}")]
    InvalidTransition(#[from] InvalidTransition),
    /// The payment was not in the state the transition starts from: someone
    /// else moved it first.
    #[error("payment is no longer {expected}")]
    StateChanged { expected: PaymentState },
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

impl PaymentResult {
    pub fn state(&self) -> PaymentState {
        match self {
            PaymentResult::Approved { .. } => PaymentState::Succeeded,
            PaymentResult::Declined { .. } => PaymentState::Declined,
            PaymentResult::Failed => PaymentState::Failed,
        }
    }
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
    /// Records a new payment and moves it to `authorising`, the lock held
    /// while the processor is called.
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

/// Moves a payment from `from` to `to` if, and only if, the state machine
/// allows it and the payment is still in `from`; records the event.
async fn transition(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &str,
    from: PaymentState,
    to: PaymentState,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    from.transition_to(to)?;
    let moved = sqlx::query("UPDATE payments SET status = ? WHERE id = ? AND status = ?")
        .bind(to.as_str())
        .bind(id)
        .bind(from.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if moved != 1 {
        return Err(StoreError::StateChanged { expected: from });
    }
    record_event(tx, id, Some(from), to, reason, at).await
}

async fn record_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    id: &str,
    from: Option<PaymentState>,
    to: PaymentState,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(from.map(PaymentState::as_str))
    .bind(to.as_str())
    .bind(reason)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
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
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO payments
               (id, code, amount_tyiyn, currency, card_brand, card_first6, card_last4,
                cardholder_name, status, created_at)
             VALUES (?, ?, ?, 'KGS', ?, ?, ?, ?, 'created', ?)",
        )
        .bind(payment.id)
        .bind(payment.code.as_str())
        .bind(payment.amount.tyiyn())
        .bind(payment.brand.as_str())
        .bind(payment.first_six)
        .bind(payment.last_four)
        .bind(payment.cardholder)
        .bind(payment.at)
        .execute(&mut *tx)
        .await?;
        record_event(
            &mut tx,
            payment.id,
            None,
            PaymentState::Created,
            "form submitted",
            payment.at,
        )
        .await?;
        transition(
            &mut tx,
            payment.id,
            PaymentState::Created,
            PaymentState::Authorising,
            "sent to the processor",
            payment.at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn finish_payment(
        &self,
        id: &str,
        code: &PaymentCode,
        result: &PaymentResult,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (reason, reference) = match result {
            PaymentResult::Approved { reference } => (None, Some(reference.as_str())),
            PaymentResult::Declined { reason, reference } => {
                (Some(*reason), Some(reference.as_str()))
            }
            PaymentResult::Failed => (None, None),
        };
        let mut tx = self.pool.begin().await?;
        transition(
            &mut tx,
            id,
            PaymentState::Authorising,
            result.state(),
            reason.unwrap_or("processor answered"),
            at,
        )
        .await?;
        sqlx::query(
            "UPDATE payments SET decline_reason = ?, processor_reference = ?, completed_at = ?
             WHERE id = ?",
        )
        .bind(reason)
        .bind(reference)
        .bind(at)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if result.state() == PaymentState::Succeeded {
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
             WHERE p.id = ? AND p.status = 'succeeded'",
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_with_request() -> (SqliteStore, PaymentCode, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        let code = PaymentCode::parse("11202600000001").unwrap();
        let request = PaymentRequest {
            code: code.clone(),
            service: ServiceKind::Passport,
            applicant_name: "Асанов Бакыт".into(),
            amount: Money::from_tyiyn(220_000).unwrap(),
            status: RequestStatus::AwaitingPayment,
            expires_at: Utc::now() + chrono::Duration::days(1),
        };
        store.insert_request(&request, Utc::now()).await.unwrap();
        (store, code, dir)
    }

    async fn begin(store: &SqliteStore, code: &PaymentCode, id: &str) {
        store
            .begin_payment(NewPayment {
                id,
                code,
                amount: Money::from_tyiyn(220_000).unwrap(),
                brand: CardBrand::Visa,
                first_six: "411111",
                last_four: "1111",
                cardholder: "AIBEK ASANOV",
                at: Utc::now(),
            })
            .await
            .unwrap();
    }

    async fn events(store: &SqliteStore, id: &str) -> Vec<(Option<String>, String)> {
        sqlx::query_as(
            "SELECT from_state, to_state FROM payment_events WHERE payment_id = ? ORDER BY id",
        )
        .bind(id)
        .fetch_all(&store.pool)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_payment_is_authorising_before_the_processor_and_final_after() {
        let (store, code, _dir) = store_with_request().await;
        begin(&store, &code, "p1").await;
        let approved = PaymentResult::Approved {
            reference: "R1".into(),
        };
        store
            .finish_payment("p1", &code, &approved, Utc::now())
            .await
            .unwrap();
        assert_eq!(
            events(&store, "p1").await,
            vec![
                (None, "created".to_string()),
                (Some("created".into()), "authorising".into()),
                (Some("authorising".into()), "succeeded".into()),
            ]
        );
        assert!(store.approved_payment("p1").await.unwrap().is_some());
        let request = store.find_request(&code).await.unwrap().unwrap();
        assert_eq!(request.status, RequestStatus::Paid);
    }

    #[tokio::test]
    async fn a_final_payment_is_never_overwritten() {
        let (store, code, _dir) = store_with_request().await;
        begin(&store, &code, "p2").await;
        store
            .finish_payment("p2", &code, &PaymentResult::Failed, Utc::now())
            .await
            .unwrap();
        let late = PaymentResult::Approved {
            reference: "R2".into(),
        };
        let error = store
            .finish_payment("p2", &code, &late, Utc::now())
            .await
            .unwrap_err();
        assert!(matches!(
            error,
            StoreError::StateChanged {
                expected: PaymentState::Authorising
            }
        ));
        assert!(store.approved_payment("p2").await.unwrap().is_none());
        assert_eq!(
            events(&store, "p2").await.len(),
            3,
            "no event for the refused change"
        );
    }
}
