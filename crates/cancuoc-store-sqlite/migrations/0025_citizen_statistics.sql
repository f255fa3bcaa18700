-- PostgreSQL's migration 0025 adds statistics on the expressions eligible-population counts
-- filter on. SQLite plans those counts from its indexes alone: nothing to add, and the
-- numbering stays the same on both.
SELECT 1;
