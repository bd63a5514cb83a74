//! The SQL of [`super`], written once for both databases, with the row
//! decoders beside it and the statements that close a request with its
//! event.

use super::{IssuedRequest, RequestEventRecord, StoredAnswer};
use crate::storage::StoreError;
use crate::storage::queries::{delivery_for, live_payment_for};
use crate::storage::values::{Row, Statement, required, statement};
use chrono::{DateTime, Utc};
use domain::{Money, PaymentCode, RequestStatus, ServiceKind};

macro_rules! issued_columns {
    () => {
        "SELECT r.code, r.agency_id, r.service_kind, r.applicant_name, r.amount_tyiyn, r.status,
                r.expires_at, r.reference, r.description, r.created_at, p.completed_at,
                p.receipt_number
         FROM payment_requests r
         LEFT JOIN payments p ON p.code = r.code
           AND p.status IN ('created', 'authorising', 'three_ds_required', 'unknown', 'succeeded')
           AND p.status = 'succeeded' "
    };
}

pub(super) const ISSUED: &str = concat!(issued_columns!(), "WHERE r.code = ? AND r.agency_id = ?");
pub(super) const ISSUED_PAGE: &str = concat!(
    issued_columns!(),
    "WHERE r.agency_id = ?
       AND (CAST(? AS TEXT) IS NULL OR r.reference = ?)
       AND (CAST(? AS TEXT) IS NULL OR r.status = ?)
       AND r.created_at >= ?
       AND (r.created_at < ? OR (r.created_at = ? AND r.code < ?))
     ORDER BY r.created_at DESC, r.code DESC LIMIT ?"
);
pub(super) const FORGET_STALE_ANSWER: &str =
    "DELETE FROM api_idempotency WHERE agency_id = ? AND key = ? AND created_at < ?";
pub(super) const KEEP_ANSWER: &str = "INSERT INTO api_idempotency
       (agency_id, key, fingerprint, status, body, created_at)
     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
pub(super) const INSERT_ISSUED: &str = "INSERT INTO payment_requests
       (code, service_kind, applicant_name, amount_tyiyn, currency, status, expires_at,
        created_at, agency_id, reference, description)
     VALUES (?, ?, ?, ?, 'KGS', 'awaiting_payment', ?, ?, ?, ?, ?)";
/// The same, only when the key's answer is the one this request keeps.
pub(super) const INSERT_ISSUED_WITH_KEY: &str = "INSERT INTO payment_requests
       (code, service_kind, applicant_name, amount_tyiyn, currency, status, expires_at,
        created_at, agency_id, reference, description)
     SELECT ?, ?, ?, ?, 'KGS', 'awaiting_payment', ?, ?, ?, ?, ?
     WHERE EXISTS (SELECT 1 FROM api_idempotency WHERE agency_id = ? AND key = ? AND body = ?)";
pub(super) const INSERT_CREATED_EVENT: &str = "INSERT INTO request_events
       (id, code, agency_id, type, at, delivery, next_attempt_at, pending_since)
     SELECT ?, code, agency_id, 'payment_request.created', created_at, 'none', created_at,
            created_at
     FROM payment_requests WHERE code = ? AND agency_id = ?";
/// Waits for a payment being written for the request, so that the next
/// statement sees it: on PostgreSQL a new payment's foreign key holds a
/// key-share lock on its request until it commits, which `FOR UPDATE`
/// waits for (a payment that began in the very instant before, on a
/// snapshot that still saw the request open, is refunded if it succeeds:
/// see the payment batches). SQLite has one writer: nothing to wait for.
pub(super) const LOCK_REQUEST_POSTGRES: &str =
    "SELECT code FROM payment_requests WHERE code = ? FOR UPDATE";
pub(super) const LOCK_REQUEST_SQLITE: &str =
    "UPDATE payment_requests SET status = status WHERE code = ?";
pub(super) const CANCEL: &str = concat!(
    "UPDATE payment_requests SET status = 'cancelled'
     WHERE code = ? AND agency_id = ? AND status = 'awaiting_payment' AND NOT ",
    live_payment_for!("payment_requests.code")
);
pub(super) const EXPIRING: &str = "SELECT code FROM payment_requests
     WHERE status = 'awaiting_payment' AND expires_at <= ? ORDER BY expires_at LIMIT ?";
pub(super) const EXPIRE: &str = concat!(
    "UPDATE payment_requests SET status = 'expired'
     WHERE code = ? AND status = 'awaiting_payment' AND expires_at <= ? AND NOT ",
    live_payment_for!("payment_requests.code")
);
/// The event of a status a request has just taken, once.
pub(super) const INSERT_STATUS_EVENT: &str = concat!(
    "INSERT INTO request_events
       (id, code, agency_id, type, at, delivery, next_attempt_at, pending_since)
     SELECT ?, r.code, r.agency_id, ?, ?, ",
    delivery_for!("r.agency_id"),
    ", ?, ?
     FROM payment_requests r
     WHERE r.code = ? AND r.status = ? AND r.agency_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM request_events e WHERE e.code = r.code AND e.type = ?)"
);
pub(super) const EVENTS: &str = "SELECT id, code, type, refund_id, at FROM request_events
     WHERE code = ? AND agency_id = ? ORDER BY seq";
pub(super) const STORED_ANSWER: &str = "SELECT fingerprint, status, body FROM api_idempotency
     WHERE agency_id = ? AND key = ? AND created_at >= ?";
pub(super) const FORGET_ANSWERS: &str = "DELETE FROM api_idempotency WHERE created_at < ?";

pub(super) fn issued(row: &dyn Row) -> Result<IssuedRequest, StoreError> {
    Ok(IssuedRequest {
        code: PaymentCode::parse(&required(row.text(0)?, "code")?)
            .map_err(|_| StoreError::Corrupt("payment code"))?,
        agency_id: required(row.text(1)?, "agency")?,
        service: ServiceKind::from_str_opt(&required(row.text(2)?, "service kind")?)
            .ok_or(StoreError::Corrupt("service kind"))?,
        applicant_name: required(row.text(3)?, "applicant")?,
        amount: Money::from_tyiyn(required(row.int(4)?, "amount")?)
            .map_err(|_| StoreError::Corrupt("amount"))?,
        status: RequestStatus::from_str_opt(&required(row.text(5)?, "status")?)
            .ok_or(StoreError::Corrupt("status"))?,
        expires_at: required(row.time(6)?, "expiry")?,
        reference: row.text(7)?.unwrap_or_default(),
        description: row.text(8)?,
        created_at: required(row.time(9)?, "created")?,
        paid_at: row.time(10)?,
        receipt_number: row.int(11)?,
    })
}

pub(in crate::storage) fn event(row: &dyn Row) -> Result<RequestEventRecord, StoreError> {
    Ok(RequestEventRecord {
        id: required(row.text(0)?, "event id")?,
        code: PaymentCode::parse(&required(row.text(1)?, "code")?)
            .map_err(|_| StoreError::Corrupt("payment code"))?,
        kind: required(row.text(2)?, "event type")?,
        refund_id: row.text(3)?,
        at: required(row.time(4)?, "event time")?,
    })
}

pub(super) fn answer(row: &dyn Row) -> Result<StoredAnswer, StoreError> {
    Ok(StoredAnswer {
        fingerprint: required(row.text(0)?, "fingerprint")?,
        status: u16::try_from(required(row.int(1)?, "status")?)
            .map_err(|_| StoreError::Corrupt("status"))?,
        body: required(row.text(2)?, "body")?,
    })
}

/// The statements that give `code` the status `to` with its event.
pub(super) fn status_change(
    backend: &'static str,
    change: Statement,
    code: &str,
    event_id: &str,
    to: &str,
    at: DateTime<Utc>,
) -> [Statement; 3] {
    let kind = format!("payment_request.{to}");
    let lock = if backend == "postgres" {
        LOCK_REQUEST_POSTGRES
    } else {
        LOCK_REQUEST_SQLITE
    };
    [
        statement!(lock, code),
        change,
        statement!(
            INSERT_STATUS_EVENT,
            event_id,
            kind.as_str(),
            at,
            at,
            at,
            code,
            to,
            kind.as_str(),
        ),
    ]
}
