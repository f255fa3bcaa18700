-- On SQLite an import commits its rows chunk by chunk, so that desks never wait for it
-- (issue 15); on PostgreSQL it stays one transaction, whose run nobody else ever sees.
-- Each row it writes carries its run; the views below hide the rows of every run still
-- listed in import_runs, and the import's last transaction deletes its run: one row
-- makes the whole file visible at once. A run that fails or dies is discarded by
-- deleting its rows (ARCHITECTURE.md, "An import never stops the register").
-- Reads name the views; writes name the *_rows tables.
CREATE TABLE import_runs (
    -- AUTOINCREMENT: an id is never reused, so a finished run's rows stay visible.
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    file_hash      TEXT NOT NULL,
    started_micros INTEGER NOT NULL
);

ALTER TABLE citizens RENAME TO citizen_rows;
ALTER TABLE citizen_rows ADD COLUMN import_run INTEGER;
CREATE INDEX citizen_rows_by_import_run ON citizen_rows (import_run) WHERE import_run IS NOT NULL;
CREATE VIEW citizens AS SELECT * FROM citizen_rows
    WHERE import_run IS NULL OR import_run NOT IN (SELECT id FROM import_runs);

ALTER TABLE households RENAME TO household_rows;
ALTER TABLE household_rows ADD COLUMN import_run INTEGER;
CREATE INDEX household_rows_by_import_run ON household_rows (import_run) WHERE import_run IS NOT NULL;
CREATE VIEW households AS SELECT * FROM household_rows
    WHERE import_run IS NULL OR import_run NOT IN (SELECT id FROM import_runs);

ALTER TABLE staged_forms RENAME TO staged_form_rows;
ALTER TABLE staged_form_rows ADD COLUMN import_run INTEGER;
CREATE INDEX staged_form_rows_by_import_run ON staged_form_rows (import_run) WHERE import_run IS NOT NULL;
CREATE VIEW staged_forms AS SELECT * FROM staged_form_rows
    WHERE import_run IS NULL OR import_run NOT IN (SELECT id FROM import_runs);
