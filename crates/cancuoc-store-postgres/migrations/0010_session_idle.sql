-- Sessions expire after idle time as well as absolutely: when each was last used.
ALTER TABLE sessions ADD COLUMN last_seen_micros BIGINT;
