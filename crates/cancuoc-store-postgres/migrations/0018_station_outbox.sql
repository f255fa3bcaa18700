-- Issue 19, on a station's own database: every application filed at the station becomes a
-- packet in this outbox, kept until the server answers it; a refused packet stays in view
-- until an officer at the station resolves it. The packet's bytes are in the station's
-- vault: as sent (sealed to the server's key, signed by the station's) and the station's
-- own copy, which it files again into its working copy when it starts.
CREATE TABLE station_outbox (
    packet TEXT PRIMARY KEY,
    made_micros BIGINT NOT NULL,
    officer TEXT NOT NULL,
    personal_id TEXT NOT NULL,
    sealed_object TEXT NOT NULL,
    plain_object TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'filed', 'refused', 'resolved')),
    answered_micros BIGINT,
    receipt TEXT,
    code TEXT,
    message TEXT,
    resolved_by TEXT,
    resolved_micros BIGINT
);
CREATE INDEX station_outbox_by_state ON station_outbox (state, made_micros);

-- When a push last reached the server and left nothing waiting: how long a station has gone
-- without pushing is a guard-rail on its intake.
ALTER TABLE station_identity ADD COLUMN last_push_micros BIGINT;
