-- Ingestion: who may act (access tokens, operator API keys), scenarios, bindings and consents, and the accepted
-- behaviour records with the per-person daily state that caps and history functions read.

-- Bearer tokens of people and staff, stored as SHA-256 of the token: the token itself is shown once.
CREATE TABLE access_tokens (
    token_hash BYTEA    PRIMARY KEY,
    account_id BIGINT  NOT NULL, -- the account the bearer acts for; 0 for platform administrators
    role       BIGINT  NOT NULL,
    label      TEXT    NOT NULL,
    created_us BIGINT  NOT NULL,
    revoked_us BIGINT
);

CREATE TABLE scenarios (
    id                  BIGSERIAL PRIMARY KEY,
    code                TEXT    NOT NULL UNIQUE,
    operator_id         BIGINT NOT NULL REFERENCES accounts(id),
    methodology_id      TEXT    NOT NULL, -- '' for points-only scenarios (JS 33)
    methodology_version TEXT    NOT NULL,
    definition          TEXT    NOT NULL, -- the scenario's rules as JSON, immutable once registered
    status              BIGINT  NOT NULL,
    revision            BIGINT  NOT NULL, -- bumped on every status change, so caches can tell they are stale
    created_us          BIGINT  NOT NULL,
    updated_us          BIGINT  NOT NULL
);

-- Every decision on a scenario, in order: who, when, from which status to which, and why.
CREATE TABLE scenario_decisions (
    scenario_id BIGINT NOT NULL REFERENCES scenarios(id),
    revision    BIGINT  NOT NULL,
    from_status BIGINT  NOT NULL,
    to_status   BIGINT  NOT NULL,
    actor       TEXT    NOT NULL,
    comment     TEXT    NOT NULL,
    at_us       BIGINT  NOT NULL,
    PRIMARY KEY (scenario_id, revision)
);

-- Operator API keys: the secret is shown once; the store keeps its SHA-256 and, sealed with the platform's
-- master key, the HMAC key needed to verify signatures.
CREATE TABLE api_keys (
    key_id      TEXT    PRIMARY KEY,
    operator_id BIGINT NOT NULL REFERENCES accounts(id),
    label       TEXT    NOT NULL,
    secret_hash BYTEA    NOT NULL,
    sealed      BYTEA    NOT NULL,
    created_us  BIGINT  NOT NULL,
    expires_us  BIGINT,          -- set when the key is rotated: it keeps working until then
    revoked_us  BIGINT,
    replaced_by TEXT
);
CREATE INDEX api_keys_operator ON api_keys (operator_id);

CREATE TABLE api_nonces (
    key_id     TEXT    NOT NULL,
    nonce      TEXT    NOT NULL,
    expires_us BIGINT  NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX api_nonces_expiry ON api_nonces (expires_us);

-- One-time codes a person hands to an operator to bind the operator's user reference to their account.
CREATE TABLE binding_codes (
    code_hash   BYTEA    PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    operator_id BIGINT NOT NULL REFERENCES accounts(id),
    expires_us  BIGINT  NOT NULL,
    used_us     BIGINT
);

CREATE TABLE bindings (
    operator_id BIGINT  NOT NULL,
    user_ref    TEXT    NOT NULL,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    bound_us    BIGINT  NOT NULL,
    PRIMARY KEY (operator_id, user_ref),
    UNIQUE (operator_id, account_id)
);

-- Consent per person and scenario (SH 10: each scene separately), kept with its history: a revoked consent
-- still covers the records that occurred while it was active.
CREATE TABLE consents (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts(id),
    scenario_id BIGINT NOT NULL REFERENCES scenarios(id),
    granted_us  BIGINT  NOT NULL,
    revoked_us  BIGINT
);
CREATE INDEX consents_account ON consents (account_id, scenario_id);

-- Accepted behaviour records. (scenario_id, external_id) is unique: a record counts at most once (invariant 3).
CREATE TABLE behaviour_records (
    id          BIGSERIAL PRIMARY KEY,
    scenario_id BIGINT  NOT NULL,
    external_id TEXT    NOT NULL,
    account_id  BIGINT  NOT NULL,
    occurred_us BIGINT  NOT NULL,
    inputs      TEXT    NOT NULL,
    attributes  TEXT,
    evidence    TEXT,
    grams       BIGINT  NOT NULL,
    points      BIGINT  NOT NULL,
    lot_id      BIGINT  NOT NULL,
    tx_seq      BIGINT  NOT NULL,
    accepted_us BIGINT  NOT NULL,
    UNIQUE (scenario_id, external_id)
);
CREATE INDEX behaviour_records_account ON behaviour_records (account_id, id);

-- What one person was credited in one scenario on one (local) day: the daily caps and the history functions
-- read it. totals holds the day's sum of each input as JSON.
CREATE TABLE behaviour_days (
    account_id  BIGINT  NOT NULL,
    scenario_id BIGINT  NOT NULL,
    day         TEXT    NOT NULL,
    records     BIGINT  NOT NULL,
    grams       BIGINT  NOT NULL,
    points      BIGINT  NOT NULL,
    totals      TEXT    NOT NULL,
    PRIMARY KEY (account_id, scenario_id, day)
);

-- Cross-operator de-duplication marks: a record of a scenario that declares a de-duplication group leaves its
-- key here, and a second record with the same key for the same person within the window is refused.
CREATE TABLE dedup_marks (
    dedup_group TEXT    NOT NULL,
    account_id  BIGINT  NOT NULL,
    key_hash    BYTEA    NOT NULL,
    occurred_us BIGINT  NOT NULL,
    scenario_id BIGINT  NOT NULL,
    external_id TEXT    NOT NULL,
    PRIMARY KEY (dedup_group, account_id, key_hash, occurred_us, scenario_id, external_id)
);

-- Per operator, scenario, receipt day and outcome ('accepted', 'duplicate' or a rejection code): how many
-- records, and the grams and points accepted.
CREATE TABLE ingestion_stats (
    operator_id BIGINT  NOT NULL,
    scenario_id BIGINT  NOT NULL,
    day         TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    records     BIGINT  NOT NULL,
    grams       BIGINT  NOT NULL,
    points      BIGINT  NOT NULL,
    PRIMARY KEY (operator_id, scenario_id, day, outcome)
);
