-- The ledger: accounts, batches, point lots, the hash-chained journal and the balances projected from it.
-- Account-scoped tables carry account_id so that they can be distributed by it later (DESIGN §14).
CREATE TABLE accounts (
    id           BIGSERIAL PRIMARY KEY,
    kind         SMALLINT NOT NULL,
    code         TEXT     NOT NULL UNIQUE,
    display_name TEXT     NOT NULL,
    roles        INTEGER  NOT NULL,
    is_source    BOOLEAN  NOT NULL,
    created_us   BIGINT   NOT NULL
);

CREATE TABLE batches (
    id                  BIGSERIAL PRIMARY KEY,
    code                TEXT     NOT NULL UNIQUE,
    origin              SMALLINT NOT NULL,
    origin_ref          TEXT     NOT NULL,
    methodology_id      TEXT     NOT NULL,
    methodology_version TEXT     NOT NULL,
    class               SMALLINT NOT NULL,
    vintage             INTEGER  NOT NULL,
    region              TEXT     NOT NULL,
    created_us          BIGINT   NOT NULL
);

CREATE TABLE lots (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts(id),
    batch_id   BIGINT NOT NULL REFERENCES batches(id),
    day        TEXT   NOT NULL,
    expires_on TEXT   NOT NULL,
    UNIQUE (account_id, batch_id, day)
);
CREATE INDEX lots_expiry ON lots (expires_on, id);

-- One row per transaction. body holds the canonical bytes (postings included); the columns beside it repeat
-- what lookups need (id, key, kind, time) and the audit checks that they agree with the body. links holds,
-- for each person or organisation the transaction touches, the sequence of that account's previous
-- transaction: an account's history is the chain of these links, walked back from its newest transaction.
CREATE TABLE journal (
    seq             BIGINT   PRIMARY KEY,
    tx_id           TEXT     NOT NULL UNIQUE,
    idempotency_key TEXT     NOT NULL UNIQUE,
    request_hash    BYTEA    NOT NULL,
    kind            SMALLINT NOT NULL,
    occurred_us     BIGINT   NOT NULL,
    body            BYTEA    NOT NULL,
    links           BYTEA    NOT NULL,
    hash            BYTEA    NOT NULL
);

CREATE TABLE balances (
    account_id BIGINT   NOT NULL,
    asset      SMALLINT NOT NULL,
    batch_id   BIGINT   NOT NULL,
    lot_id     BIGINT   NOT NULL,
    amount     BIGINT   NOT NULL,
    last_seq   BIGINT   NOT NULL, -- the last transaction that changed this balance; an account's newest is the largest
    PRIMARY KEY (account_id, asset, batch_id, lot_id)
) WITH (fillfactor = 50); -- room on each page for heap-only updates: a balance changes in place, its index entry never does

CREATE TABLE ledger_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq  BIGINT  NOT NULL,
    last_hash BYTEA   NOT NULL
) WITH (fillfactor = 10);
INSERT INTO ledger_head (id, last_seq, last_hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
