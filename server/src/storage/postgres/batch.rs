//! PostgreSQL's payment batches: a whole batch (new payments and moves
//! together) is one statement over arrays, which is atomic and commits on
//! its own.

use super::super::Money;
use super::super::StoreError;
use super::super::group_commit::{BatchWriter, BeginPayment, MovePayment, Written};
use super::super::queries::{delivery_for, edition_in_force};
use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgPool;

/// Writes a batch in one statement (new payments and moves together),
/// which is atomic and commits on its own.
pub(super) struct PostgresBatches {
    pub(super) pool: PgPool,
}

#[async_trait]
impl BatchWriter for PostgresBatches {
    async fn write(
        &self,
        begins: &[&BeginPayment],
        moves: &[&MovePayment],
    ) -> Result<Written, StoreError> {
        Ok(write_batch(&self.pool, begins, moves).await?)
    }
}

/// One statement for a whole batch:
/// - inserts the payments that may begin, `authorising`, with the events of
///   their first two states (created, then authorising); payments refused
///   by a condition of [`BeginPayment`] or a unique index are left out and
///   written nowhere;
/// - applies the guarded moves (each payment at most once) with their
///   events, and marks the requests of succeeded payments paid.
///
/// A move never concerns a payment begun in the same batch: it is queued
/// only after its payment's begin was answered.
async fn write_batch(
    pool: &PgPool,
    payments: &[&BeginPayment],
    changes: &[&MovePayment],
) -> Result<Written, sqlx::Error> {
    let begin = |f: fn(&BeginPayment) -> &str| -> Vec<&str> {
        payments.iter().map(|payment| f(payment)).collect()
    };
    let change = |f: fn(&MovePayment) -> Option<&str>| -> Vec<Option<&str>> {
        changes.iter().map(|change| f(change)).collect()
    };
    let rows = sqlx::query(concat!(
        "WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::text[], $8::bigint[], $9::bigint[],
                                $10::timestamptz[], $20::text[], $21::text[], $22::text[])
             AS i (id, idempotency_key, code, card_brand, card_first6, card_last4,
                   cardholder_name, privacy_policy_edition, user_agreement_edition, at,
                   client, browser, card_fingerprint)),
         begun AS (
           INSERT INTO payments
             (id, idempotency_key, code, amount_tyiyn, currency, card_brand,
              card_first6, card_last4, cardholder_name, status, created_at, updated_at,
              privacy_policy_edition, user_agreement_edition, service_kind, agency_id)
           SELECT i.id, i.idempotency_key, r.code, r.amount_tyiyn, 'KGS', i.card_brand,
                  i.card_first6, i.card_last4, i.cardholder_name, 'authorising', i.at, i.at,
                  i.privacy_policy_edition, i.user_agreement_edition, r.service_kind, r.agency_id
           FROM input i JOIN payment_requests r ON r.code = i.code
           WHERE r.status = 'awaiting_payment' AND r.expires_at > i.at
             AND i.privacy_policy_edition = ",
        edition_in_force!("privacy-policy", "i.at"),
        " AND i.user_agreement_edition = ",
        edition_in_force!("user-agreement", "i.at"),
        // One order for every batch, so that batches of two servers racing
        // for the same codes wait for each other instead of deadlocking.
        " ORDER BY r.code
           ON CONFLICT DO NOTHING
           RETURNING id, amount_tyiyn, created_at),
         attempted AS (
           INSERT INTO attempts (payment_id, client, browser, card_fingerprint, code, created_at)
           SELECT i.id, i.client, i.browser, i.card_fingerprint, i.code, i.at
           FROM input i JOIN begun ON begun.id = i.id
           WHERE i.client IS NOT NULL),
         begun_events AS (
           INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
           SELECT begun.id, e.from_state, e.to_state, e.reason, begun.created_at
           FROM begun CROSS JOIN (VALUES
             (1, NULL::text, 'created', 'form submitted'),
             (2, 'created', 'authorising', 'sending to the acquirer')
           ) AS e (n, from_state, to_state, reason)
           ORDER BY begun.id, e.n),
         c AS (
           SELECT * FROM unnest($11::text[], $12::text[], $13::text[], $14::text[],
                                $15::text[], $16::text[], $17::text[], $18::boolean[],
                                $19::timestamptz[])
             AS c (id, from_state, to_state, reason, decline_reason, processor_reference,
                   challenge_url, final, at)),
         moved AS (
           UPDATE payments p
           SET status = c.to_state, updated_at = c.at,
               decline_reason = COALESCE(c.decline_reason, p.decline_reason),
               processor_reference = COALESCE(c.processor_reference, p.processor_reference),
               challenge_url = COALESCE(c.challenge_url, p.challenge_url),
               completed_at = CASE WHEN c.final THEN c.at ELSE p.completed_at END
           FROM c
           WHERE p.id = c.id AND p.status = c.from_state
           RETURNING p.id, p.code, p.amount_tyiyn, c.from_state, c.to_state, c.reason, c.at),
         moved_events AS (
           INSERT INTO payment_events (payment_id, from_state, to_state, reason, at)
           SELECT id, from_state, to_state, reason, at FROM moved ORDER BY id),
         paid AS (
           UPDATE payment_requests SET status = 'paid'
           WHERE status = 'awaiting_payment'
             AND code IN (SELECT code FROM moved WHERE to_state = 'succeeded')
           RETURNING code, agency_id),
         paid_events AS (
           INSERT INTO request_events
             (id, code, agency_id, type, at, delivery, next_attempt_at, pending_since)
           SELECT 'evt_' || replace(gen_random_uuid()::text, '-', ''), paid.code,
                  paid.agency_id, 'payment_request.paid', m.at, ",
        delivery_for!("paid.agency_id"),
        ", m.at, m.at
           FROM paid JOIN moved m ON m.code = paid.code AND m.to_state = 'succeeded'
           WHERE paid.agency_id IS NOT NULL),
         closed AS (
           INSERT INTO refunds
             (id, payment_id, amount_tyiyn, status, cause, attempts, next_attempt_at,
              created_at, updated_at)
           SELECT 'rfd_' || replace(gen_random_uuid()::text, '-', ''), m.id, m.amount_tyiyn,
                  'required', 'charge_on_closed_payment', 0, m.at, m.at, m.at
           FROM moved m JOIN payment_requests r ON r.code = m.code
           WHERE m.to_state = 'succeeded' AND r.status IN ('cancelled', 'expired')
           ON CONFLICT DO NOTHING
           RETURNING id, payment_id, created_at),
         closed_events AS (
           INSERT INTO refund_events (refund_id, payment_id, from_state, to_state, reason, at)
           SELECT id, payment_id, NULL, 'required', 'charged after its request was closed',
                  created_at
           FROM closed)
         SELECT id, amount_tyiyn FROM begun
         UNION ALL
         SELECT id, NULL FROM moved"
    ))
    .bind(begin(|p| &p.id))
    .bind(begin(|p| &p.idempotency_key))
    .bind(begin(|p| &p.code))
    .bind(begin(|p| p.brand))
    .bind(begin(|p| &p.first_six))
    .bind(begin(|p| &p.last_four))
    .bind(begin(|p| &p.cardholder))
    .bind(
        payments
            .iter()
            .map(|p| p.privacy_policy_edition)
            .collect::<Vec<_>>(),
    )
    .bind(
        payments
            .iter()
            .map(|p| p.user_agreement_edition)
            .collect::<Vec<_>>(),
    )
    .bind(payments.iter().map(|p| p.at).collect::<Vec<_>>())
    .bind(change(|c| Some(&c.id)))
    .bind(change(|c| Some(c.from.as_str())))
    .bind(change(|c| Some(c.to.as_str())))
    .bind(change(|c| Some(&c.reason)))
    .bind(change(|c| c.decline_reason.as_deref()))
    .bind(change(|c| c.reference.as_deref()))
    .bind(change(|c| c.challenge_url.as_deref()))
    .bind(changes.iter().map(|c| c.to.is_final()).collect::<Vec<_>>())
    .bind(changes.iter().map(|c| c.at).collect::<Vec<_>>())
    .bind(
        payments
            .iter()
            .map(|p| p.client.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        payments
            .iter()
            .map(|p| p.browser.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind(
        payments
            .iter()
            .map(|p| p.card_fingerprint.as_deref())
            .collect::<Vec<_>>(),
    )
    .fetch_all(pool)
    .await?;
    let mut written = Written::default();
    for row in rows {
        let id: String = row.try_get("id")?;
        match row.try_get::<Option<i64>, _>("amount_tyiyn")? {
            Some(amount) => {
                let amount = Money::from_tyiyn(amount)
                    .map_err(|_| sqlx::Error::Decode("stored amount is not valid".into()))?;
                written.begun.insert(id, amount);
            }
            None => {
                written.moved.insert(id);
            }
        }
    }
    Ok(written)
}
