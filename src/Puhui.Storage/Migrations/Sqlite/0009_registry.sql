-- The project registry (注登系统, DESIGN §8): projects and their monitoring periods, each moving through its
-- governance application (Workflows.Project, Workflows.MonitoringPeriod). Value never lives here: each issued
-- period is one Issue transaction of one batch, each reversal one Correct transaction from the buffer pool; these
-- rows say which, and the public registry reads its totals from the ledger's balances.

-- The verification body assigned to validate or verify an application.
ALTER TABLE applications ADD COLUMN assignee INTEGER;

CREATE TABLE projects (
    id                  INTEGER PRIMARY KEY,
    application_id      INTEGER   NOT NULL UNIQUE REFERENCES applications(id),
    developer_id        INTEGER   NOT NULL REFERENCES accounts(id),
    type                INTEGER NOT NULL,
    region              TEXT     NOT NULL,
    latitude_micro      INTEGER   NOT NULL,
    longitude_micro     INTEGER   NOT NULL,
    capacity            INTEGER   NOT NULL,
    capacity_unit       TEXT     NOT NULL,
    methodology_id      TEXT     NOT NULL,
    methodology_version TEXT     NOT NULL,
    definition          TEXT     NOT NULL, -- the whole definition as submitted, JSON
    buffer_debt         INTEGER   NOT NULL, -- grams still owed to the buffer pool for cancelled reversals
    created_us          INTEGER   NOT NULL
);
CREATE INDEX projects_site ON projects (type, capacity_unit, capacity, latitude_micro);
CREATE INDEX projects_developer ON projects (developer_id, id);

-- External ids of projects that stand (not rejected or retracted): one project per (scheme, id).
CREATE TABLE project_external_ids (
    scheme      TEXT   NOT NULL,
    external_id TEXT   NOT NULL,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    PRIMARY KEY (scheme, external_id)
);

CREATE TABLE monitoring_periods (
    application_id INTEGER   PRIMARY KEY REFERENCES applications(id),
    project_id     INTEGER   NOT NULL REFERENCES projects(id),
    period_from    TEXT     NOT NULL,
    period_to      TEXT     NOT NULL,
    inputs         TEXT     NOT NULL, -- the methodology's inputs as reported, JSON
    claimed_grams  INTEGER   NOT NULL, -- the methodology's reduction from the reported inputs
    own_buffer     INTEGER,            -- the methodology's own buffer figure in grams, when it computes one
    verified_grams INTEGER,            -- the verifier's figure: the claim, or its adjustment
    batch_id       INTEGER,            -- set when issued
    tx_id          TEXT,
    issued_grams   INTEGER,
    developer_grams INTEGER,
    buffer_grams   INTEGER             -- to the buffer: the project's share and any repayment
);
CREATE INDEX monitoring_periods_project ON monitoring_periods (project_id, period_from);

CREATE TABLE project_reversals (
    id              INTEGER PRIMARY KEY,
    project_id      INTEGER   NOT NULL REFERENCES projects(id),
    request_key     TEXT     NOT NULL, -- the reporter's key: a retried report returns the first
    grams           INTEGER   NOT NULL, -- removals lost
    cancelled_grams INTEGER   NOT NULL, -- buffer grams cancelled to make them good
    tx_id           TEXT     NOT NULL,
    at_us           INTEGER   NOT NULL
);
CREATE UNIQUE INDEX project_reversals_key ON project_reversals (project_id, request_key);
