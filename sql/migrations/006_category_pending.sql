-- What a category file tells the ERP counts as told only once the file is in
-- place. The run's transaction keeps it here; the step after the rename moves
-- it into category_rows. A run killed between its commit and the rename leaves
-- it here, so the next delta is computed against what the ERP really got.
CREATE TABLE category_rows_pending (
    customer_key    VARCHAR NOT NULL,
    erp_code        VARCHAR NOT NULL,
    tags            VARCHAR[] NOT NULL
);

-- The ERP's state before the file in place, and which inputs (the run whose
-- inputs the snapshot shows, and the as-of date) that file was made from: a
-- rerun on the same inputs (after a crash, say) writes the same delta again,
-- computed against the state before it, instead of an empty one.
CREATE TABLE category_rows_prev (
    customer_key    VARCHAR NOT NULL,
    erp_code        VARCHAR NOT NULL,
    tags            VARCHAR[] NOT NULL
);
CREATE TABLE category_placed (
    run_id          BIGINT NOT NULL,
    as_of           DATE NOT NULL
);
