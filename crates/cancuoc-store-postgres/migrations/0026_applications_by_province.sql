-- Issue 20 §3: applications and their history partitioned by the intake unit's province
-- (LIST on home_province, one partition per province of the fixed 63-province code list
-- and a default one), so that a province's queue, a province's history and its vacuum stay
-- the size of one province, and an application's history lives beside it (the same key a
-- distributed PostgreSQL would shard on).
--
-- A unique index on a partitioned table must hold the partition key, so the rules that
-- hold across provinces live in two small tables kept by a trigger in the same statement:
--   application_keys   one row per application: its key, receipt number and idempotency
--                      key are unique nationally, and it says which province holds it;
--   open_applications  one row per citizen with an open application: at most one, whatever
--                      the writers race (the PRIMARY KEY on personal_id).
-- SQLite keeps one table and the same names as views (its migration 0026).

CREATE TABLE application_keys (
    key TEXT PRIMARY KEY,
    receipt TEXT NOT NULL UNIQUE,
    idempotency_key TEXT UNIQUE,
    home_province TEXT NOT NULL
);

CREATE TABLE open_applications (
    personal_id TEXT PRIMARY KEY,
    application_key TEXT NOT NULL UNIQUE REFERENCES application_keys (key)
);

-- The same columns as the table it replaces.
CREATE TABLE applications_by_province (LIKE applications) PARTITION BY LIST (home_province);

CREATE TABLE application_events_by_province (LIKE application_events,
    home_province TEXT NOT NULL) PARTITION BY LIST (home_province);

DO $$
DECLARE
    code TEXT;
BEGIN
    FOREACH code IN ARRAY ARRAY['01', '02', '04', '06', '08', '10', '11', '12', '14', '15',
        '17', '19', '20', '22', '24', '25', '26', '27', '30', '31', '33', '34', '35', '36',
        '37', '38', '40', '42', '44', '45', '46', '48', '49', '51', '52', '54', '56', '58',
        '60', '62', '64', '66', '67', '68', '70', '72', '74', '75', '77', '79', '80', '82',
        '83', '84', '86', '87', '89', '91', '92', '93', '94', '95', '96']
    LOOP
        EXECUTE format('CREATE TABLE %I PARTITION OF applications_by_province FOR VALUES IN (%L)',
            'applications_' || code, code);
        EXECUTE format('CREATE TABLE %I PARTITION OF application_events_by_province FOR VALUES IN (%L)',
            'application_events_' || code, code);
    END LOOP;
END;
$$;
-- A unit of a province outside the list (a register loaded with other codes): kept.
CREATE TABLE applications_default PARTITION OF applications_by_province DEFAULT;
CREATE TABLE application_events_default PARTITION OF application_events_by_province DEFAULT;

INSERT INTO application_keys (key, receipt, idempotency_key, home_province)
    SELECT key, receipt, idempotency_key, home_province FROM applications;
INSERT INTO open_applications (personal_id, application_key)
    SELECT personal_id, key FROM applications
    WHERE state NOT IN ('handed_over', 'rejected', 'cancelled');
INSERT INTO applications_by_province SELECT * FROM applications;
INSERT INTO application_events_by_province
    SELECT e.*, a.home_province FROM application_events e
    JOIN applications a ON a.key = e.application_key;

ALTER TABLE cards DROP CONSTRAINT cards_application_key_fkey;
DROP TABLE application_events;
DROP TABLE applications;
ALTER TABLE applications_by_province RENAME TO applications;
ALTER TABLE application_events_by_province RENAME TO application_events;

ALTER TABLE applications ADD PRIMARY KEY (home_province, key);
ALTER TABLE application_events ADD PRIMARY KEY (home_province, application_key, seq);
ALTER TABLE application_events ADD FOREIGN KEY (home_province, application_key)
    REFERENCES applications (home_province, key);
ALTER TABLE applications ADD FOREIGN KEY (key) REFERENCES application_keys (key);
ALTER TABLE cards ADD FOREIGN KEY (application_key) REFERENCES application_keys (key);

CREATE INDEX applications_by_key ON applications (key);
CREATE INDEX applications_by_unit ON applications (intake_unit, state, due_date, key);
CREATE INDEX applications_by_due ON applications (due_date, key);
CREATE INDEX applications_by_batch ON applications (batch) WHERE batch IS NOT NULL;
CREATE INDEX applications_by_person ON applications (personal_id, due_date, key);

-- Keeps application_keys and open_applications with every change of an application, in
-- the same statement; what makes an application is never changed afterwards. BEFORE an
-- insert or update, so that the keys exist when the row's own foreign key is checked;
-- AFTER a delete, so that the row no longer holds its key when the key goes.
CREATE FUNCTION applications_keep_national_keys() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was_open BOOLEAN := TG_OP <> 'INSERT'
        AND OLD.state NOT IN ('handed_over', 'rejected', 'cancelled');
    is_open BOOLEAN := TG_OP <> 'DELETE'
        AND NEW.state NOT IN ('handed_over', 'rejected', 'cancelled');
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.key, NEW.receipt, NEW.idempotency_key, NEW.home_province,
            NEW.personal_id) IS DISTINCT FROM (OLD.key, OLD.receipt, OLD.idempotency_key,
            OLD.home_province, OLD.personal_id) THEN
        RAISE EXCEPTION 'an application''s key, receipt, idempotency key, province and citizen are never changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO application_keys (key, receipt, idempotency_key, home_province)
            VALUES (NEW.key, NEW.receipt, NEW.idempotency_key, NEW.home_province);
    END IF;
    IF was_open AND NOT is_open THEN
        DELETE FROM open_applications WHERE personal_id = OLD.personal_id;
    ELSIF is_open AND NOT was_open THEN
        INSERT INTO open_applications (personal_id, application_key)
            VALUES (NEW.personal_id, NEW.key);
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM application_keys WHERE key = OLD.key;
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER applications_keep_national_keys BEFORE INSERT OR UPDATE
    ON applications FOR EACH ROW EXECUTE FUNCTION applications_keep_national_keys();
CREATE TRIGGER applications_let_go_of_national_keys AFTER DELETE
    ON applications FOR EACH ROW EXECUTE FUNCTION applications_keep_national_keys();
