-- Governance (DESIGN §10): applications moving through the workflows of Puhui.Governance.Workflows, and the
-- governance log, an append-only, hash-chained record of every step (who, when, from, to, why, which documents).
-- The log is the record; the application, objection and opinion rows are its projections, which puhui audit
-- checks against it.

CREATE TABLE applications (
    id             INTEGER PRIMARY KEY,
    kind           TEXT     NOT NULL, -- methodology | scenario | verification-body
    subject        TEXT     NOT NULL, -- methodology id@version, scenario code, verification body's account id
    title_zh       TEXT     NOT NULL,
    title_en       TEXT     NOT NULL,
    applicant_id   INTEGER   NOT NULL REFERENCES accounts(id),
    applicant_name TEXT     NOT NULL,
    state          TEXT     NOT NULL,
    received_on    TEXT     NOT NULL, -- yyyy-MM-dd: deadlines counted from receipt start here
    entered_on     TEXT     NOT NULL, -- the day the application entered its state
    due_on         TEXT,              -- the state's deadline, or the last day of its public notice
    panel_draw_id  INTEGER,            -- the current panel's recorded draw
    panel          TEXT     NOT NULL, -- the current panel's expert ids, JSON
    round          INTEGER  NOT NULL, -- opinions are given per round; an objection or an amendment starts a new one
    payload        TEXT     NOT NULL, -- what was applied for, JSON
    revision       INTEGER  NOT NULL, -- bumped on every step
    created_us     INTEGER   NOT NULL,
    updated_us     INTEGER   NOT NULL
);
CREATE INDEX applications_kind_state ON applications (kind, state, id);
CREATE INDEX applications_subject ON applications (kind, subject, id);

CREATE TABLE governance_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq  INTEGER  NOT NULL,
    last_hash BLOB   NOT NULL
);
INSERT INTO governance_head (id, last_seq, last_hash) VALUES (1, 0, zeroblob(32));

CREATE TABLE governance_log (
    seq            INTEGER   PRIMARY KEY,
    at_us          INTEGER   NOT NULL,
    application_id INTEGER   NOT NULL REFERENCES applications(id),
    kind           TEXT     NOT NULL,
    action         TEXT     NOT NULL,
    actor          TEXT     NOT NULL,
    role           TEXT     NOT NULL,
    from_state     TEXT     NOT NULL, -- '' for the submission
    to_state       TEXT     NOT NULL,
    comment        TEXT     NOT NULL,
    documents      TEXT     NOT NULL, -- JSON array of the attached documents' SHA-256
    data           TEXT     NOT NULL, -- JSON: the step's other inputs and what it did (verdict, panel, objection, deadline)
    hash           BLOB    NOT NULL  -- SHA-256(previous hash ‖ canonical bytes of this entry)
);
CREATE INDEX governance_log_application ON governance_log (application_id, seq);

-- Documents by content: stored once, never overwritten, named by their SHA-256.
CREATE TABLE documents (
    sha256     TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    media_type TEXT    NOT NULL,
    size_bytes INTEGER  NOT NULL,
    content    BLOB   NOT NULL,
    stored_by  TEXT    NOT NULL,
    stored_us  INTEGER  NOT NULL
);

CREATE TABLE application_documents (
    application_id INTEGER NOT NULL REFERENCES applications(id),
    sha256         TEXT   NOT NULL REFERENCES documents(sha256),
    seq            INTEGER NOT NULL, -- the step that attached it
    PRIMARY KEY (application_id, sha256, seq)
);
CREATE INDEX application_documents_sha ON application_documents (sha256);

CREATE TABLE objections (
    id             INTEGER PRIMARY KEY,
    application_id INTEGER   NOT NULL REFERENCES applications(id),
    lodged_seq     INTEGER   NOT NULL,
    lodged_us      INTEGER   NOT NULL,
    lodged_by      TEXT     NOT NULL, -- the name the objector gave, or 匿名 / anonymous
    text           TEXT     NOT NULL,
    outcome        INTEGER NOT NULL, -- 0 open, 1 upheld, 2 dismissed
    response       TEXT     NOT NULL,
    answered_seq   INTEGER,
    answered_us    INTEGER
);
CREATE INDEX objections_application ON objections (application_id, id);

CREATE TABLE opinions (
    application_id INTEGER   NOT NULL REFERENCES applications(id),
    round          INTEGER  NOT NULL,
    expert_id      INTEGER   NOT NULL,
    passed         INTEGER  NOT NULL,
    comment        TEXT     NOT NULL,
    seq            INTEGER   NOT NULL,
    at_us          INTEGER   NOT NULL,
    PRIMARY KEY (application_id, round, expert_id)
);

-- A methodology version's standing: 1 filed (usable), 2 revised (a newer version is filed; records keep using
-- this one), 3 withdrawn (no new scenario may use it). application_id: the application that filed it, if any.
ALTER TABLE methodology_versions ADD COLUMN status INTEGER NOT NULL DEFAULT 1;
ALTER TABLE methodology_versions ADD COLUMN application_id INTEGER;
ALTER TABLE scenarios ADD COLUMN application_id INTEGER;
