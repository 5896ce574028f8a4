-- The ledger: accounts, batches, point lots, the hash-chained journal and the balances projected from it.
CREATE TABLE accounts (
    id           INTEGER PRIMARY KEY,
    kind         INTEGER NOT NULL,
    code         TEXT    NOT NULL UNIQUE,
    display_name TEXT    NOT NULL,
    roles        INTEGER NOT NULL,
    is_source    INTEGER NOT NULL,
    created_us   INTEGER NOT NULL
);

CREATE TABLE batches (
    id                  INTEGER PRIMARY KEY,
    code                TEXT    NOT NULL UNIQUE,
    origin              INTEGER NOT NULL,
    origin_ref          TEXT    NOT NULL,
    methodology_id      TEXT    NOT NULL,
    methodology_version TEXT    NOT NULL,
    class               INTEGER NOT NULL,
    vintage             INTEGER NOT NULL,
    region              TEXT    NOT NULL,
    created_us          INTEGER NOT NULL
);

CREATE TABLE lots (
    id         INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    batch_id   INTEGER NOT NULL REFERENCES batches(id),
    day        TEXT    NOT NULL,
    expires_on TEXT    NOT NULL,
    UNIQUE (account_id, batch_id, day)
);
CREATE INDEX lots_expiry ON lots (expires_on, id);

-- One row per transaction. body holds the canonical bytes (postings included); the columns beside it repeat
-- what lookups need (id, key, kind, time) and the audit checks that they agree with the body. links holds,
-- for each person or organisation the transaction touches, the sequence of that account's previous
-- transaction: an account's history is the chain of these links, walked back from its newest transaction.
CREATE TABLE journal (
    seq             INTEGER PRIMARY KEY,
    tx_id           TEXT     NOT NULL UNIQUE,
    idempotency_key TEXT     NOT NULL UNIQUE,
    request_hash    BLOB    NOT NULL,
    kind            INTEGER NOT NULL,
    occurred_us     INTEGER   NOT NULL,
    body            BLOB    NOT NULL,
    links           BLOB    NOT NULL,
    hash            BLOB    NOT NULL
);

CREATE TABLE balances (
    account_id INTEGER NOT NULL,
    asset      INTEGER NOT NULL,
    batch_id   INTEGER NOT NULL,
    lot_id     INTEGER NOT NULL,
    amount     INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL, -- the last transaction that changed this balance; an account's newest is the largest
    PRIMARY KEY (account_id, asset, batch_id, lot_id)
) WITHOUT ROWID;

CREATE TABLE ledger_head (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL,
    last_hash BLOB   NOT NULL
);
INSERT INTO ledger_head (id, last_seq, last_hash) VALUES (1, 0, zeroblob(32));
