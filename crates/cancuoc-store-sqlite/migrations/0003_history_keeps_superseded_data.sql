-- A history entry keeps the record's data only once the version is superseded: the
-- current version's data is `citizens.data`, so storing it twice doubled the register's
-- size and its load time. The entry of the current version has `data` NULL. Its rows
-- being small now, the table is clustered on its key (WITHOUT ROWID): one B-tree per
-- entry written instead of a table and an index.
CREATE TABLE citizen_history_new (
    citizen_key    TEXT NOT NULL,
    version        INTEGER NOT NULL,
    at_micros      INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    source         TEXT NOT NULL,
    status         TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    data           TEXT,
    PRIMARY KEY (citizen_key, version)
) WITHOUT ROWID;
INSERT INTO citizen_history_new
    SELECT h.citizen_key, h.version, h.at_micros, h.actor, h.source, h.status, h.changed_fields,
           CASE WHEN c.version = h.version THEN NULL ELSE h.data END
    FROM citizen_history h LEFT JOIN citizens c ON c.key = h.citizen_key;
DROP TABLE citizen_history;
ALTER TABLE citizen_history_new RENAME TO citizen_history;
