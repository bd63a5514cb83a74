-- The readiness probe writes this one row and reads it back: a server that
-- cannot do both within a short bound tells its load balancer so.
CREATE TABLE readiness (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  TEXT NOT NULL
);
