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
-- The staged lines that do not go into sales_lines, with why: an exact repeat
-- of an earlier line of its document in the same file ('duplicate'), or a line
-- of a document that a later staged file holds too ('superseded'). Equal lines
-- have equal hashes, so only lines whose hash repeats within their file are
-- compared column by column: the stage is hashed once, not sorted. $1 says
-- whether more than one file was staged (else nothing can be superseded).
CREATE OR REPLACE TEMP TABLE stage_drop AS
WITH hashed AS (
    SELECT file_id, line_no,
           hash(ledger, doc_key, doc_date, customer_key, customer_code, customer_name, item_code,
                item_name, category, quantity, unit_price, amount) AS h
    FROM stage_lines
),
repeated AS (
    SELECT file_id, h FROM hashed GROUP BY file_id, h HAVING count(*) > 1
),
candidates AS (
    SELECT s.*
    FROM stage_lines s
    SEMI JOIN (SELECT file_id, line_no FROM hashed SEMI JOIN repeated USING (file_id, h)) c USING (file_id, line_no)
),
duplicates AS (
    SELECT file_id, line_no
    FROM (SELECT file_id, line_no,
                 row_number() OVER (PARTITION BY file_id, ledger, doc_key, doc_date, customer_key, customer_code,
                                    customer_name, item_code, item_name, category, quantity, unit_price, amount
                                    ORDER BY line_no) AS dup
          FROM candidates)
    WHERE dup > 1
),
later AS (
    SELECT ledger, doc_key, max(file_id) AS last_file
    FROM stage_lines
    WHERE $1
    GROUP BY ledger, doc_key
    HAVING min(file_id) < max(file_id)
),
superseded AS (
    SELECT s.file_id, s.line_no
    FROM stage_lines s JOIN later l USING (ledger, doc_key)
    WHERE s.file_id < l.last_file
)
SELECT file_id, line_no, 'duplicate' AS why FROM duplicates
UNION ALL
SELECT file_id, line_no, 'superseded' FROM superseded ANTI JOIN duplicates USING (file_id, line_no);

-- name: StageCounts
-- Per file: duplicates, and lines superseded by a later file of this run.
SELECT file_id,
       count(*) FILTER (WHERE why = 'duplicate')  AS duplicates,
       count(*) FILTER (WHERE why = 'superseded') AS superseded
FROM stage_drop
GROUP BY file_id;

-- name: ReplaceDocuments
-- Lines already loaded whose documents the new files hold again go.
DELETE FROM sales_lines s
WHERE EXISTS (SELECT 1 FROM stage_lines t
              WHERE t.doc_no IS NOT NULL AND t.ledger = s.ledger AND t.doc_key = s.doc_key);

-- name: InsertLines
INSERT INTO sales_lines
SELECT file_id, line_no, ledger, doc_key, doc_no, doc_date, customer_key, customer_code,
       customer_name, item_code, item_name, category, quantity, unit_price,
       CAST(amount AS DECIMAL(18,2))
FROM stage_lines s
ANTI JOIN stage_drop d USING (file_id, line_no);

-- name: RefreshCustomers
-- Customers of the new lines, with the code and name of their latest line.
INSERT INTO customers (customer_key, customer_code, customer_name, in_sales)
SELECT customer_key,
       arg_max(customer_code, doc_date) FILTER (WHERE customer_code IS NOT NULL),
       arg_max(customer_name, doc_date) FILTER (WHERE customer_name IS NOT NULL),
       true
FROM sales_lines
WHERE customer_key IN (SELECT customer_key FROM stage_lines)
GROUP BY customer_key
ON CONFLICT (customer_key) DO UPDATE SET
    customer_code = coalesce(excluded.customer_code, customers.customer_code),
    customer_name = coalesce(excluded.customer_name, customers.customer_name),
    in_sales = true;
