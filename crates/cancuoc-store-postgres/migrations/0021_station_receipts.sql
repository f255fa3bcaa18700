-- Issue 19: a station gives receipt numbers offline from its own block of the unit's
-- daily serials (see cancuoc_domain::receipt::station_serials), set at its first approval
-- and kept, so that a number given at the station is the one the server files.
ALTER TABLE stations ADD COLUMN receipt_block INTEGER;
