-- What the category files told the ERP, so that a delta file holds only the
-- customers whose category or tags changed since the last file written.

-- One row per category file written; the run's times are in runs.
CREATE TABLE category_exports (
    run_id          BIGINT PRIMARY KEY,
    as_of           DATE NOT NULL,
    preset          VARCHAR NOT NULL,
    mode            VARCHAR NOT NULL,      -- full | delta
    encoding        VARCHAR NOT NULL,
    rows            BIGINT NOT NULL,
    sha256          VARCHAR NOT NULL       -- of the file as written
);

-- Every customer's ERP code and tags as the ERP holds them after the last
-- file: a delta file carries the changes, so the ERP then holds them all.
CREATE TABLE category_rows (
    customer_key    VARCHAR NOT NULL,
    erp_code        VARCHAR NOT NULL,
    tags            VARCHAR[] NOT NULL
);
