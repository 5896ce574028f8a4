-- Expiry clearing runs (JS 37): one row per run of the clearing job, written when it starts, its counters advanced
-- in the same database transaction as each group of Expire transactions, and finished_us set when it has read
-- every due lot. A daily run reads only lots that expire after the last finished run's as-of day minus 31 days
-- (a cancelled redemption may put points back into a lot that has expired) or its earliest skipped lot.
CREATE TABLE expiry_runs (
    id             INTEGER PRIMARY KEY,
    as_of          TEXT    NOT NULL, -- lots with expires_on on or before this day are due
    scanned_after  TEXT,             -- the exclusive lower bound of expires_on this run read; NULL: every lot
    actor          TEXT    NOT NULL,
    started_us     INTEGER NOT NULL,
    finished_us    INTEGER,          -- NULL while running, or when the run was interrupted
    lots_cleared   INTEGER NOT NULL,
    points_cleared INTEGER NOT NULL,
    grams_cleared  INTEGER NOT NULL,
    lots_skipped   INTEGER NOT NULL, -- lots that changed while the run read them; the next run clears them
    skipped_from   TEXT              -- the earliest expires_on among the skipped lots; NULL when none
);
CREATE INDEX expiry_runs_as_of ON expiry_runs (as_of, id);
