-- Secondary indexes of the register, apart from the tables (as on SQLite). They inherit
-- the columns' "C" collation, so the name index serves the prefix range and the keyset
-- cursor without text_pattern_ops.
CREATE INDEX IF NOT EXISTS citizens_by_name ON citizens (name_key, personal_id);
CREATE INDEX IF NOT EXISTS citizens_by_old_id ON citizens (old_id_number) WHERE old_id_number IS NOT NULL;
CREATE INDEX IF NOT EXISTS citizens_by_dup_key ON citizens (dup_key);
CREATE INDEX IF NOT EXISTS citizens_by_household ON citizens (household_number) WHERE household_number IS NOT NULL;
CREATE INDEX IF NOT EXISTS citizens_by_commune ON citizens (home_commune, name_key);
CREATE INDEX IF NOT EXISTS citizens_by_district ON citizens (home_district, name_key);
CREATE INDEX IF NOT EXISTS citizens_by_province ON citizens (home_province, name_key);
