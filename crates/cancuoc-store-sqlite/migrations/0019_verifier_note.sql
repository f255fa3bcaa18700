-- Issue 19 §6: an application filed from a station's packet whose citizen's record changed
-- centrally after the station's extract is filed, and flagged for the verifier with what
-- changed. Set once, by the server, never by an officer.
ALTER TABLE applications ADD COLUMN verifier_note TEXT;
