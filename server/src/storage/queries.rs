//! The store's SQL, written once for SQLite and PostgreSQL, with the decoder
//! of each query's rows beside it (columns are read by position, so a query
//! and its decoder change together). Placeholders are `?`; PostgreSQL's
//! backend numbers them ([`numbered`]).

use super::values::{Row, required};
use super::{
    ApprovedPayment, EditionRecord, PaymentEvent, PaymentRecord, PaymentRequest, StoreError,
};
use chrono::{DateTime, Utc};
use domain::{
    CardBrand, IdempotencyKey, Money, PaymentCode, PaymentId, PaymentState, RequestStatus,
    ServiceKind,
};
use std::borrow::Cow;

/// The editions a payment's citizen accepted must be the ones in force at
/// the moment it begins: the latest authoritative (Russian) edition that has
/// taken effect, as `documents` reads it for the form. Used in the insert
/// itself, so the check and the lock are one step.
macro_rules! edition_in_force {
    ($document:literal, $at:literal) => {
        concat!(
            "(SELECT MAX(edition) FROM document_editions WHERE document = '",
            $document,
            "' AND language = 'ru' AND effective_from <= ",
            $at,
            ")"
        )
    };
}
pub(super) use edition_in_force;

/// The condition of the partial index `payments_unsettled`, word for word as
/// the migration has it: SQLite uses a partial index only for a query that
/// names its condition exactly.
macro_rules! unsettled {
    () => {
        "status IN ('created', 'authorising', 'three_ds_required', 'unknown')"
    };
}
pub(super) use unsettled;

/// Whether an event of the agency `$agency` (a column) is to be delivered
/// as a webhook: when the agency has an endpoint at the time it happens.
macro_rules! delivery_for {
    ($agency:literal) => {
        concat!(
            "CASE WHEN EXISTS (SELECT 1 FROM agencies a WHERE a.id = ",
            $agency,
            " AND a.webhook_url IS NOT NULL) THEN 'pending' ELSE 'none' END"
        )
    };
}
pub(super) use delivery_for;

/// A payment for the request `$code` (a column) is under way: the condition
/// of the partial index `payments_one_live_per_code` word for word (so
/// both databases use it), less the succeeded ones.
macro_rules! live_payment_for {
    ($code:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM payments p WHERE p.code = ",
            $code,
            " AND p.status IN ('created', 'authorising', 'three_ds_required', 'unknown', \
             'succeeded') AND p.status <> 'succeeded')"
        )
    };
}
pub(super) use live_payment_for;

/// The columns [`payment`] decodes, in its order.
macro_rules! payment_columns {
    () => {
        "SELECT id, idempotency_key, code, amount_tyiyn, card_brand, card_first6, card_last4,
                cardholder_name, status, decline_reason, processor_reference, challenge_url,
                created_at, updated_at, last_checked_at
         FROM payments "
    };
}
pub(super) use payment_columns;

// Reads.

pub const REQUEST_BY_CODE: &str =
    "SELECT code, service_kind, applicant_name, amount_tyiyn, status, expires_at
     FROM payment_requests WHERE code = ?";
pub const COUNT_REQUESTS: &str = "SELECT COUNT(*) FROM payment_requests";
pub const PAYMENT_BY_ID: &str = concat!(payment_columns!(), "WHERE id = ?");
pub const PAYMENT_BY_KEY: &str = concat!(payment_columns!(), "WHERE idempotency_key = ?");
pub const ABANDONED_PAYMENTS: &str = concat!(
    payment_columns!(),
    "WHERE ",
    unsettled!(),
    " AND status IN ('created', 'three_ds_required') AND updated_at < ?
     ORDER BY updated_at LIMIT ?"
);
pub const PAYMENTS_IN_STATE: &str = concat!(
    payment_columns!(),
    "WHERE status = ? ORDER BY receipt_number"
);
pub const EVENTS: &str = "SELECT from_state, to_state, reason, at FROM payment_events
     WHERE payment_id = ? ORDER BY id";
pub const APPROVED_PAYMENT: &str =
    "SELECT r.code, r.service_kind, r.applicant_name, r.amount_tyiyn, r.status, r.expires_at,
            p.receipt_number, p.amount_tyiyn, p.card_brand, p.card_first6, p.card_last4,
            p.cardholder_name, p.processor_reference, p.completed_at,
            p.privacy_policy_edition, p.user_agreement_edition
     FROM payments p JOIN payment_requests r ON r.code = p.code
     WHERE p.id = ? AND p.status = 'succeeded'";
pub const EDITIONS_IN_FORCE_AT: &str = concat!(
    "SELECT ",
    edition_in_force!("privacy-policy", "?"),
    ", ",
    edition_in_force!("user-agreement", "?")
);
pub const ALL_EDITIONS: &str =
    "SELECT document, edition, language, effective_from, source, published_by, published_at
     FROM document_editions ORDER BY document, edition, language";
/// Changes whenever an edition is added (editions are never changed or
/// deleted): servers compare it to know their copy of the documents is current.
pub const EDITIONS_STAMP: &str =
    "SELECT COUNT(*), MAX(published_at), MAX(effective_from) FROM document_editions";
pub const FEEDBACK_COUNT_SINCE: &str =
    "SELECT COUNT(*) FROM feedback WHERE client = ? AND created_at >= ?";

// Single writes, each in a transaction of its own.

pub const INSERT_REQUEST: &str = "INSERT INTO payment_requests
       (code, service_kind, applicant_name, amount_tyiyn, currency, status, expires_at,
        created_at)
     VALUES (?, ?, ?, ?, 'KGS', ?, ?, ?)";
/// Adds an edition unless that document, edition and language exist.
pub const INSERT_EDITION: &str = "INSERT INTO document_editions
       (document, edition, language, effective_from, source, published_by, published_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (document, edition, language) DO NOTHING";
pub const INSERT_FEEDBACK: &str = "INSERT INTO feedback
       (topic, message, reply_email, receipt_number, language, client, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)";
/// The readiness probe's write: one row, rewritten each time.
pub const TOUCH_READINESS: &str = "INSERT INTO readiness (id, checked_at) VALUES (1, ?)
     ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at";
pub const READ_READINESS: &str = "SELECT checked_at FROM readiness WHERE id = 1";

/// Keeps the first value written under a name: whoever comes later reads it.
pub const INSERT_SECRET: &str = "INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO NOTHING";
pub const SECRET: &str = "SELECT value FROM secrets WHERE name = ?";

// Decoders, one per query shape.

pub(super) fn code(text: Option<String>) -> Result<PaymentCode, StoreError> {
    PaymentCode::parse(&required(text, "payment code")?)
        .map_err(|_| StoreError::Corrupt("payment code"))
}

pub(super) fn money(tyiyn: Option<i64>) -> Result<Money, StoreError> {
    Money::from_tyiyn(required(tyiyn, "amount")?).map_err(|_| StoreError::Corrupt("amount"))
}

pub(super) fn state(text: Option<String>) -> Result<PaymentState, StoreError> {
    PaymentState::from_str_opt(&required(text, "payment status")?)
        .ok_or(StoreError::Corrupt("payment status"))
}

pub(super) fn brand(text: Option<String>) -> Result<CardBrand, StoreError> {
    CardBrand::from_str_opt(&required(text, "card brand")?).ok_or(StoreError::Corrupt("card brand"))
}

pub(super) fn edition_number(stored: Option<i64>) -> Result<Option<u32>, StoreError> {
    stored
        .map(|n| u32::try_from(n).map_err(|_| StoreError::Corrupt("edition number")))
        .transpose()
}

/// [`REQUEST_BY_CODE`], and the first six columns of [`APPROVED_PAYMENT`].
pub fn request(row: &dyn Row) -> Result<PaymentRequest, StoreError> {
    Ok(PaymentRequest {
        code: code(row.text(0)?)?,
        service: ServiceKind::from_str_opt(&required(row.text(1)?, "service kind")?)
            .ok_or(StoreError::Corrupt("service kind"))?,
        applicant_name: required(row.text(2)?, "applicant")?,
        amount: money(row.int(3)?)?,
        status: RequestStatus::from_str_opt(&required(row.text(4)?, "status")?)
            .ok_or(StoreError::Corrupt("status"))?,
        expires_at: required(row.time(5)?, "expiry")?,
    })
}

/// The payment queries ([`PAYMENT_BY_ID`] and the others of its columns).
pub fn payment(row: &dyn Row) -> Result<PaymentRecord, StoreError> {
    let created_at: DateTime<Utc> = required(row.time(12)?, "creation time")?;
    Ok(PaymentRecord {
        id: PaymentId::parse(&required(row.text(0)?, "payment id")?)
            .map_err(|_| StoreError::Corrupt("payment id"))?,
        idempotency_key: IdempotencyKey::parse(&required(row.text(1)?, "idempotency key")?)
            .map_err(|_| StoreError::Corrupt("idempotency key"))?,
        code: code(row.text(2)?)?,
        amount: money(row.int(3)?)?,
        brand: brand(row.text(4)?)?,
        first_six: required(row.text(5)?, "first six")?,
        last_four: required(row.text(6)?, "last four")?,
        cardholder: required(row.text(7)?, "cardholder")?,
        state: state(row.text(8)?)?,
        decline_reason: row.text(9)?,
        reference: row.text(10)?,
        challenge_url: row.text(11)?,
        created_at,
        updated_at: row.time(13)?.unwrap_or(created_at),
        last_checked_at: row.time(14)?,
    })
}

pub fn event(row: &dyn Row) -> Result<PaymentEvent, StoreError> {
    Ok(PaymentEvent {
        from: row.text(0)?.map(|s| state(Some(s))).transpose()?,
        to: state(row.text(1)?)?,
        reason: required(row.text(2)?, "event reason")?,
        at: required(row.time(3)?, "event time")?,
    })
}

pub fn approved_payment(row: &dyn Row) -> Result<ApprovedPayment, StoreError> {
    Ok(ApprovedPayment {
        request: request(row)?,
        receipt_number: required(row.int(6)?, "receipt number")?,
        amount: money(row.int(7)?)?,
        brand: brand(row.text(8)?)?,
        first_six: required(row.text(9)?, "first six")?,
        last_four: required(row.text(10)?, "last four")?,
        cardholder: required(row.text(11)?, "cardholder")?,
        reference: row.text(12)?.unwrap_or_default(),
        completed_at: required(row.time(13)?, "completion time")?,
        privacy_policy_edition: edition_number(row.int(14)?)?,
        user_agreement_edition: edition_number(row.int(15)?)?,
    })
}

pub fn edition(row: &dyn Row) -> Result<EditionRecord, StoreError> {
    Ok(EditionRecord {
        document: required(row.text(0)?, "document")?,
        edition: required(edition_number(row.int(1)?)?, "edition")?,
        language: required(row.text(2)?, "language")?,
        effective_from: required(row.time(3)?, "effective from")?,
        source: required(row.text(4)?, "source")?,
        published_by: required(row.text(5)?, "publisher")?,
        published_at: required(row.time(6)?, "publication time")?,
    })
}

/// [`EDITIONS_IN_FORCE_AT`]: the edition numbers of both documents.
pub fn edition_pair(row: &dyn Row) -> Result<(Option<i64>, Option<i64>), StoreError> {
    Ok((row.int(0)?, row.int(1)?))
}

/// [`EDITIONS_STAMP`].
pub fn editions_stamp(row: &dyn Row) -> Result<super::EditionsStamp, StoreError> {
    Ok(super::EditionsStamp {
        count: row.int(0)?.unwrap_or(0),
        last_published: row.time(1)?,
        last_effective: row.time(2)?,
    })
}

pub fn count(row: &dyn Row) -> Result<i64, StoreError> {
    Ok(row.int(0)?.unwrap_or(0))
}

pub fn text(row: &dyn Row) -> Result<String, StoreError> {
    required(row.text(0)?, "text")
}

pub fn time(row: &dyn Row) -> Result<DateTime<Utc>, StoreError> {
    required(row.time(0)?, "time")
}

/// `?` placeholders as PostgreSQL's numbered ones. The store's SQL has no `?`
/// anywhere else (no string literals containing one).
pub fn numbered(sql: &str) -> Cow<'_, str> {
    if !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn question_marks_become_numbered_parameters() {
        assert_eq!(
            numbered("UPDATE t SET a = ? WHERE b = ? AND c = 'x'"),
            "UPDATE t SET a = $1 WHERE b = $2 AND c = 'x'"
        );
        assert_eq!(numbered("SELECT 1"), "SELECT 1");
    }
}
