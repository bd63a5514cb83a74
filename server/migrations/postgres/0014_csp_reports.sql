-- What browsers reported their pages' security policy blocked: a script
-- that is not ours on the payment page is a skimmer until shown otherwise.
-- Only what says where and what was blocked is kept, after card numbers
-- are taken out; never the script's sample or a URL's query.
CREATE TABLE csp_reports (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at  TIMESTAMPTZ NOT NULL,
    page         TEXT NOT NULL,
    directive    TEXT NOT NULL,
    blocked      TEXT NOT NULL,
    source       TEXT,
    line         BIGINT,
    disposition  TEXT NOT NULL
);
CREATE INDEX csp_reports_by_time ON csp_reports (received_at);
