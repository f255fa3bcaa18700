-- The lists of issue 16: a citizen's applications on their page, and the register of a
-- unit filtered to those with a form waiting for review.
CREATE INDEX applications_by_person ON applications (personal_id, due_date, key);
CREATE INDEX staged_form_rows_open_by_person ON staged_form_rows (personal_id)
    WHERE status IN ('draft', 'verified');
