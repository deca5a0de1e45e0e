-- The customer master and the data quality checks of each as-of date.

-- The customers of the latest master export of each ledger, one row per
-- customer, with the file and line it came from. A master export is the
-- full list of its ledger: loading one replaces the rows of the ledger.
-- customers mirrors this table in address, contact, phone, master_category
-- and in_master. No primary key: keys are unique per file when loaded, and
-- DuckDB would refuse a key deleted and inserted again in one transaction.
CREATE TABLE master_customers (
    file_id         BIGINT NOT NULL,
    line_no         INTEGER NOT NULL,
    ledger          VARCHAR NOT NULL,
    customer_key    VARCHAR NOT NULL,      -- the customer code, else the trimmed name
    customer_code   VARCHAR,
    customer_name   VARCHAR,
    address         VARCHAR,
    contact         VARCHAR,
    phone           VARCHAR,
    category        VARCHAR                -- the customer's category in the ERP
);

-- The checks of the periodic review of customer data, in the order
-- quality.csv and the summary list them.
CREATE TABLE quality_checks (
    check_name      VARCHAR PRIMARY KEY,
    position        INTEGER NOT NULL,
    needs_master    BOOLEAN NOT NULL,      -- finds nothing until a master is loaded
    about           VARCHAR NOT NULL
);
INSERT INTO quality_checks VALUES
    ('no_master',        0, false, 'no customer master loaded: add a source with kind: customers to check the master'),
    ('missing_contact',  1, true,  'customers in the master without a contact'),
    ('missing_phone',    2, true,  'customers in the master without a phone number'),
    ('missing_address',  3, true,  'customers in the master without an address'),
    ('bad_phone',        4, true,  'phone numbers that are neither a mainland mobile nor a landline with area code'),
    ('duplicate_name',   5, false, 'customers whose name is also under another code'),
    ('not_in_master',    6, true,  'customers with sales who are missing from the master'),
    ('category_differs', 7, true,  'customers whose master category differs from the computed segment');

-- The as-of dates whose customer data was reviewed, and by which run: a
-- snapshot made otherwise has no review, which is not the same as a clean one.
CREATE TABLE quality_reviews (
    as_of           DATE NOT NULL,
    run_id          BIGINT NOT NULL
);

-- What the checks found as of each date; a rerun for the date replaces it.
CREATE TABLE quality_issues (
    as_of           DATE NOT NULL,
    run_id          BIGINT NOT NULL,
    check_name      VARCHAR NOT NULL,
    customer_key    VARCHAR,               -- NULL for no_master
    customer_code   VARCHAR,
    customer_name   VARCHAR,
    detail          VARCHAR NOT NULL
);
