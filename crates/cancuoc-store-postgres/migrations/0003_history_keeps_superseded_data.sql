-- A history entry keeps the record's data only once the version is superseded: the
-- current version's data is `citizens.data`, so storing it twice doubled the register's
-- size and its load time. The entry of the current version has `data` NULL.
ALTER TABLE citizen_history ALTER COLUMN data DROP NOT NULL;
UPDATE citizen_history h SET data = NULL
    FROM citizens c WHERE c.key = h.citizen_key AND c.version = h.version;
