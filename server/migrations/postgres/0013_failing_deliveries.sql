-- An agency's failing deliveries, for its page in the back office: only
-- the events being retried after a failure or given up on are indexed.
CREATE INDEX request_events_failing ON request_events (agency_id, seq)
    WHERE delivery = 'dead' OR (delivery = 'pending' AND attempts > 0);
