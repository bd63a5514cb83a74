-- A payment's events are only ever read together, in order: one index on
-- (payment_id, id) serves that and keeps them unique, where two indexes
-- (id, and payment_id) were written for every event, three per payment.
ALTER TABLE payment_events DROP CONSTRAINT payment_events_pkey;
ALTER TABLE payment_events ADD PRIMARY KEY (payment_id, id);
DROP INDEX payment_events_by_payment;
