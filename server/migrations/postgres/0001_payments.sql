-- Payment requests issued by government offices, and card payments made for them.
-- Card data kept: brand, first six and last four digits, and the cardholder name.
-- Never the full number, never the CVV. Mirrors migrations/sqlite.

CREATE TABLE payment_requests (
    code            TEXT PRIMARY KEY NOT NULL,
    service_kind    TEXT NOT NULL CHECK (service_kind IN ('passport', 'driving_licence', 'meken_card')),
    applicant_name  TEXT NOT NULL,
    amount_tyiyn    BIGINT NOT NULL CHECK (amount_tyiyn > 0),
    currency        TEXT NOT NULL DEFAULT 'KGS' CHECK (currency = 'KGS'),
    status          TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'paid', 'expired', 'cancelled')),
    expires_at      TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE payments (
    receipt_number      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    -- The key the pay form carries from the moment it is rendered.
    idempotency_key     TEXT NOT NULL UNIQUE,
    code                TEXT NOT NULL REFERENCES payment_requests (code),
    amount_tyiyn        BIGINT NOT NULL CHECK (amount_tyiyn > 0),
    currency            TEXT NOT NULL CHECK (currency = 'KGS'),
    card_brand          TEXT NOT NULL,
    card_first6         TEXT NOT NULL CHECK (length(card_first6) = 6),
    card_last4          TEXT NOT NULL CHECK (length(card_last4) = 4),
    cardholder_name     TEXT NOT NULL,
    -- The states of domain::PaymentState; every change is a guarded update plus an event.
    status              TEXT NOT NULL CHECK (status IN ('created', 'authorising', 'three_ds_required',
                            'succeeded', 'declined', 'failed', 'unknown', 'expired')),
    decline_reason      TEXT,
    processor_reference TEXT,
    challenge_url       TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    completed_at        TIMESTAMPTZ,
    last_checked_at     TIMESTAMPTZ
);

CREATE INDEX payments_by_code ON payments (code);
-- A payment code is paid at most once: while one payment for it is live or has
-- succeeded, inserting another fails, whatever the idempotency key.
CREATE UNIQUE INDEX payments_one_live_per_code ON payments (code)
    WHERE status IN ('created', 'authorising', 'three_ds_required', 'unknown', 'succeeded');
CREATE INDEX payments_by_status ON payments (status, updated_at);

-- Every state change of a payment, with when and why.
CREATE TABLE payment_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id  TEXT NOT NULL REFERENCES payments (id),
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX payment_events_by_payment ON payment_events (payment_id);
