-- PostgreSQL's migration 0026 partitions applications and their history by province and
-- keeps the rules that hold across provinces in two tables. SQLite keeps one table whose
-- own unique indexes hold those rules; the two names are views over it, so that one query
-- reads them on both stores. An event carries its application's province, as there.
ALTER TABLE application_events ADD COLUMN home_province TEXT;
UPDATE application_events SET home_province =
    (SELECT a.home_province FROM applications a WHERE a.key = application_events.application_key);

CREATE VIEW application_keys AS
    SELECT key, receipt, idempotency_key, home_province FROM applications;

-- The same condition as the partial index applications_one_open, which serves it.
CREATE VIEW open_applications AS
    SELECT personal_id, key AS application_key FROM applications
    WHERE state NOT IN ('handed_over', 'rejected', 'cancelled');
