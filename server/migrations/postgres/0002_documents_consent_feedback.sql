-- Policy documents with editions, the editions each payment was made under,
-- and citizens' feedback. Mirrors migrations/sqlite/0003.

CREATE TABLE document_editions (
    document        TEXT NOT NULL CHECK (document IN ('privacy-policy', 'user-agreement')),
    edition         BIGINT NOT NULL CHECK (edition > 0),
    language        TEXT NOT NULL CHECK (language IN ('ru', 'ky', 'en')),
    effective_from  TIMESTAMPTZ NOT NULL,
    source          TEXT NOT NULL,
    published_by    TEXT NOT NULL,
    published_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (document, edition, language)
);

ALTER TABLE payments ADD COLUMN privacy_policy_edition BIGINT;
ALTER TABLE payments ADD COLUMN user_agreement_edition BIGINT;

CREATE TABLE feedback (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic           TEXT NOT NULL,
    message         TEXT NOT NULL,
    reply_email     TEXT,
    receipt_number  TEXT,
    language        TEXT NOT NULL,
    client          TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL
);

CREATE INDEX feedback_by_client ON feedback (client, created_at);
