-- Carbon-neutrality claims and their certificates (JS 28–29, SZ 26). A claim is a governance application
-- (kind neutrality-claim): its definition is the application's payload and every step is on the governance log.
-- These rows add what the log cannot index: which retirement counts towards which claim, the platform's
-- certificate keys, and each issued certificate with its signed payload.

-- A retirement counts towards one claim at a time: the row moves only when its claim was refused or retracted.
CREATE TABLE claim_retirements (
    retirement_id BIGINT PRIMARY KEY REFERENCES retirements(id),
    claim_id      BIGINT  NOT NULL REFERENCES applications(id),
    matched_seq   BIGINT  NOT NULL, -- the governance entry of the match step
    matched_us    BIGINT  NOT NULL
);
CREATE INDEX claim_retirements_claim ON claim_retirements (claim_id, retirement_id);

-- Every key that ever signed a certificate: rotation adds a key and keeps the old ones, so old certificates verify.
CREATE TABLE certificate_keys (
    key_id     TEXT    PRIMARY KEY,
    algorithm  TEXT    NOT NULL,
    public_key TEXT    NOT NULL, -- SubjectPublicKeyInfo, base64
    added_us   BIGINT  NOT NULL
);

CREATE TABLE certificates (
    code           TEXT    PRIMARY KEY,
    claim_id       BIGINT  NOT NULL UNIQUE REFERENCES applications(id),
    key_id         TEXT    NOT NULL REFERENCES certificate_keys(key_id),
    payload        TEXT    NOT NULL, -- the exact signed bytes, UTF-8 JSON
    signature      TEXT    NOT NULL, -- ES256, IEEE P1363, base64url
    issued_us      BIGINT  NOT NULL,
    revoked_us     BIGINT,
    revoked_reason TEXT
);
