-- The operator's staff (the back office), the audit log of what they do,
-- and the indexes the back office's payment search needs. Mirrors
-- migrations/postgres.

CREATE TABLE staff_users (
    id                   TEXT PRIMARY KEY NOT NULL,
    -- Lower-cased; staff sign in with it.
    email                TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'finance', 'support', 'viewer')),
    -- argon2id, PHC string.
    password_hash        TEXT NOT NULL,
    -- The TOTP secret (base32); NULL until enrolled at first sign-in.
    totp_secret          TEXT,
    totp_confirmed_at    TEXT,
    -- The last time step whose code was accepted: a code is good once.
    last_totp_step       INTEGER,
    -- Failed sign-ins in a row; at the limit the account is locked a while.
    failed_attempts      INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    -- Raised by a reset or a change of role: older sessions end.
    credentials_version  INTEGER NOT NULL DEFAULT 1,
    disabled_at          TEXT,
    created_at           TEXT NOT NULL
);

-- Every staff action. Append-only: the application only inserts, and the
-- database refuses any change or deletion.
CREATE TABLE audit_log (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor_id     TEXT,
    actor_email  TEXT,
    action       TEXT NOT NULL,
    record_type  TEXT,
    record_id    TEXT,
    address      TEXT,
    -- JSON: the record before and after, where the action changed data.
    before       TEXT,
    after        TEXT
);

CREATE INDEX audit_log_by_actor ON audit_log (actor_email, seq);
CREATE INDEX audit_log_by_action ON audit_log (action, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The payment search: newest first within a time range (covering the
-- totals' columns), and by card's last four and by payment code.
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

-- Staff sessions, as tower-sessions' SQLite store keeps them (its own
-- `migrate` would make this table; the migration makes it once for all).
CREATE TABLE staff_sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    data         BLOB NOT NULL,
    expiry_date  INTEGER NOT NULL
);
