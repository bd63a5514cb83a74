-- Refunds a person asks for in the back office: who asked and why, and how
-- much of each payment refunds hold, so that two people refunding at once
-- can never return more than was paid. Mirrors migrations/postgres.

-- The sum of the payment's asked refunds that have not failed; only ever
-- raised by a guarded update that keeps it within the amount.
ALTER TABLE payments ADD COLUMN refunds_tyiyn INTEGER NOT NULL DEFAULT 0;

-- The staff member who asked (their email), and the reason they gave.
ALTER TABLE refunds ADD COLUMN asked_by TEXT;
ALTER TABLE refunds ADD COLUMN note TEXT;
