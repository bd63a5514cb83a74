-- Who made each payment attempt that reached the acquirer, for the limits
-- on card testing (server/src/abuse/): a keyed pseudonym of the client's
-- address, the browser's random id, a keyed fingerprint of the card (never
-- the number), the code and the time. Written with its payment in the
-- same commit and never changed: a payment's moves (whose status the
-- tallies read through the payment) touch none of these indexes. Every
-- server of one database counts the same attempts.
CREATE TABLE attempts (
    payment_id       TEXT NOT NULL,
    client           TEXT,
    browser          TEXT,
    card_fingerprint TEXT,
    code             TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL
);

CREATE INDEX attempts_by_client ON attempts (client, created_at) WHERE client IS NOT NULL;
CREATE INDEX attempts_by_browser ON attempts (browser, created_at) WHERE browser IS NOT NULL;
CREATE INDEX attempts_by_card ON attempts (card_fingerprint, created_at)
    WHERE card_fingerprint IS NOT NULL;
CREATE INDEX attempts_by_code ON attempts (code, created_at);
-- The tripwire's reading of the site's latest attempts.
CREATE INDEX attempts_by_time ON attempts (created_at);
