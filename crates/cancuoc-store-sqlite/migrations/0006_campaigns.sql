-- Campaigns, their targets per police unit, and the intake kept per unit and day.
-- The same text runs on both backends (each has its own copy); keep them equal.

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_micros BIGINT NOT NULL
);

CREATE TABLE quotas (
    campaign_id TEXT NOT NULL REFERENCES campaigns (id),
    unit TEXT NOT NULL,
    total BIGINT NOT NULL,
    daily BIGINT,
    set_by TEXT NOT NULL,
    set_micros BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, unit)
);

-- Applications received per police unit and day, not cancelled, counted at the intake
-- unit and again at every unit above it, so that a report reads one row per unit and day
-- instead of scanning applications. Kept in the transaction that files or cancels.
CREATE TABLE intake_counts (
    unit TEXT NOT NULL,
    day TEXT NOT NULL,
    received BIGINT NOT NULL,
    PRIMARY KEY (unit, day)
);

-- The applications filed before this table existed.
WITH RECURSIVE up (origin, code) AS (
    SELECT code, code FROM police_units
    UNION ALL
    SELECT up.origin, p.parent_code FROM up JOIN police_units p ON p.code = up.code
    WHERE p.parent_code IS NOT NULL
),
direct AS (
    SELECT intake_unit, intake_date, count(*) AS n FROM applications
    WHERE state <> 'cancelled' GROUP BY intake_unit, intake_date
)
INSERT INTO intake_counts (unit, day, received)
SELECT up.code, direct.intake_date, CAST(sum(direct.n) AS BIGINT)
FROM direct JOIN up ON up.origin = direct.intake_unit
GROUP BY up.code, direct.intake_date;
