-- The guard (jobs/guard.go) compares a run's category file with the one in
-- place: how many customers that file scored is kept when it is placed, as
-- a later run may replace the snapshot it was made from.
ALTER TABLE category_placed ADD COLUMN scored BIGINT;

-- The time of day of a sales line, in seconds, where the export has one:
-- two lines of a document that differ only in their time are two lines,
-- not a duplicate. Recency and windows stay by day (doc_date).
ALTER TABLE sales_lines ADD COLUMN line_secs INTEGER;

-- One code, two customers: a customer code that carries two names within one
-- file is a finding of the review, for a person to decide.
INSERT INTO quality_checks VALUES
    ('code_two_names', 8, false, 'customer codes that carry two different names within one file');

-- The customer codes that carried two names within one file, found once as
-- the file loads (a scan of its lines only), for the run's warning and the
-- review (code_two_names).
CREATE TABLE code_names (
    file_id         BIGINT NOT NULL,
    customer_key    VARCHAR NOT NULL,
    customer_code   VARCHAR NOT NULL,
    first_name      VARCHAR NOT NULL,
    last_name       VARCHAR NOT NULL
);
