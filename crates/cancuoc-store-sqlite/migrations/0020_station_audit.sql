-- Issue 19 §4: a station's audit events join the central chain. The server keeps the last
-- of each station's sequence numbers it appended, so that events sent again are skipped;
-- the station keeps the last it sent.
ALTER TABLE stations ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE station_identity ADD COLUMN audit_sent_seq INTEGER NOT NULL DEFAULT 0;
