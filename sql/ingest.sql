-- Loading: parsed lines arrive in the temp table stage_lines, one file after
-- another; MergeStage moves them into sales_lines once all files are read.

-- name: CreateStage
CREATE OR REPLACE TEMP TABLE stage_lines AS
SELECT file_id, line_no, ledger, doc_key, doc_no, doc_date, customer_key, customer_code,
       customer_name, item_code, item_name, category, quantity, unit_price,
       CAST(amount AS DOUBLE) AS amount
FROM sales_lines
LIMIT 0;

-- name: DropStagedFile
DELETE FROM stage_lines WHERE file_id = $1;

-- name: FileLoaded
-- The id of a file loaded before with the same content, if any.
SELECT file_id FROM files WHERE sha256 = $1 AND status = 'loaded' LIMIT 1;

-- name: FailedBefore
-- The run that recorded the same content failing for the same reason, if any.
SELECT run_id FROM files
WHERE sha256 = $1 AND status = 'failed' AND reason = $2 AND lines_read = $3 AND lines_rejected = $4
ORDER BY run_id
LIMIT 1;

-- name: DropRejects
DELETE FROM rejects WHERE file_id = $1;

-- name: NextFileID
SELECT nextval('file_ids');

-- name: InsertFile
INSERT INTO files (file_id, run_id, name, sha256, source, ledger, size, format, status, reason,
                   lines_read, lines_loaded, lines_rejected, lines_duplicate, lines_summary, loaded_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16);

-- name: MarkStage
-- Of each staged line: is it an exact repeat of an earlier line of its
-- document in the same file (dup > 1), and is its document held by a later
-- staged file too (superseded)?
CREATE OR REPLACE TEMP TABLE stage_marked AS
SELECT *,
       row_number() OVER (PARTITION BY file_id, ledger, doc_key, doc_date, customer_key, customer_code,
                          customer_name, item_code, item_name, category, quantity, unit_price, amount
                          ORDER BY line_no) AS dup,
       file_id < max(file_id) OVER (PARTITION BY ledger, doc_key) AS superseded
FROM stage_lines;

-- name: StageCounts
-- Per file: duplicates, and lines superseded by a later file of this run.
SELECT file_id,
       count(*) FILTER (WHERE dup > 1)                     AS duplicates,
       count(*) FILTER (WHERE dup = 1 AND superseded)      AS superseded
FROM stage_marked
GROUP BY file_id;

-- name: ReplaceDocuments
-- Lines already loaded whose documents the new files hold again go.
DELETE FROM sales_lines s
WHERE EXISTS (SELECT 1 FROM stage_marked t
              WHERE t.doc_no IS NOT NULL AND t.ledger = s.ledger AND t.doc_key = s.doc_key);

-- name: InsertLines
INSERT INTO sales_lines
SELECT file_id, line_no, ledger, doc_key, doc_no, doc_date, customer_key, customer_code,
       customer_name, item_code, item_name, category, quantity, unit_price,
       CAST(amount AS DECIMAL(18,2))
FROM stage_marked
WHERE dup = 1 AND NOT superseded
ORDER BY file_id, line_no;

-- name: RefreshCustomers
-- Customers of the new lines, with the code and name of their latest line.
INSERT INTO customers (customer_key, customer_code, customer_name, in_sales)
SELECT customer_key,
       arg_max(customer_code, doc_date) FILTER (WHERE customer_code IS NOT NULL),
       arg_max(customer_name, doc_date) FILTER (WHERE customer_name IS NOT NULL),
       true
FROM sales_lines
WHERE customer_key IN (SELECT customer_key FROM stage_marked)
GROUP BY customer_key
ON CONFLICT (customer_key) DO UPDATE SET
    customer_code = coalesce(excluded.customer_code, customers.customer_code),
    customer_name = coalesce(excluded.customer_name, customers.customer_name),
    in_sales = true;
