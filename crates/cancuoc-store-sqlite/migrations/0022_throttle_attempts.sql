-- Throttles of every kind (failed sign-ins, citizens' requests, public chip checks) count
-- their attempts in one table, so that every server node on a database sees the same.
ALTER TABLE login_failures RENAME TO throttle_attempts;
ALTER TABLE throttle_attempts RENAME COLUMN username TO throttle_key;
DROP INDEX login_failures_by_user;
CREATE INDEX throttle_attempts_by_key ON throttle_attempts (throttle_key, at_micros);
-- The sweep of attempts too old for any window.
CREATE INDEX throttle_attempts_by_time ON throttle_attempts (at_micros);
