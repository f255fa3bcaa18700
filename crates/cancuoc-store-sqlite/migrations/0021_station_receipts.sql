-- Issue 19: a station gives receipt numbers offline from its own block of the unit's
-- daily serials (see cancuoc_domain::receipt::station_serials), set at its first approval
-- and kept, so that a number given at the station is the one the server files.
ALTER TABLE stations ADD COLUMN receipt_block INTEGER;
-- Stations approved before: blocks by the order they were asked for, within their unit.
UPDATE stations SET receipt_block = (
    SELECT COUNT(*) FROM stations earlier
    WHERE earlier.unit = stations.unit AND earlier.status = 'approved'
      AND (earlier.requested_micros < stations.requested_micros
           OR (earlier.requested_micros = stations.requested_micros AND earlier.id <= stations.id))
) WHERE status = 'approved';
