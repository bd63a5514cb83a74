-- Idempotent submits, 3-D Secure challenges and recovery of interrupted payments.

-- The key the pay form carries from the moment it is rendered: a repeated or
-- concurrent submit with the same key finds this payment instead of charging again.
ALTER TABLE payments ADD COLUMN idempotency_key TEXT;
-- Where the browser goes for the issuer's challenge while the payment is three_ds_required.
ALTER TABLE payments ADD COLUMN challenge_url TEXT;
-- When the status last changed: reconciliation and expiry look at it.
ALTER TABLE payments ADD COLUMN updated_at TEXT;
-- When the acquirer was last asked about this payment.
ALTER TABLE payments ADD COLUMN last_checked_at TEXT;

UPDATE payments SET updated_at = COALESCE(completed_at, created_at);
UPDATE payments SET idempotency_key = id WHERE idempotency_key IS NULL;

CREATE UNIQUE INDEX payments_by_idempotency_key ON payments (idempotency_key);

-- A payment code is paid at most once: while one payment for it is live or has
-- succeeded, inserting another fails, whatever the idempotency key.
CREATE UNIQUE INDEX payments_one_live_per_code ON payments (code)
    WHERE status IN ('created', 'authorising', 'three_ds_required', 'unknown', 'succeeded');

CREATE INDEX payments_by_status ON payments (status, updated_at);
