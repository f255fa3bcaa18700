-- The population register, officers and the audit trail.
-- Times are microseconds since the Unix epoch (UTC); dates are ISO text.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE admin_units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    parent_code TEXT,
    latitude    REAL,
    longitude   REAL
);

CREATE TABLE police_units (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    parent_code TEXT
);

CREATE TABLE officers (
    username             TEXT PRIMARY KEY,
    full_name            TEXT NOT NULL,
    unit_code            TEXT NOT NULL,
    role                 TEXT NOT NULL,
    active               INTEGER NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    created_micros       INTEGER NOT NULL
);

CREATE TABLE login_failures (
    username  TEXT NOT NULL,
    at_micros INTEGER NOT NULL
);
CREATE INDEX login_failures_by_user ON login_failures (username, at_micros);

CREATE TABLE sessions (
    token_hash     TEXT PRIMARY KEY,
    username       TEXT NOT NULL,
    created_micros INTEGER NOT NULL,
    expires_micros INTEGER NOT NULL,
    csrf_token     TEXT NOT NULL
);

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY,
    at_micros   INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    unit        TEXT NOT NULL,
    action      TEXT NOT NULL,
    record_kind TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_by_actor ON audit_events (actor, seq);
CREATE INDEX audit_by_record ON audit_events (record_key, seq);

-- The trail is append-only: the database itself refuses changes and deletions.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE citizens (
    key              TEXT PRIMARY KEY,
    personal_id      TEXT NOT NULL UNIQUE,
    old_id_number    TEXT,
    name_key         TEXT NOT NULL,
    birth_year       INTEGER NOT NULL,
    birth_date       TEXT NOT NULL,
    dup_key          TEXT NOT NULL,
    household_number TEXT,
    home_province    TEXT,
    home_district    TEXT,
    home_commune     TEXT,
    status           TEXT NOT NULL,
    version          INTEGER NOT NULL,
    data             TEXT NOT NULL,
    updated_micros   INTEGER NOT NULL
);

CREATE TABLE citizen_history (
    citizen_key    TEXT NOT NULL,
    version        INTEGER NOT NULL,
    at_micros      INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    source         TEXT NOT NULL,
    status         TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    data           TEXT NOT NULL,
    PRIMARY KEY (citizen_key, version)
);

CREATE TABLE households (
    number           TEXT PRIMARY KEY,
    commune          TEXT NOT NULL,
    address          TEXT NOT NULL,
    head_personal_id TEXT
);

CREATE TABLE id_counters (
    prefix TEXT PRIMARY KEY,
    next   INTEGER NOT NULL
);

CREATE TABLE id_reservations (
    personal_id     TEXT PRIMARY KEY,
    reserved_micros INTEGER NOT NULL,
    actor           TEXT NOT NULL
);

CREATE TABLE staged_forms (
    id              TEXT PRIMARY KEY,
    source          TEXT NOT NULL,
    row_number      INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    status          TEXT NOT NULL,
    personal_id     TEXT NOT NULL,
    content_hash    TEXT NOT NULL,
    data            TEXT NOT NULL,
    findings        TEXT NOT NULL,
    home_province   TEXT,
    home_district   TEXT,
    home_commune    TEXT,
    created_micros  INTEGER NOT NULL,
    decided_by      TEXT,
    decided_micros  INTEGER,
    decision_reason TEXT
);
CREATE INDEX staged_forms_open_content ON staged_forms (content_hash) WHERE status IN ('draft', 'verified');
CREATE INDEX staged_forms_by_status ON staged_forms (status, created_micros, id);

CREATE TABLE imports (
    file_hash TEXT NOT NULL,
    source    TEXT NOT NULL,
    at_micros INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    inserted  INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    staged    INTEGER NOT NULL
);
