-- The audit trail partitioned by month (Vietnam time, UTC+7), so that it grows for years
-- without slowing an append or the verification of recent events, and a month long past
-- can be detached for archive. The partition key is `logged_micros`, when the event was
-- appended: the later of the clock and the previous event's, so that it never goes back
-- and each month holds one unbroken stretch of the chain whatever the nodes' clocks say.
-- `at_micros` stays the event's own time (a station's events keep the station's), under
-- the MAC as before.
--
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

ALTER TABLE audit_events RENAME TO audit_events_unpartitioned;
DROP INDEX audit_by_actor;
DROP INDEX audit_by_record;

CREATE TABLE audit_events (
    seq         BIGINT NOT NULL,
    at_micros   BIGINT NOT NULL,
    logged_micros BIGINT NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    unit        TEXT NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    record_kind TEXT NOT NULL,
    record_key  TEXT COLLATE "C" NOT NULL,
    purpose     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    outcome     TEXT NOT NULL DEFAULT 'done',
    -- A key of a partitioned table holds its partition key; seq alone is kept unique by
    -- the append (under the audit lock) and checked by `audit verify`.
    PRIMARY KEY (seq, logged_micros)
) PARTITION BY RANGE (logged_micros);
CREATE INDEX audit_by_actor ON audit_events (actor, seq);
CREATE INDEX audit_by_record ON audit_events (record_key, seq);
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
-- Events of a month no partition was made for (the server down for months): kept, never
-- refused. A month cannot be made while this holds events of it.
CREATE TABLE audit_events_default PARTITION OF audit_events DEFAULT;
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events_default
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Makes the partition of the month holding `day` unless it exists; returns its name, or
-- NULL when the default partition already holds events of that month (they stay there).
CREATE FUNCTION audit_month_partition(day DATE) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    first_day DATE := date_trunc('month', day)::DATE;
    part TEXT := 'audit_events_' || to_char(first_day, 'YYYY_MM');
    lo BIGINT := (EXTRACT(EPOCH FROM first_day::TIMESTAMP - INTERVAL '7 hours') * 1000000)::BIGINT;
    hi BIGINT := (EXTRACT(EPOCH FROM (first_day + INTERVAL '1 month')::TIMESTAMP - INTERVAL '7 hours') * 1000000)::BIGINT;
BEGIN
    IF EXISTS (SELECT 1 FROM audit_events_default WHERE logged_micros >= lo AND logged_micros < hi) THEN
        RETURN NULL;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM audit_months m WHERE m.name = part) THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%s) TO (%s)',
            part, lo, hi);
        EXECUTE format('CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON %I
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()', part);
        INSERT INTO audit_months (name, from_micros, to_micros) VALUES (part, lo, hi);
    END IF;
    RETURN part;
END;
$$;

-- The events as they stand, each logged at the latest time of those up to it.
CREATE TEMPORARY TABLE audit_logged AS
    SELECT seq, max(at_micros) OVER (ORDER BY seq) AS logged_micros FROM audit_events_unpartitioned;

-- Every month from the oldest event to two months ahead, then the events moved in.
DO $$
DECLARE
    oldest BIGINT := (SELECT min(logged_micros) FROM audit_logged);
    day DATE := (to_timestamp(COALESCE(oldest, 0) / 1000000.0) AT TIME ZONE 'UTC' + INTERVAL '7 hours')::DATE;
BEGIN
    IF oldest IS NULL THEN
        day := (now() AT TIME ZONE 'UTC' + INTERVAL '7 hours')::DATE;
    END IF;
    WHILE day <= (now() AT TIME ZONE 'UTC' + INTERVAL '7 hours' + INTERVAL '2 months')::DATE LOOP
        PERFORM audit_month_partition(day);
        day := (date_trunc('month', day) + INTERVAL '1 month')::DATE;
    END LOOP;
END;
$$;
INSERT INTO audit_events SELECT e.seq, e.at_micros, l.logged_micros, e.actor, e.unit, e.action,
    e.record_kind, e.record_key, e.purpose, e.prev_hash, e.hash, e.outcome
    FROM audit_events_unpartitioned e JOIN audit_logged l ON l.seq = e.seq;
DROP TABLE audit_logged;
DROP TABLE audit_events_unpartitioned;

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
