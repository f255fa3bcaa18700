-- Name searches are mostly narrowed by birth year. With the year in the name indexes the
-- filter is checked on index entries instead of fetching every row of a common name, and
-- results come in (name, birth year, ID) order straight off the index.
DROP INDEX IF EXISTS citizens_by_name;
CREATE INDEX citizens_by_name ON citizens (name_key, birth_year, personal_id);
DROP INDEX IF EXISTS citizens_by_commune;
CREATE INDEX citizens_by_commune ON citizens (home_commune, name_key, birth_year, personal_id);
DROP INDEX IF EXISTS citizens_by_district;
CREATE INDEX citizens_by_district ON citizens (home_district, name_key, birth_year, personal_id);
DROP INDEX IF EXISTS citizens_by_province;
CREATE INDEX citizens_by_province ON citizens (home_province, name_key, birth_year, personal_id);
