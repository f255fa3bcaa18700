-- The review of staged forms keeps who verified the current data and who last corrected
-- it, so that neither approves it (maker and checker, cancuoc_domain::review).
ALTER TABLE staged_forms ADD COLUMN verified_by TEXT;
ALTER TABLE staged_forms ADD COLUMN corrected_by TEXT;
