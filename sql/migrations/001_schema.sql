-- The store of custcat: what was loaded, what was rejected, what each run computed.

CREATE SEQUENCE run_ids START 1;
CREATE SEQUENCE file_ids START 1;

-- One row per run, whatever its outcome.
CREATE TABLE runs (
    run_id          BIGINT PRIMARY KEY,
    job             VARCHAR NOT NULL,
    trigger         VARCHAR NOT NULL,      -- manual | schedule | backfill
    as_of           DATE NOT NULL,
    window_days     INTEGER NOT NULL,
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL,      -- ok | partial (a file failed) | failed
    files_loaded    INTEGER NOT NULL DEFAULT 0,
    files_failed    INTEGER NOT NULL DEFAULT 0,
    files_skipped   INTEGER NOT NULL DEFAULT 0,
    lines_read      BIGINT NOT NULL DEFAULT 0,
    lines_loaded    BIGINT NOT NULL DEFAULT 0,
    lines_rejected  BIGINT NOT NULL DEFAULT 0,
    lines_duplicate BIGINT NOT NULL DEFAULT 0,
    lines_summary   BIGINT NOT NULL DEFAULT 0,
    lines_replaced  BIGINT NOT NULL DEFAULT 0,
    customers       BIGINT,
    segment_counts  VARCHAR,               -- JSON object: segment code -> customers
    error           VARCHAR
);

-- Every export file seen, registered by the hash of its content.
CREATE TABLE files (
    file_id         BIGINT PRIMARY KEY,
    run_id          BIGINT NOT NULL,
    name            VARCHAR NOT NULL,
    sha256          VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    ledger          VARCHAR NOT NULL,
    size            BIGINT NOT NULL,
    format          VARCHAR NOT NULL,      -- how it was read: "csv gbk ',' header@2", ...
    status          VARCHAR NOT NULL,      -- loaded | failed
    reason          VARCHAR,
    lines_read      BIGINT NOT NULL,
    lines_loaded    BIGINT NOT NULL,
    lines_rejected  BIGINT NOT NULL,
    lines_duplicate BIGINT NOT NULL,
    lines_summary   BIGINT NOT NULL,
    loaded_at       TIMESTAMP NOT NULL
);

-- The sales lines in force. A document (ledger, doc_key) lives in one file
-- only: a later file holding it replaces every earlier line of it.
CREATE TABLE sales_lines (
    file_id         BIGINT NOT NULL,
    line_no         INTEGER NOT NULL,
    ledger          VARCHAR NOT NULL,
    doc_key         VARCHAR NOT NULL,      -- the document number, or "#<file>:<line>" where the export has none
    doc_no          VARCHAR,
    doc_date        DATE NOT NULL,
    customer_key    VARCHAR NOT NULL,      -- the customer code, else the trimmed name
    customer_code   VARCHAR,
    customer_name   VARCHAR,
    item_code       VARCHAR,
    item_name       VARCHAR,
    category        VARCHAR,
    quantity        DOUBLE,
    unit_price      DOUBLE,
    amount          DECIMAL(18,2) NOT NULL -- including tax; negative on returns
);

-- Input lines that were not loaded, with the reason.
CREATE TABLE rejects (
    file_id         BIGINT NOT NULL,
    line_no         INTEGER NOT NULL,
    reason          VARCHAR NOT NULL,
    raw             VARCHAR NOT NULL
);

-- Customers: seen in sales, or listed in the master export.
CREATE TABLE customers (
    customer_key    VARCHAR PRIMARY KEY,
    customer_code   VARCHAR,
    customer_name   VARCHAR,
    address         VARCHAR,
    contact         VARCHAR,
    phone           VARCHAR,
    master_category VARCHAR,
    in_master       BOOLEAN NOT NULL DEFAULT false,
    in_sales        BOOLEAN NOT NULL DEFAULT false
);

-- One snapshot per as-of date: features, scores, segment and tags of every customer.
CREATE TABLE snapshots (
    as_of              DATE NOT NULL,
    run_id             BIGINT NOT NULL,
    customer_key       VARCHAR NOT NULL,
    customer_code      VARCHAR,
    customer_name      VARCHAR,
    recency_days       INTEGER,
    frequency          INTEGER NOT NULL,
    monetary           DECIMAL(18,2) NOT NULL,
    active_months      INTEGER NOT NULL,
    tenure_days        INTEGER,
    avg_order_value    DECIMAL(18,2),
    returns_share      DOUBLE,
    top_category       VARCHAR,
    top_category_share DOUBLE,
    trend_ratio        DOUBLE,
    r_score            INTEGER,
    f_score            INTEGER,
    m_score            INTEGER,
    abc_class          VARCHAR,
    segment_code       VARCHAR NOT NULL,
    segment_name       VARCHAR NOT NULL,
    erp_code           VARCHAR NOT NULL,
    rule_index         INTEGER NOT NULL,      -- position of the segment rule that fired; -1 when pinned by hand
    manual             BOOLEAN NOT NULL DEFAULT false,
    tags               VARCHAR[] NOT NULL,
    prev_segment       VARCHAR,
    segment_since      DATE NOT NULL,
    PRIMARY KEY (as_of, customer_key)
);

-- The cut points each snapshot used, per metric.
CREATE TABLE snapshot_cuts (
    as_of           DATE NOT NULL,
    metric          VARCHAR NOT NULL,      -- recency_days | frequency | monetary
    method          VARCHAR NOT NULL,
    cuts            DOUBLE[] NOT NULL,
    collapsed       BOOLEAN NOT NULL,      -- two or more cut points are equal
    PRIMARY KEY (as_of, metric)
);
