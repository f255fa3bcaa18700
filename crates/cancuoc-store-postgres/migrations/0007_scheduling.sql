-- Enrollment scheduling (DESIGN §7): sites, machines, sessions with their machines,
-- officers and slots, and appointments (from household invitations, citizens' bookings
-- and walk-ins). The same text runs on both backends (each has its own copy); keep them equal.

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    home_province TEXT NOT NULL,
    home_district TEXT,
    home_commune TEXT NOT NULL,
    address TEXT NOT NULL,
    opens_min BIGINT NOT NULL,
    closes_min BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_micros BIGINT NOT NULL,
    UNIQUE (unit, name)
);

CREATE TABLE machines (
    id TEXT PRIMARY KEY,
    unit TEXT NOT NULL,
    label TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    active BIGINT NOT NULL,
    created_micros BIGINT NOT NULL,
    UNIQUE (unit, label)
);

-- `sessions` holds console logins; these are the enrollment sessions.
CREATE TABLE enrollment_sessions (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id),
    unit TEXT NOT NULL,
    home_province TEXT NOT NULL,
    home_district TEXT,
    home_commune TEXT NOT NULL,
    day TEXT NOT NULL,
    start_min BIGINT NOT NULL,
    end_min BIGINT NOT NULL,
    slot_min BIGINT NOT NULL,
    state TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_micros BIGINT NOT NULL
);
CREATE INDEX enrollment_sessions_by_day ON enrollment_sessions (day, home_commune);

CREATE TABLE session_machines (
    session_id TEXT NOT NULL REFERENCES enrollment_sessions (id),
    machine_id TEXT NOT NULL REFERENCES machines (id),
    PRIMARY KEY (session_id, machine_id)
);

CREATE TABLE session_officers (
    session_id TEXT NOT NULL REFERENCES enrollment_sessions (id),
    username TEXT NOT NULL,
    PRIMARY KEY (session_id, username)
);

-- `capacity` is what the machines can serve in the slot; `slot_limit` the appointments
-- it takes (more than it serves when invitations allow for people who do not come).
CREATE TABLE slots (
    session_id TEXT NOT NULL REFERENCES enrollment_sessions (id),
    number BIGINT NOT NULL,
    start_min BIGINT NOT NULL,
    end_min BIGINT NOT NULL,
    capacity BIGINT NOT NULL,
    slot_limit BIGINT NOT NULL,
    PRIMARY KEY (session_id, number)
);

CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES enrollment_sessions (id),
    slot BIGINT NOT NULL,
    queue_number BIGINT NOT NULL,
    personal_id TEXT NOT NULL,
    household_number TEXT,
    origin TEXT NOT NULL,
    state TEXT NOT NULL,
    created_micros BIGINT NOT NULL,
    arrived_micros BIGINT,
    called_micros BIGINT,
    served_micros BIGINT,
    application_key TEXT,
    UNIQUE (session_id, queue_number)
);
CREATE INDEX appointments_by_slot ON appointments (session_id, slot);

-- One active appointment per person, whatever the writers race.
CREATE UNIQUE INDEX appointments_one_active ON appointments (personal_id)
    WHERE state IN ('booked', 'checked_in', 'called');
