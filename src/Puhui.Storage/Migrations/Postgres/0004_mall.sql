-- The points mall: providers' offers with their status history, and redemptions, each with its voucher.
-- Value never lives here: points and grams move only in the journal. These rows say what a redemption was for,
-- which journal transaction paid it (and which reversed it), and where its voucher stands.

CREATE TABLE offers (
    id                 BIGSERIAL PRIMARY KEY,
    provider_id        BIGINT   NOT NULL REFERENCES accounts(id),
    kind               SMALLINT NOT NULL,
    definition         TEXT     NOT NULL, -- titles, descriptions, image, price, limits, windows, region, sink: JSON
    price              BIGINT   NOT NULL, -- repeated from the definition for listing and sorting
    region             TEXT     NOT NULL,
    valid_from_us      BIGINT   NOT NULL,
    valid_until_us     BIGINT   NOT NULL,
    sink_batch_id      BIGINT   NOT NULL, -- 0 unless a sink offer
    stock_total        BIGINT   NOT NULL, -- units ever put on sale
    stock_left         BIGINT   NOT NULL CHECK (stock_left >= 0),
    status             SMALLINT NOT NULL,
    revision           INTEGER  NOT NULL, -- bumped on every status change
    created_us         BIGINT   NOT NULL,
    updated_us         BIGINT   NOT NULL
);
CREATE INDEX offers_provider ON offers (provider_id, id);
CREATE INDEX offers_status ON offers (status, id);

-- Every status change of an offer, in order: who, when, from which status to which, and why.
CREATE TABLE offer_events (
    offer_id    BIGINT   NOT NULL REFERENCES offers(id),
    revision    INTEGER  NOT NULL,
    from_status SMALLINT NOT NULL,
    to_status   SMALLINT NOT NULL,
    actor       TEXT     NOT NULL,
    comment     TEXT     NOT NULL,
    at_us       BIGINT   NOT NULL,
    PRIMARY KEY (offer_id, revision)
);

CREATE TABLE redemptions (
    id                BIGSERIAL PRIMARY KEY,
    account_id        BIGINT   NOT NULL REFERENCES accounts(id),
    request_key       TEXT     NOT NULL, -- the client's idempotency key, unique per person
    offer_id          BIGINT   NOT NULL REFERENCES offers(id),
    provider_id       BIGINT   NOT NULL,
    points            BIGINT   NOT NULL,
    grams             BIGINT   NOT NULL, -- reduction grams that passed to the provider
    sink_grams        BIGINT   NOT NULL, -- grams retired in the person's name (sink offers)
    tx_id             TEXT     NOT NULL, -- the Redeem transaction
    voucher_code      TEXT     NOT NULL UNIQUE,
    status            SMALLINT NOT NULL,
    redeemed_us       BIGINT   NOT NULL,
    expires_us        BIGINT   NOT NULL, -- the voucher can be used until then
    cancellable_us    BIGINT,            -- and cancelled until then; null = never
    used_us           BIGINT,
    used_by           TEXT,
    cancelled_us      BIGINT,
    cancel_tx_id      TEXT,
    UNIQUE (account_id, request_key)
);
CREATE INDEX redemptions_person ON redemptions (account_id, id);
CREATE INDEX redemptions_offer_person ON redemptions (offer_id, account_id);
CREATE INDEX redemptions_provider ON redemptions (provider_id, id);

-- The reduction grams each redemption gave its provider, per batch: the provider's view of what it received
-- (JS 37), written in the same transaction as the Redeem transaction whose postings it repeats.
CREATE TABLE redemption_grams (
    redemption_id BIGINT NOT NULL REFERENCES redemptions(id),
    provider_id   BIGINT NOT NULL,
    batch_id      BIGINT NOT NULL,
    grams         BIGINT NOT NULL,
    PRIMARY KEY (redemption_id, batch_id)
);
CREATE INDEX redemption_grams_provider ON redemption_grams (provider_id, batch_id);
