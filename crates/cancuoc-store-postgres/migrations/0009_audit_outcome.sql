-- Every audit event records what became of the request (done, refused, not_found), so that
-- a refused or empty read is not indistinguishable from a real one; the MAC covers it.
ALTER TABLE audit_events ADD COLUMN outcome TEXT NOT NULL DEFAULT 'done';
