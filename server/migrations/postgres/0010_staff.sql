-- The operator's staff (the back office), the audit log of what they do,
-- and the indexes the back office's payment search needs. Mirrors
-- migrations/sqlite.

CREATE TABLE staff_users (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'finance', 'support', 'viewer')),
    password_hash        TEXT NOT NULL,
    totp_secret          TEXT,
    totp_confirmed_at    TIMESTAMPTZ,
    last_totp_step       BIGINT,
    failed_attempts      BIGINT NOT NULL DEFAULT 0,
    locked_until         TIMESTAMPTZ,
    credentials_version  BIGINT NOT NULL DEFAULT 1,
    disabled_at          TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL,
    actor_id     TEXT,
    actor_email  TEXT,
    action       TEXT NOT NULL,
    record_type  TEXT,
    record_id    TEXT,
    address      TEXT,
    before       TEXT,
    after        TEXT
);

CREATE INDEX audit_log_by_actor ON audit_log (actor_email, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Each payment carries its request's service and agency (they never
-- change), so the search filters and sums by them without a join.
ALTER TABLE payments ADD COLUMN service_kind TEXT;
ALTER TABLE payments ADD COLUMN agency_id TEXT;
UPDATE payments SET
    service_kind = (SELECT r.service_kind FROM payment_requests r WHERE r.code = payments.code),
    agency_id = (SELECT r.agency_id FROM payment_requests r WHERE r.code = payments.code);
CREATE INDEX payments_by_time
    ON payments (created_at, status, amount_tyiyn, card_brand, service_kind, agency_id);
CREATE INDEX payments_by_last4 ON payments (card_last4, created_at);
CREATE INDEX payments_by_code_time ON payments (code, created_at);

-- Staff sessions, as tower-sessions' PostgreSQL store keeps them; made here
-- once rather than by each server's start (which races between servers).
CREATE TABLE staff_sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    data         BYTEA NOT NULL,
    expiry_date  TIMESTAMPTZ NOT NULL
);
