-- The expert pool (专家库, NJ 2, SZ 6) and the panels drawn from it (SZ 11). An expert's row is its current state;
-- every change to it is appended to expert_events with who made it and when, and never updated. A panel draw
-- is stored whole, as the record anyone can replay (PanelDraw.Verify), and never changed.

CREATE TABLE experts (
    id                   INTEGER PRIMARY KEY,
    name                 TEXT    NOT NULL,
    organisation         TEXT    NOT NULL,
    organisation_account INTEGER,          -- the organisation's account, when it has one
    fields               TEXT    NOT NULL, -- JSON array of field codes
    title                TEXT    NOT NULL,
    status               INTEGER NOT NULL,
    conflicts            TEXT    NOT NULL, -- JSON array of declared conflicts, in the order declared
    revision             INTEGER NOT NULL, -- bumped on every change, with one expert_events row each
    created_us           INTEGER NOT NULL,
    updated_us           INTEGER NOT NULL
);

-- Append-only: what changed (added, status, conflict), the change as JSON, who and when.
CREATE TABLE expert_events (
    expert_id INTEGER NOT NULL REFERENCES experts(id),
    revision  INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    detail    TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    comment   TEXT    NOT NULL,
    at_us     INTEGER NOT NULL,
    PRIMARY KEY (expert_id, revision)
) WITHOUT ROWID;

CREATE TABLE panel_draws (
    id        INTEGER PRIMARY KEY,
    subject   TEXT    NOT NULL, -- what the panel reviews, e.g. application:42
    record    TEXT    NOT NULL, -- the PanelDrawRecord as JSON
    drawn_by  TEXT    NOT NULL,
    at_us     INTEGER NOT NULL
);
CREATE INDEX panel_draws_subject ON panel_draws (subject, id);

-- A token acting for one expert names it; 0 for every other role.
ALTER TABLE access_tokens ADD COLUMN expert_id INTEGER NOT NULL DEFAULT 0;
