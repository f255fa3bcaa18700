-- The commune whose people a session invites when it is not the site's own: a planned
-- session may gather a small neighbouring commune's people at the team's site (issue 18).
ALTER TABLE enrollment_sessions ADD COLUMN invites_commune TEXT;
CREATE INDEX enrollment_sessions_by_invited ON enrollment_sessions (day, invites_commune);
