-- What check predicts and a run warns of, read from the lines a load staged.

-- name: SaveCodeNames
-- Customer codes that carry two different names within one file of run $1:
-- two customers under one code, or one renamed; a person decides. (A
-- rename across files is the documented rule: the later name wins.) Only
-- the lines of the codes the reader saw with two names are read
-- (code_candidates; all the lines of a file with too many codes to
-- follow): the lines dropped since as duplicates or replaced can only
-- take a name away.
INSERT INTO code_names
WITH followed AS (
    SELECT file_id, customer_code, customer_name FROM sales_lines
    SEMI JOIN code_candidates USING (file_id, customer_code)
    UNION ALL
    SELECT file_id, customer_code, customer_name FROM sales_lines
    WHERE file_id IN (SELECT file_id FROM code_candidates WHERE customer_code IS NULL)
)
SELECT l.file_id, l.customer_code, l.customer_code, min(l.customer_name), max(l.customer_name)
FROM followed l
WHERE l.file_id IN (SELECT file_id FROM files WHERE run_id = $1)
  AND l.customer_code IS NOT NULL AND l.customer_name IS NOT NULL
GROUP BY l.file_id, l.customer_code
HAVING min(l.customer_name) <> max(l.customer_name);

-- name: HasCodeCandidates
-- Whether the reader saw any code with two names (SaveCodeNames).
SELECT EXISTS (SELECT 1 FROM code_candidates);

-- name: CodeTwoNames
-- The codes with two names in the files of run $1 (SaveCodeNames).
SELECT f.name, c.customer_code, c.first_name, c.last_name
FROM code_names c JOIN files f USING (file_id)
WHERE f.run_id = $1
ORDER BY c.file_id, c.customer_code;

-- name: TopRejectReasons
-- The reasons of file $1's rejected lines without the cell text, most
-- frequent first, each with its first line and that line's text.
SELECT regexp_replace(reason, ': ".*"$', '') AS why, count(*), min(line_no), arg_min(raw, line_no)
FROM rejects WHERE file_id = $1
GROUP BY why ORDER BY count(*) DESC, why LIMIT 3;

-- name: LinesAfterAsOf
-- Per file loaded by the run whose first file id is $1: its lines dated
-- after the as-of date $2, which the snapshot leaves out, and the latest date.
SELECT f.name, count(*), strftime(max(s.doc_date), '%Y-%m-%d')
FROM sales_lines s
JOIN files f USING (file_id)
WHERE s.file_id >= $1 AND s.doc_date > $2::DATE
GROUP BY f.file_id, f.name
ORDER BY f.file_id;

-- name: FileDateRange
SELECT coalesce(strftime(min(doc_date), '%Y-%m-%d'), ''), coalesce(strftime(max(doc_date), '%Y-%m-%d'), '')
FROM sales_lines WHERE file_id = $1;

-- name: FailedFileID
-- The file of run $2 whose content $1 failed: a content failing again keeps
-- the rejects of its first failure.
SELECT file_id FROM files WHERE sha256 = $1 AND run_id = $2 AND status = 'failed' ORDER BY file_id LIMIT 1;
