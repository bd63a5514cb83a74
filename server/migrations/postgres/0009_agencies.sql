-- Government offices that issue payment requests through the agency API,
-- their keys, the events of their requests (an outbox their webhooks are
-- delivered from) and the answers kept for idempotent retries. Mirrors
-- migrations/sqlite.

CREATE TABLE agencies (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    -- The service kinds it may bill, comma-separated (domain::ServiceKind).
    services                 TEXT NOT NULL,
    webhook_url              TEXT,
    -- whsec_<base64>: the Standard Webhooks signing secret.
    webhook_secret           TEXT,
    -- The secret before the last rotation, still signed with until then.
    previous_webhook_secret  TEXT,
    previous_secret_until    TIMESTAMPTZ,
    created_at               TIMESTAMPTZ NOT NULL
);

-- Keys are kept only as a SHA-256 of the whole key (they are 32 random
-- bytes: no dictionary to try), with the visible start for recognising one.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    agency_id   TEXT NOT NULL REFERENCES agencies (id),
    prefix      TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    mode        TEXT NOT NULL CHECK (mode IN ('live', 'test')),
    label       TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX api_keys_by_agency ON api_keys (agency_id);

ALTER TABLE payment_requests ADD COLUMN agency_id TEXT REFERENCES agencies (id);
ALTER TABLE payment_requests ADD COLUMN reference TEXT;
ALTER TABLE payment_requests ADD COLUMN description TEXT;
-- An agency's requests, newest first, a page at a time.
CREATE INDEX payment_requests_by_agency ON payment_requests (agency_id, created_at, code)
    WHERE agency_id IS NOT NULL;
CREATE INDEX payment_requests_by_reference ON payment_requests (agency_id, reference)
    WHERE agency_id IS NOT NULL;

-- What happened to a payment request, written in the transaction of the
-- change itself; `delivery` is the outbox state of its webhook.
CREATE TABLE request_events (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id               TEXT NOT NULL UNIQUE,
    code             TEXT NOT NULL REFERENCES payment_requests (code),
    agency_id        TEXT,
    type             TEXT NOT NULL CHECK (type IN ('payment_request.created',
                        'payment_request.paid', 'payment_request.expired',
                        'payment_request.cancelled', 'refund.succeeded', 'refund.failed')),
    refund_id        TEXT,
    at               TIMESTAMPTZ NOT NULL,
    delivery         TEXT NOT NULL CHECK (delivery IN ('none', 'pending', 'delivered', 'dead')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    -- Since when it is being delivered (its time, or when it was sent
    -- again): retries stop some days after it.
    pending_since    TIMESTAMPTZ NOT NULL,
    -- Which server is delivering it, until when (the database's time).
    lease_owner      TEXT,
    lease_until      TIMESTAMPTZ,
    delivered_at     TIMESTAMPTZ
);
CREATE INDEX request_events_by_code ON request_events (code, seq);
CREATE INDEX request_events_due ON request_events (next_attempt_at)
    WHERE delivery = 'pending';

-- Every delivery attempt: what the endpoint answered, how fast, and when
-- the next try is due.
CREATE TABLE webhook_attempts (
    event_id         TEXT NOT NULL,
    attempt          BIGINT NOT NULL,
    agency_id        TEXT NOT NULL,
    url              TEXT NOT NULL,
    at               TIMESTAMPTZ NOT NULL,
    status_code      BIGINT,
    error            TEXT,
    latency_ms       BIGINT NOT NULL,
    next_attempt_at  TIMESTAMPTZ,
    PRIMARY KEY (event_id, attempt)
);
CREATE INDEX webhook_attempts_by_agency ON webhook_attempts (agency_id, at);

-- The first answer to a POST with an Idempotency-Key, replayed for 24 hours.
CREATE TABLE api_idempotency (
    agency_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (agency_id, key)
);
CREATE INDEX api_idempotency_by_age ON api_idempotency (created_at);

-- Requests whose payment window closes, for the sweep that marks them
-- expired (and tells their agency).
CREATE INDEX payment_requests_expiring ON payment_requests (expires_at)
    WHERE status = 'awaiting_payment';
