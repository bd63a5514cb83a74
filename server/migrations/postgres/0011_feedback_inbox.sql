-- The back office's feedback inbox: who marked a message handled, when,
-- and their note; messages listed newest first.
ALTER TABLE feedback ADD COLUMN handled_at TIMESTAMPTZ;
ALTER TABLE feedback ADD COLUMN handled_by TEXT;
ALTER TABLE feedback ADD COLUMN handled_note TEXT;
CREATE INDEX feedback_open ON feedback (id) WHERE handled_at IS NULL;
