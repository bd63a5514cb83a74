-- Who made each payment attempt, for the limits on card testing
-- (server/src/abuse/): a keyed pseudonym of the client's address, the
-- browser's random id, and a keyed fingerprint of the card (never the
-- number). The payments themselves are the counters: every attempt that
-- reached the acquirer is a row, so the limits hold across every server on
-- one database and cost the payment no write of their own.
ALTER TABLE payments ADD COLUMN client TEXT;
ALTER TABLE payments ADD COLUMN browser TEXT;
ALTER TABLE payments ADD COLUMN card_fingerprint TEXT;

-- Each subject's attempts in a window (its declines are the few of those
-- rows whose status says so). No index holds the status, so a payment's
-- moves touch none of them.
CREATE INDEX payments_by_client ON payments (client, created_at) WHERE client IS NOT NULL;
CREATE INDEX payments_by_browser ON payments (browser, created_at) WHERE browser IS NOT NULL;
CREATE INDEX payments_by_card ON payments (card_fingerprint, created_at)
    WHERE card_fingerprint IS NOT NULL;
-- (The unique index on a code's live payments holds only one of them.)
CREATE INDEX payments_by_code_and_time ON payments (code, created_at);
-- The tripwire's reading of the site's latest attempts.
CREATE INDEX payments_by_time ON payments (created_at);
