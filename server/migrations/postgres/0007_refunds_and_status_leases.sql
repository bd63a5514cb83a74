-- Refunds with states of their own, and one status query per payment at a
-- time across every server. Mirrors migrations/sqlite.

-- Until when one server holds the right to ask the acquirer about this
-- payment (reconciliation): set by a guarded update in the database's time.
ALTER TABLE payments ADD COLUMN check_lease_until TIMESTAMPTZ;

CREATE TABLE refunds (
    id               TEXT PRIMARY KEY NOT NULL,
    payment_id       TEXT NOT NULL REFERENCES payments (id),
    amount_tyiyn     BIGINT NOT NULL CHECK (amount_tyiyn > 0),
    status           TEXT NOT NULL CHECK (status IN ('required', 'submitted', 'unknown', 'refunded', 'failed')),
    cause            TEXT NOT NULL CHECK (cause IN ('charge_on_closed_payment', 'requested')),
    -- Sent attempts so far; the backoff grows with them.
    attempts         BIGINT NOT NULL DEFAULT 0,
    -- When the worker may next send it, or ask about it.
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    processor_reference TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
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
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    payment_id  TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (refund_id, seq)
);
CREATE INDEX refund_events_by_payment ON refund_events (payment_id);
