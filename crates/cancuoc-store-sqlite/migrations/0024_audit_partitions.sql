-- PostgreSQL partitions the audit trail by month and can detach a month for archive
-- (its migration 0024). An SQLite trail stays one table; `audit_months` and `audit_archive`
-- exist so that the store's statements are the same on both, and stay empty here.
CREATE TABLE audit_months (
    name TEXT PRIMARY KEY,
    from_micros BIGINT NOT NULL,
    to_micros BIGINT NOT NULL
);
CREATE TABLE audit_archive (
    name TEXT PRIMARY KEY,
    from_micros BIGINT NOT NULL,
    to_micros BIGINT NOT NULL,
    first_seq BIGINT NOT NULL,
    first_prev_hash TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    events BIGINT NOT NULL,
    archived_micros BIGINT NOT NULL
);

-- When each event was appended: the later of the clock and the previous event's, never
-- going back (PostgreSQL partitions the trail by it). The events so far take the latest
-- time of those up to them.
ALTER TABLE audit_events ADD COLUMN logged_micros BIGINT NOT NULL DEFAULT 0;
DROP TRIGGER audit_events_no_update;
UPDATE audit_events SET logged_micros = r.m
    FROM (SELECT seq, max(at_micros) OVER (ORDER BY seq) AS m FROM audit_events) AS r
    WHERE r.seq = audit_events.seq;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE INDEX audit_by_logged ON audit_events (logged_micros);

-- The chain's last event, kept by every append so that finding it reads one row however
-- many months the trail spans.
CREATE TABLE audit_tail (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    logged_micros BIGINT NOT NULL
);
INSERT INTO audit_tail (id, seq, hash, logged_micros)
    SELECT 1, seq, hash, logged_micros FROM audit_events ORDER BY seq DESC LIMIT 1;
