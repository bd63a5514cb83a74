-- Secrets the servers share and generate themselves when the operator sets
-- none (the key that pseudonymises feedback senders): the first server to
-- start writes one, every server reads the same.
CREATE TABLE secrets (
    name        TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
