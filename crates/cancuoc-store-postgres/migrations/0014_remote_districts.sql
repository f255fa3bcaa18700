-- Issue 16 §10: the mountain, border and island districts of the 2014 law's 20-working-day
-- limit, kept by the province police; entries are ended, never deleted.
CREATE TABLE remote_districts (
    id TEXT PRIMARY KEY,
    district TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('mountain', 'border', 'island')),
    basis TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    created_by TEXT NOT NULL,
    created_micros BIGINT NOT NULL,
    ended_by TEXT
);
CREATE INDEX remote_districts_by_district ON remote_districts (district, valid_from);
