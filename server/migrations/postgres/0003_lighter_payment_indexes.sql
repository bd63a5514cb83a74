-- Fewer index entries per payment write: every payment is inserted once and
-- moved at least once, and each index on payments is written each time.

-- Nothing looks payments up by code but the unique index of live payments
-- (payments_one_live_per_code), and payment requests are never deleted nor
-- their codes changed, so the foreign key needs no index of its own.
DROP INDEX payments_by_code;

-- Only payments that are not final are ever looked up by status and age (by
-- reconciliation and expiry); the queries repeat this list word for word so
-- that both databases see they may use the index.
DROP INDEX payments_by_status;
CREATE INDEX payments_unsettled ON payments (status, updated_at)
    WHERE status IN ('created', 'authorising', 'three_ds_required', 'unknown');
