-- The population register, officers and the audit trail: the same tables and columns as
-- the SQLite schema, in PostgreSQL's own types.
-- Times are microseconds since the Unix epoch (UTC, BIGINT); dates are ISO text; record
-- keys are UUIDs; record contents are JSONB.
-- Every text column that is sorted, range-compared or used as a key is COLLATE "C", so that
-- it compares byte by byte like SQLite's BINARY collation whatever the database's locale:
-- the name-prefix search (name_key > 'X ' AND name_key < 'X \u{10FFFF}') and the keyset
-- cursors depend on it.

CREATE TABLE meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE admin_units (
    code        TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_code TEXT COLLATE "C",
    latitude    DOUBLE PRECISION,
    longitude   DOUBLE PRECISION
);

CREATE TABLE police_units (
    code        TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT COLLATE "C"
);

CREATE TABLE officers (
    username             TEXT COLLATE "C" PRIMARY KEY,
    full_name            TEXT NOT NULL,
    unit_code            TEXT COLLATE "C" NOT NULL,
    role                 TEXT NOT NULL,
    active               BOOLEAN NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    created_micros       BIGINT NOT NULL
);

CREATE TABLE login_failures (
    username  TEXT COLLATE "C" NOT NULL,
    at_micros BIGINT NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (username, at_micros);

CREATE TABLE sessions (
    token_hash     TEXT COLLATE "C" PRIMARY KEY,
    username       TEXT COLLATE "C" NOT NULL,
    created_micros BIGINT NOT NULL,
    expires_micros BIGINT NOT NULL,
    csrf_token     TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (username);

CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    at_micros   BIGINT NOT NULL,
    actor       TEXT COLLATE "C" NOT NULL,
    unit        TEXT NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    record_kind TEXT NOT NULL,
    record_key  TEXT COLLATE "C" NOT NULL,
    purpose     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_events (actor, seq);
CREATE INDEX audit_by_record ON audit_events (record_key, seq);

-- The trail is append-only: the database itself refuses changes, deletions and truncation.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- The lock that serialises the audit chain: one row, taken with SELECT ... FOR UPDATE by
-- every transaction before it reads the chain's tail (and, by every transaction that
-- writes the register, before its first write). Held until commit or rollback, so the tail
-- cannot move between reading it and appending after it. The row itself never changes.
CREATE TABLE audit_head (
    id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id)
);
INSERT INTO audit_head (id) VALUES (TRUE);
CREATE FUNCTION audit_head_is_permanent() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit lock row cannot be removed';
END;
$$;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_is_permanent();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_is_permanent();

CREATE TABLE citizens (
    key              UUID PRIMARY KEY,
    personal_id      TEXT COLLATE "C" NOT NULL UNIQUE,
    old_id_number    TEXT COLLATE "C",
    name_key         TEXT COLLATE "C" NOT NULL,
    birth_year       INTEGER NOT NULL,
    birth_date       TEXT COLLATE "C" NOT NULL,
    dup_key          TEXT COLLATE "C" NOT NULL,
    household_number TEXT COLLATE "C",
    home_province    TEXT COLLATE "C",
    home_district    TEXT COLLATE "C",
    home_commune     TEXT COLLATE "C",
    status           TEXT NOT NULL,
    version          BIGINT NOT NULL,
    data             JSONB NOT NULL,
    updated_micros   BIGINT NOT NULL
);

CREATE TABLE citizen_history (
    citizen_key    UUID NOT NULL,
    version        BIGINT NOT NULL,
    at_micros      BIGINT NOT NULL,
    actor          TEXT NOT NULL,
    source         TEXT NOT NULL,
    status         TEXT NOT NULL,
    changed_fields JSONB NOT NULL,
    data           JSONB NOT NULL,
    PRIMARY KEY (citizen_key, version)
);

CREATE TABLE households (
    number           TEXT COLLATE "C" PRIMARY KEY,
    commune          TEXT COLLATE "C" NOT NULL,
    address          TEXT NOT NULL,
    head_personal_id TEXT COLLATE "C"
);

CREATE TABLE id_counters (
    prefix TEXT COLLATE "C" PRIMARY KEY,
    next   BIGINT NOT NULL
);

CREATE TABLE id_reservations (
    personal_id     TEXT COLLATE "C" PRIMARY KEY,
    reserved_micros BIGINT NOT NULL,
    actor           TEXT NOT NULL
);

CREATE TABLE staged_forms (
    id              UUID PRIMARY KEY,
    source          TEXT NOT NULL,
    row_number      BIGINT NOT NULL,
    reason          TEXT NOT NULL,
    status          TEXT COLLATE "C" NOT NULL,
    personal_id     TEXT COLLATE "C" NOT NULL,
    content_hash    TEXT COLLATE "C" NOT NULL,
    data            JSONB NOT NULL,
    findings        JSONB NOT NULL,
    home_province   TEXT COLLATE "C",
    home_district   TEXT COLLATE "C",
    home_commune    TEXT COLLATE "C",
    created_micros  BIGINT NOT NULL,
    decided_by      TEXT,
    decided_micros  BIGINT,
    decision_reason TEXT
);
CREATE INDEX staged_forms_open_content ON staged_forms (content_hash) WHERE status IN ('draft', 'verified');
CREATE INDEX staged_forms_by_status ON staged_forms (status, created_micros, id);

CREATE TABLE imports (
    file_hash TEXT NOT NULL,
    source    TEXT NOT NULL,
    at_micros BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    inserted  BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    staged    BIGINT NOT NULL
);
