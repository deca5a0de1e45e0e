-- The fast path of delimited exports: DuckDB reads and parses the body of a
-- plain UTF-8 file (no quotes, one line a record; pipeline/ingest_fast.go
-- says which files qualify) in parallel, and the Go parser takes only the
-- runs of lines these statements cannot settle. The rules are those of
-- pipeline/ingest_line.go; a line is settled here only when the Go parser
-- would load it with the same values:
--   anchor: a line that loads on its own (a date, a customer, numbers, and
--           a document number where the export has that column);
--   continuation: document number, date and customer cells all blank, the
--           numbers good: it takes the document cells of the anchor above.
-- A run of lines from an anchor to the next is a segment; a segment holding
-- any other line (a bad value, a total row, a wrong field count, an unusual
-- date format...) goes to the Go parser whole, in order, so that fill-down,
-- reject reasons and line numbers stay exactly as the Go parser makes them.

-- name: FastTrim
-- go_trim(s, spaces) trims as Go's strings.TrimSpace does, spaces being every
-- character it trims. Trim with a set of characters is slow: a file without
-- a space character other than ' ' (FastTrimPlain) takes the plain trim.
CREATE OR REPLACE TEMP MACRO go_trim(s, spaces) AS trim(s, spaces);

-- name: FastTrimPlain
CREATE OR REPLACE TEMP MACRO go_trim(s, spaces) AS trim(s);

-- name: FastLines
-- One row per line below the header, in file order; the statements below
-- number them in that order (row r is line $3 + 1 + r).
-- The cells CTE is the read_csv projection pipeline/ingest_fast.go writes for the
-- file's width and column map: c_date, c_doc, ... the raw cells of the mapped
-- fields ('' where the export has none), shape_ok (the field count is right
-- and no leading cell looks like a total row) and blank (a blank line).
-- $1 path, $2 delimiter, $3 lines to skip (the header line), $4 the NULL
-- marker (a byte the file does not hold), $5 the characters Go's TrimSpace
-- trims, $6 whether the export has document numbers, $7 whether it has
-- customer codes (else names).
CREATE OR REPLACE TEMP TABLE fast_lines AS
WITH cells AS (
    /*cells*/
),
cut AS (
    SELECT is_blank AS blank, shape_ok,
           go_trim(c_date, $5) AS d, go_trim(c_doc, $5) AS doc, go_trim(c_code, $5) AS code, go_trim(c_name, $5) AS name,
           go_trim(c_item_code, $5) AS item_code, go_trim(c_item_name, $5) AS item_name, go_trim(c_category, $5) AS category,
           go_trim(c_quantity, $5) AS q, go_trim(c_unit_price, $5) AS p, go_trim(c_amount, $5) AS a
    FROM cells
),
-- Dates as ParseDate reads them without help: Y-M-D with '-', '/' or '.',
-- or YYYYMMDD, optionally followed by a time.
date_parts AS (
    SELECT *,
           regexp_extract(d, '^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|(\d{2})(\d{2}))(?:[ T].*)?$',
                          ['y', 'm', 'd', 'm8', 'd8']) AS dp
    FROM cut
),
-- Numbers as ParseAmount's fast path reads them: plain decimals.
valued AS (
    SELECT *,
           TRY_CAST(dp.y AS INTEGER) AS yy,
           TRY_CAST(coalesce(nullif(dp.m, ''), dp.m8) AS INTEGER) AS mm,
           TRY_CAST(coalesce(nullif(dp.d, ''), dp.d8) AS INTEGER) AS dd,
           CASE WHEN regexp_full_match(q, '[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?') THEN TRY_CAST(q AS DOUBLE) END AS qv,
           CASE WHEN regexp_full_match(p, '[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?') THEN TRY_CAST(p AS DOUBLE) END AS pv,
           CASE WHEN regexp_full_match(a, '[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?') THEN TRY_CAST(a AS DOUBLE) END AS av
    FROM date_parts
),
checked AS (
    SELECT *,
           CASE WHEN yy BETWEEN 1900 AND 2199 AND mm BETWEEN 1 AND 12 AND dd BETWEEN 1 AND 31
                THEN dd <= day(last_day(make_date(yy, mm, 1))) ELSE false END AS date_ok,
           (q = '' OR abs(qv) < 1e13) AND (p = '' OR abs(pv) < 1e13)
             AND CASE WHEN a <> '' THEN abs(av) < 1e13 ELSE abs(qv * pv) < 1e13 END AS numbers_ok
    FROM valued
)
SELECT blank,
       coalesce(shape_ok AND date_ok AND numbers_ok
                AND CASE WHEN $7 THEN code <> '' ELSE name <> '' END
                AND (NOT $6 OR doc <> ''), false) AS anchor,
       coalesce(shape_ok AND $6 AND doc = '' AND d = '' AND code = '' AND name = '' AND numbers_ok, false) AS continuation,
       nullif(doc, '') AS doc_no,
       CASE WHEN date_ok THEN make_date(yy, mm, dd) END AS doc_date,
       nullif(code, '') AS customer_code,
       nullif(name, '') AS customer_name,
       nullif(item_code, '') AS item_code,
       nullif(item_name, '') AS item_name,
       nullif(category, '') AS category,
       qv AS quantity,
       pv AS unit_price,
       round(CASE WHEN a <> '' THEN av ELSE qv * pv END * 100) / 100 AS amount
FROM checked;

-- name: FastCount
-- The rows read (to check that read_csv skipped none) and the records among them.
SELECT count(*), count(*) FILTER (WHERE NOT blank) FROM fast_lines;

-- name: FastSlowSegments
-- The segments (by the row of their anchor; -1 before the first) that hold a
-- line this SQL does not settle. Lines before the first anchor are all for
-- the Go parser: a continuation line there has nothing to take its cells from.
CREATE OR REPLACE TEMP TABLE fast_slow AS
SELECT DISTINCT seg
FROM (SELECT blank, anchor, continuation,
             coalesce(max(CASE WHEN anchor THEN r END) OVER (ROWS UNBOUNDED PRECEDING), -1) AS seg
      FROM (SELECT *, row_number() OVER () - 1 AS r FROM fast_lines))
WHERE NOT blank AND (NOT anchor AND NOT continuation OR seg = -1);

-- name: FastSlowLines
-- The lines of the slow segments, for the Go parser: line number and segment.
-- $1 the line number of row 0.
SELECT CAST(r + $1 AS INTEGER) AS line_no, seg
FROM (SELECT r, blank,
             coalesce(max(CASE WHEN anchor THEN r END) OVER (ROWS UNBOUNDED PRECEDING), -1) AS seg
      FROM (SELECT *, row_number() OVER () - 1 AS r FROM fast_lines))
WHERE NOT blank AND seg IN (SELECT seg FROM fast_slow)
ORDER BY line_no;

-- name: FastStage
-- The settled lines into stage_lines: continuation lines take the document
-- number, date and customer of their anchor (an anchor is its own). $1 file
-- id, $2 ledger, $3 the line number of row 0. The segment of a line is a
-- running maximum, which DuckDB streams in file order.
INSERT INTO stage_lines
WITH settled AS (
    SELECT *
    FROM (SELECT *, coalesce(max(CASE WHEN anchor THEN r END) OVER (ROWS UNBOUNDED PRECEDING), -1) AS seg
          FROM (SELECT *, row_number() OVER () - 1 AS r FROM fast_lines))
    WHERE (anchor OR continuation) AND seg NOT IN (SELECT seg FROM fast_slow)
),
anchors AS (
    SELECT seg, doc_no, doc_date, customer_code, customer_name FROM settled WHERE anchor
)
SELECT $1, line_no, $2,
       coalesce(a.doc_no, '#' || CAST($1 AS VARCHAR) || ':' || CAST(line_no AS VARCHAR)),
       a.doc_no, a.doc_date, coalesce(a.customer_code, a.customer_name), a.customer_code, a.customer_name,
       l.item_code, l.item_name, l.category, l.quantity, l.unit_price, l.amount
FROM (SELECT *, CAST(r + $3 AS INTEGER) AS line_no FROM settled) l
JOIN anchors a USING (seg);

-- name: FastDrop
DROP TABLE IF EXISTS fast_lines;
DROP TABLE IF EXISTS fast_slow;
