//! The payment writes of one SQLite batch, statement by statement: on the
//! writer thread a statement costs only SQLite's work, so a batch of any
//! size is a handful of prepared statements run once per write.

use super::super::group_commit::{BeginPayment, MovePayment};
use super::super::queries::{delivery_for, edition_in_force};
use super::super::values::sqlite_time;
use super::super::{Money, PaymentState, StoreError};
use rusqlite::params;
use std::collections::{HashMap, HashSet};

/// Inserts the payments that may begin, `authorising`, with the events of
/// their first two states (created, then authorising), and answers the
/// amount of each one written, by id. Payments refused by a condition of
/// [`BeginPayment`] or a unique index are left out and written nowhere.
pub(super) fn insert_authorising(
    tx: &rusqlite::Transaction<'_>,
    payments: &[&BeginPayment],
) -> Result<HashMap<String, Money>, StoreError> {
    let mut insert = tx.prepare_cached(concat!(
        "INSERT INTO payments
           (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
            card_first6, card_last4, cardholder_name, status, created_at, updated_at,
            privacy_policy_edition, user_agreement_edition, service_kind, agency_id)
         SELECT ?1, ?2, r.code, r.amount_tyiyn, 'KGS', ?4, ?5, ?6, ?7, 'authorising', ?8, ?8,
                ?9, ?10, r.service_kind, r.agency_id
         FROM payment_requests AS r
         WHERE r.code = ?3 AND r.status = 'awaiting_payment' AND r.expires_at > ?8
           AND ?9 = ",
        edition_in_force!("privacy-policy", "?8"),
        " AND ?10 = ",
        edition_in_force!("user-agreement", "?8"),
        " ON CONFLICT DO NOTHING
         RETURNING amount_tyiyn"
    ))?;
    let mut events = tx.prepare_cached(
        "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         VALUES (?1, NULL, 'created', 'form submitted', ?2),
                (?1, 'created', 'authorising', 'sending to the acquirer', ?2)",
    )?;
    let mut attempts = tx.prepare_cached(
        "INSERT INTO attempts (payment_id, client, browser, card_fingerprint, code, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut begun = HashMap::with_capacity(payments.len());
    for p in payments {
        let at = sqlite_time(p.at);
        let amount: Option<i64> = insert
            .query_map(
                params![
                    p.id,
                    p.idempotency_key,
                    p.code,
                    p.brand,
                    p.first_six,
                    p.last_four,
                    p.cardholder,
                    at,
                    p.privacy_policy_edition,
                    p.user_agreement_edition,
                ],
                |row| row.get(0),
            )?
            .next()
            .transpose()?;
        let Some(amount) = amount else { continue };
        events.execute(params![p.id, at])?;
        if p.client.is_some() {
            attempts.execute(params![
                p.id,
                p.client,
                p.browser,
                p.card_fingerprint,
                p.code,
                at
            ])?;
        }
        let amount = Money::from_tyiyn(amount).map_err(|_| StoreError::Corrupt("amount"))?;
        begun.insert(p.id.clone(), amount);
    }
    Ok(begun)
}

/// Applies guarded moves (each payment at most once) with their events,
/// marks the requests of succeeded payments paid (with the `paid` event of
/// those an agency issued, its webhook's outbox entry), and answers the ids of the
/// payments that were still in their `from` state and moved.
pub(super) fn move_payments(
    tx: &rusqlite::Transaction<'_>,
    changes: &[&MovePayment],
) -> Result<HashSet<String>, StoreError> {
    let mut update = tx.prepare_cached(
        "UPDATE payments
         SET status = ?1, updated_at = ?2,
             decline_reason = COALESCE(?3, decline_reason),
             processor_reference = COALESCE(?4, processor_reference),
             challenge_url = COALESCE(?5, challenge_url),
             completed_at = CASE WHEN ?6 THEN ?2 ELSE completed_at END
         WHERE id = ?7 AND status = ?8",
    )?;
    let mut event = tx.prepare_cached(
        "INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut paid = tx.prepare_cached(
        "UPDATE payment_requests SET status = 'paid'
         WHERE status = 'awaiting_payment'
           AND code = (SELECT code FROM payments WHERE id = ?1)",
    )?;
    let mut paid_event = tx.prepare_cached(concat!(
        "INSERT INTO request_events
           (id, code, agency_id, type, at, delivery, next_attempt_at, pending_since)
         SELECT ?2, r.code, r.agency_id, 'payment_request.paid', ?3, ",
        delivery_for!("r.agency_id"),
        ", ?3, ?3
         FROM payment_requests r
         WHERE r.code = (SELECT code FROM payments WHERE id = ?1) AND r.agency_id IS NOT NULL"
    ))?;
    let mut closed = tx.prepare_cached(
        "INSERT INTO refunds
           (id, payment_id, amount_tyiyn, status, cause, attempts, next_attempt_at,
            created_at, updated_at)
         SELECT ?2, p.id, p.amount_tyiyn, 'required', 'charge_on_closed_payment', 0, ?3, ?3, ?3
         FROM payments p JOIN payment_requests r ON r.code = p.code
         WHERE p.id = ?1 AND r.status IN ('cancelled', 'expired')
         ON CONFLICT DO NOTHING",
    )?;
    let mut closed_event = tx.prepare_cached(
        "INSERT INTO refund_events (refund_id, payment_id, from_state, to_state, reason, at)
         VALUES (?1, ?2, NULL, 'required', 'charged after its request was closed', ?3)",
    )?;
    let mut moved = HashSet::with_capacity(changes.len());
    for c in changes {
        let at = sqlite_time(c.at);
        let rows = update.execute(params![
            c.to.as_str(),
            at,
            c.decline_reason,
            c.reference,
            c.challenge_url,
            c.to.is_final(),
            c.id,
            c.from.as_str(),
        ])?;
        if rows != 1 {
            continue;
        }
        event.execute(params![c.id, c.from.as_str(), c.to.as_str(), c.reason, at])?;
        if c.to == PaymentState::Succeeded {
            if paid.execute(params![c.id])? == 1 {
                let event = format!("evt_{}", uuid::Uuid::new_v4().simple());
                paid_event.execute(params![c.id, event, at])?;
            } else {
                // Its request was closed as it began (see the PostgreSQL
                // batch, where the race can happen): the charge is owed back.
                let refund = format!("rfd_{}", uuid::Uuid::new_v4().simple());
                if closed.execute(params![c.id, refund, at])? == 1 {
                    closed_event.execute(params![refund, c.id, at])?;
                }
            }
        }
        moved.insert(c.id.clone());
    }
    Ok(moved)
}
