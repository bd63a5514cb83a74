-- Policy documents with editions, the editions each payment was made under,
-- and citizens' feedback.

-- One row per edition and language. The Russian text is authoritative; other
-- languages are translations of the same edition number.
CREATE TABLE document_editions (
    document        TEXT NOT NULL CHECK (document IN ('privacy-policy', 'user-agreement')),
    edition         INTEGER NOT NULL CHECK (edition > 0),
    language        TEXT NOT NULL CHECK (language IN ('ru', 'ky', 'en')),
    -- The moment it takes effect; invisible before.
    effective_from  TEXT NOT NULL,
    source          TEXT NOT NULL,
    published_by    TEXT NOT NULL,
    published_at    TEXT NOT NULL,
    PRIMARY KEY (document, edition, language)
);

-- The editions shown on the pay form the citizen submitted.
ALTER TABLE payments ADD COLUMN privacy_policy_edition INTEGER;
ALTER TABLE payments ADD COLUMN user_agreement_edition INTEGER;

CREATE TABLE feedback (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    topic           TEXT NOT NULL,
    message         TEXT NOT NULL,
    reply_email     TEXT,
    receipt_number  TEXT,
    language        TEXT NOT NULL,
    -- A keyed hash of the client's address, for rate limiting only.
    client          TEXT NOT NULL,
    created_at      TEXT NOT NULL
);

CREATE INDEX feedback_by_client ON feedback (client, created_at);
