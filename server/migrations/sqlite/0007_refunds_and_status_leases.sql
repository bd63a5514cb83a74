-- Refunds with states of their own, and one status query per payment at a
-- time. Mirrors migrations/postgres.

-- Until when one server holds the right to ask the acquirer about this
-- payment (reconciliation).
ALTER TABLE payments ADD COLUMN check_lease_until TEXT;

CREATE TABLE refunds (
    id               TEXT PRIMARY KEY NOT NULL,
    payment_id       TEXT NOT NULL REFERENCES payments (id),
    amount_tyiyn     INTEGER NOT NULL CHECK (amount_tyiyn > 0),
    status           TEXT NOT NULL CHECK (status IN ('required', 'submitted', 'unknown', 'refunded', 'failed')),
    cause            TEXT NOT NULL CHECK (cause IN ('charge_on_closed_payment', 'requested')),
    -- Sent attempts so far; the backoff grows with them.
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- When the worker may next send it, or ask about it.
    next_attempt_at  TEXT NOT NULL,
    processor_reference TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- A charge on a closed payment is returned once, however often the acquirer
-- tells us of it.
CREATE UNIQUE INDEX refunds_one_automatic ON refunds (payment_id)
    WHERE cause = 'charge_on_closed_payment';
CREATE INDEX refunds_by_payment ON refunds (payment_id);
CREATE INDEX refunds_due ON refunds (next_attempt_at)
    WHERE status IN ('required', 'submitted', 'unknown');

-- Every state change of a refund, with when and why.
CREATE TABLE refund_events (
    refund_id   TEXT NOT NULL REFERENCES refunds (id),
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    payment_id  TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX refund_events_by_refund ON refund_events (refund_id);
CREATE INDEX refund_events_by_payment ON refund_events (payment_id);
