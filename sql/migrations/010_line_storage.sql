-- How sales_lines stores its lines, for less of DuckDB's work a line:
--
-- The ledger of a line is a number, ledger_id of ledgers, the same for
-- every line of a file: a text the same on every line cost DuckDB 1.4 s of
-- CPU to store at 10M lines, a number 0.2 s. Documents are told apart by
-- (ledger_id, doc_key); the ledger's name is in ledgers and in files.
--
-- Each text column names the compression it is stored with. Left to
-- choose, DuckDB tries every method on every row group of every text column
-- before it compresses with one, and the trying costs a fifth of the
-- storing: the seven text columns of 10M lines (the ledger then one of
-- them) took 15.7 s of CPU to store, 12.4 s with the methods named, for a
-- file 5-8 % larger (the choice is made once for all row groups, not for
-- each). Dictionary for the columns whose
-- values repeat from line to line (codes, names, items, categories); FSST
-- for the document number, which repeats only over the lines of one
-- document.
--
-- The table is made anew with the same lines.
CREATE TABLE ledgers (
    ledger_id       INTEGER PRIMARY KEY,
    ledger          VARCHAR NOT NULL UNIQUE
);

INSERT INTO ledgers
SELECT CAST(row_number() OVER (ORDER BY ledger) AS INTEGER), ledger
FROM (SELECT DISTINCT ledger FROM sales_lines);

CREATE TABLE sales_lines_named (
    file_id         BIGINT NOT NULL,
    line_no         INTEGER NOT NULL,
    ledger_id       INTEGER NOT NULL,
    doc_key         VARCHAR GENERATED ALWAYS AS (coalesce(doc_no, '#' || file_id || ':' || line_no)) VIRTUAL,
    doc_no          VARCHAR USING COMPRESSION fsst,
    doc_date        DATE NOT NULL,
    customer_key    VARCHAR GENERATED ALWAYS AS (coalesce(customer_code, customer_name)) VIRTUAL,
    customer_code   VARCHAR USING COMPRESSION dictionary,
    customer_name   VARCHAR USING COMPRESSION dictionary,
    item_code       VARCHAR USING COMPRESSION dictionary,
    item_name       VARCHAR USING COMPRESSION dictionary,
    category        VARCHAR USING COMPRESSION dictionary,
    quantity        DOUBLE,
    unit_price      DOUBLE,
    amount          DECIMAL(18,2) NOT NULL, -- including tax; negative on returns
    line_secs       INTEGER,
    CHECK (customer_code IS NOT NULL OR customer_name IS NOT NULL)
);

INSERT INTO sales_lines_named (file_id, line_no, ledger_id, doc_no, doc_date, customer_code, customer_name,
                               item_code, item_name, category, quantity, unit_price, amount, line_secs)
SELECT file_id, line_no, ledger_id, doc_no, doc_date, customer_code, customer_name,
       item_code, item_name, category, quantity, unit_price, amount, line_secs
FROM sales_lines JOIN ledgers USING (ledger);

DROP TABLE sales_lines;
ALTER TABLE sales_lines_named RENAME TO sales_lines;
