-- The working-day calendar (DESIGN §10): the days that depart from the Monday-to-Friday week, seeded once from the
-- calendar the platform ships (cn-working-days.json) when the store is first read, then edited by the administrator.
-- calendar_meta holds one row, written in the same database transaction as the seeded days: its presence says the
-- seed is done, and edits lock it so that they queue one after another.
CREATE TABLE calendar_meta (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    first_year        INTEGER NOT NULL, -- the first year whose holidays are listed
    last_year         INTEGER NOT NULL, -- the last year whose holidays are listed
    provisional_years TEXT    NOT NULL, -- comma-separated years listed provisionally (statutory holidays only); '' for none
    seeded_us         BIGINT  NOT NULL,
    updated_us        BIGINT  NOT NULL
);

-- A listed day: a day off (holiday), or an adjusted working Saturday or Sunday (workday). Days not listed are ordinary.
CREATE TABLE calendar_days (
    date       TEXT    PRIMARY KEY, -- yyyy-MM-dd
    kind       TEXT    NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name_zh    TEXT    NOT NULL,
    name_en    TEXT    NOT NULL,
    updated_us BIGINT  NOT NULL,
    updated_by TEXT    NOT NULL
);

-- Every edit, append-only: what the day was (NULL kind: an ordinary day) and what it became.
CREATE TABLE calendar_edits (
    id               BIGSERIAL PRIMARY KEY,
    date             TEXT    NOT NULL,
    previous_kind    TEXT,
    previous_name_zh TEXT,
    previous_name_en TEXT,
    new_kind         TEXT,
    new_name_zh      TEXT,
    new_name_en      TEXT,
    actor            TEXT    NOT NULL,
    comment          TEXT    NOT NULL,
    at_us            BIGINT  NOT NULL
);
CREATE INDEX calendar_edits_date ON calendar_edits (date, id);
