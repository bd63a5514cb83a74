//! Finding a succeeded payment by its receipt number: alone, for the
//! verification page (whose signed code already proves the number was
//! printed on a receipt), or together with its payment code, for a citizen
//! who lost the receipt's address (both, so that nobody can walk the
//! numbers).

use super::StoreError;
use super::backend::Backend;
use super::store::SqlStore;
use super::values::{Row, required, statement};
use async_trait::async_trait;
use domain::{PaymentCode, PaymentId};

#[async_trait]
pub trait ReceiptLookup: Send + Sync {
    /// The succeeded payment with this receipt number.
    async fn receipt_payment(&self, number: i64) -> Result<Option<PaymentId>, StoreError>;
    /// The succeeded payment with this receipt number, if it paid `code`.
    async fn receipt_of_code(
        &self,
        code: &PaymentCode,
        number: i64,
    ) -> Result<Option<PaymentId>, StoreError>;
}

const BY_NUMBER: &str = "SELECT id FROM payments WHERE receipt_number = ? AND status = 'succeeded'";
const BY_CODE_AND_NUMBER: &str =
    "SELECT id FROM payments WHERE receipt_number = ? AND code = ? AND status = 'succeeded'";

fn payment_id(row: &dyn Row) -> Result<PaymentId, StoreError> {
    PaymentId::parse(&required(row.text(0)?, "payment id")?)
        .map_err(|_| StoreError::Corrupt("payment id"))
}

#[async_trait]
impl<B: Backend> ReceiptLookup for SqlStore<B> {
    async fn receipt_payment(&self, number: i64) -> Result<Option<PaymentId>, StoreError> {
        let rows = self
            .backend()
            .fetch(statement!(BY_NUMBER, number), payment_id)
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn receipt_of_code(
        &self,
        code: &PaymentCode,
        number: i64,
    ) -> Result<Option<PaymentId>, StoreError> {
        let rows = self
            .backend()
            .fetch(
                statement!(BY_CODE_AND_NUMBER, number, code.as_str()),
                payment_id,
            )
            .await?;
        Ok(rows.into_iter().next())
    }
}
