-- Card applications (hồ sơ), their history, receipt serials and cards.
-- The same text runs on PostgreSQL (its own copy of this migration); keep them equal.

-- home_* are the intake unit's place (province, district, commune as far as the unit
-- goes), named like the citizens' columns so one jurisdiction filter serves both.
CREATE TABLE applications (
    key TEXT PRIMARY KEY,
    receipt TEXT NOT NULL UNIQUE,
    personal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT,
    channel TEXT NOT NULL,
    intake_unit TEXT NOT NULL,
    home_province TEXT NOT NULL,
    home_district TEXT,
    home_commune TEXT,
    station TEXT,
    officer TEXT NOT NULL,
    intake_micros BIGINT NOT NULL,
    intake_date TEXT NOT NULL,
    due_date TEXT NOT NULL,
    fee_vnd BIGINT NOT NULL,
    fee_basis TEXT NOT NULL,
    exemption TEXT,
    identifying_marks TEXT,
    old_card_returned BIGINT NOT NULL,
    biometrics TEXT,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    batch TEXT,
    idempotency_key TEXT UNIQUE
);

-- At most one open application per citizen, whatever the writers race.
CREATE UNIQUE INDEX applications_one_open ON applications (personal_id)
    WHERE state NOT IN ('handed_over', 'rejected', 'cancelled');
CREATE INDEX applications_by_unit ON applications (intake_unit, state, due_date, key);
CREATE INDEX applications_by_due ON applications (due_date, key);
CREATE INDEX applications_by_batch ON applications (batch) WHERE batch IS NOT NULL;

CREATE TABLE application_events (
    application_key TEXT NOT NULL REFERENCES applications (key),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    actor TEXT NOT NULL,
    unit TEXT NOT NULL,
    at_micros BIGINT NOT NULL,
    reason TEXT,
    PRIMARY KEY (application_key, seq)
);

CREATE TABLE receipt_serials (
    unit TEXT NOT NULL,
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (unit, day)
);

CREATE TABLE cards (
    application_key TEXT PRIMARY KEY REFERENCES applications (key),
    personal_id TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    expiry_date TEXT,
    mrz TEXT NOT NULL,
    qr_payload TEXT NOT NULL,
    status TEXT NOT NULL,
    produced_micros BIGINT NOT NULL,
    status_micros BIGINT NOT NULL
);

CREATE INDEX cards_by_person ON cards (personal_id, produced_micros);
-- One active card per citizen: handover replaces the old one in the same transaction.
CREATE UNIQUE INDEX cards_one_active ON cards (personal_id) WHERE status = 'active';

-- The production centre's daily batch per province.
CREATE TABLE production_batches (
    id TEXT PRIMARY KEY,
    province TEXT NOT NULL,
    day TEXT NOT NULL,
    created_micros BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (province, day)
);
