-- The eligible population (living Vietnamese residents 14 or older without a valid card
-- or an open application) kept per place of residence for one day, so that a national
-- report reads one row per commune instead of every resident. Kept in the transaction of
-- every change that moves someone in or out; moved to the next day by the server, which
-- recounts only those whose 14th birthday or card expiry falls in between. `''` stands
-- for a level of the place not recorded.
CREATE TABLE eligible_counts (
    home_province TEXT NOT NULL,
    home_district TEXT NOT NULL,
    home_commune TEXT NOT NULL,
    eligible BIGINT NOT NULL,
    PRIMARY KEY (home_province, home_district, home_commune)
);

-- The day the counts hold for; no row until the server first counts them.
CREATE TABLE eligible_day (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    day TEXT NOT NULL
);

-- The people a change of day can move: a birthday, a card expiring.
CREATE INDEX citizen_rows_by_birth_date ON citizen_rows (birth_date);
CREATE INDEX cards_active_by_expiry ON cards (expiry_date) WHERE status = 'active';
