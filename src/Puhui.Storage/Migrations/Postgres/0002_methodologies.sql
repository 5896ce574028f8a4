-- Methodology versions as published text. A version is immutable once anything has used it (first_used_us
-- set): records and batches name (methodology_id, version), so that pair must always mean the same rules.
CREATE TABLE methodology_versions (
    methodology_id TEXT     NOT NULL,
    version        TEXT     NOT NULL,
    content_hash   TEXT     NOT NULL,
    content        TEXT     NOT NULL,
    class          SMALLINT NOT NULL,
    kind           SMALLINT NOT NULL,
    title_zh       TEXT     NOT NULL,
    title_en       TEXT     NOT NULL,
    stored_us      BIGINT   NOT NULL,
    first_used_us  BIGINT,
    PRIMARY KEY (methodology_id, version)
);
