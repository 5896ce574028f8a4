-- Reductions in motion (DESIGN §4, §8): transfers, pledges, retirements with their serial ranges, bridges out.
-- Value never lives here: every movement is one ledger transaction, and these rows say which, with what the
-- ledger cannot carry (a pledge's lender and standing, a retirement's purpose, beneficiary and serials).
-- Each row keeps its caller's request key and a hash of the request: a retry returns the first result.

CREATE TABLE holding_transfers (
    id           INTEGER PRIMARY KEY,
    from_id      INTEGER   NOT NULL REFERENCES accounts(id),
    request_key  TEXT     NOT NULL,
    request_hash TEXT     NOT NULL,
    to_id        INTEGER   NOT NULL REFERENCES accounts(id),
    batch_id     INTEGER   NOT NULL REFERENCES batches(id),
    grams        INTEGER   NOT NULL,
    tx_id        TEXT     NOT NULL,
    actor        TEXT     NOT NULL,
    at_us        INTEGER   NOT NULL
);
CREATE UNIQUE INDEX holding_transfers_key ON holding_transfers (from_id, request_key);

CREATE TABLE pledges (
    id           INTEGER PRIMARY KEY,
    holder_id    INTEGER   NOT NULL REFERENCES accounts(id),
    request_key  TEXT     NOT NULL,
    request_hash TEXT     NOT NULL,
    lender_id    INTEGER   NOT NULL REFERENCES accounts(id),
    batch_id     INTEGER   NOT NULL REFERENCES batches(id),
    grams        INTEGER   NOT NULL,
    status       TEXT     NOT NULL, -- open, released, enforced
    tx_id        TEXT     NOT NULL,
    actor        TEXT     NOT NULL,
    at_us        INTEGER   NOT NULL,
    closed_tx_id TEXT,
    closed_by    TEXT,
    closed_us    INTEGER
);
CREATE UNIQUE INDEX pledges_key ON pledges (holder_id, request_key);
CREATE INDEX pledges_lender ON pledges (lender_id, id);

-- The next kilogram of each batch to receive a serial; a batch without a row starts at 1.
CREATE TABLE serial_cursors (
    batch_id INTEGER PRIMARY KEY REFERENCES batches(id),
    next_kg  INTEGER NOT NULL
);

CREATE TABLE retirements (
    id              INTEGER PRIMARY KEY,
    holder_id       INTEGER   NOT NULL REFERENCES accounts(id),
    request_key     TEXT     NOT NULL,
    request_hash    TEXT     NOT NULL,
    batch_id        INTEGER   NOT NULL REFERENCES batches(id),
    grams           INTEGER   NOT NULL,
    purpose         TEXT     NOT NULL,
    beneficiary     TEXT     NOT NULL, -- on whose behalf
    using_entity    TEXT     NOT NULL,
    reason          TEXT     NOT NULL,
    jurisdiction    TEXT     NOT NULL,
    compliance_year INTEGER,           -- set for compliance offsets: the year whose cap they count against
    serial_region   TEXT     NOT NULL,
    serial_from     INTEGER   NOT NULL,
    serial_to       INTEGER   NOT NULL,
    tx_id           TEXT     NOT NULL,
    actor           TEXT     NOT NULL,
    at_us           INTEGER   NOT NULL
);
CREATE UNIQUE INDEX retirements_key ON retirements (holder_id, request_key);
CREATE UNIQUE INDEX retirements_serial ON retirements (batch_id, serial_from);
CREATE INDEX retirements_compliance ON retirements (holder_id, compliance_year);

-- A retirement is final: a mistake is never edited, only noted.
CREATE TABLE retirement_notes (
    id            INTEGER PRIMARY KEY,
    retirement_id INTEGER NOT NULL REFERENCES retirements(id),
    text          TEXT   NOT NULL,
    actor         TEXT   NOT NULL,
    at_us         INTEGER NOT NULL
);
CREATE INDEX retirement_notes_retirement ON retirement_notes (retirement_id, id);

-- The administrator's annual compliance-offset cap per covered entity (SZ 25), in kilograms.
CREATE TABLE compliance_caps (
    year       INTEGER NOT NULL,
    entity_id  INTEGER  NOT NULL REFERENCES accounts(id),
    kilograms  INTEGER  NOT NULL,
    actor      TEXT    NOT NULL,
    set_us     INTEGER  NOT NULL,
    PRIMARY KEY (year, entity_id)
);

CREATE TABLE bridges (
    id                    INTEGER PRIMARY KEY,
    holder_id             INTEGER   NOT NULL REFERENCES accounts(id),
    request_key           TEXT     NOT NULL,
    request_hash          TEXT     NOT NULL,
    batch_id              INTEGER   NOT NULL REFERENCES batches(id),
    grams                 INTEGER   NOT NULL,
    destination_registry  TEXT     NOT NULL,
    destination_reference TEXT     NOT NULL,
    tx_id                 TEXT     NOT NULL,
    actor                 TEXT     NOT NULL,
    at_us                 INTEGER   NOT NULL
);
CREATE UNIQUE INDEX bridges_key ON bridges (holder_id, request_key);
