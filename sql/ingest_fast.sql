-- The fast path of delimited exports: DuckDB reads and parses the body of a
-- plain UTF-8 file (no quotes, one line a record; pipeline/ingest_fast.go
-- says which files qualify) in parallel, straight into sales_lines, and the
-- Go parser takes only the runs of lines these statements cannot settle.
-- The rules are those of pipeline/ingest_line.go; a line is settled here
-- only when the Go parser would load it with the same values:
--   anchor: a line that loads on its own (a date, a customer, numbers, and
--           a document number where the export has that column);
--   continuation: document number, date and customer cells all blank, the
--           numbers good: it takes the document cells of the anchor above.
--
-- read_csv reads not the export but the body as Go writes it while it
-- checks the file (segmentWriter): each line with four leading fields, so
-- that no statement needs the file's order (an ordered window runs on one
-- thread):
--   ln    the line number in the export;
--   up    ln - hseg, hseg being the head of the line: the last line at or
--         above it whose document cells are not all blank (-1 above the
--         first);
--   back  hseg - pseg, pseg being the head before hseg;
--   cont  1 for a continuation line, whose blank document cells Go filled
--         with the head's cells.
-- (Differences are shorter to write and read than line numbers.)
-- A head and the lines below it up to the next head are a segment. A
-- segment holding a line that does not settle goes to the Go parser whole,
-- in order; when the bad line is the head itself, so does the segment
-- above (the Go parser fills the lines below a bad head from the anchor
-- above it), so that fill-down, reject reasons and line numbers stay
-- exactly as the Go parser makes them.

-- name: FastTrim
-- go_trim(s, spaces) trims as Go's strings.TrimSpace does, spaces being every
-- character it trims. Trim with a set of characters is slow: a file without
-- a space character other than ' ' (FastTrimPlain) takes the plain trim.
CREATE OR REPLACE TEMP MACRO go_trim(s, spaces) AS trim(s, spaces);

-- name: FastTrimPlain
CREATE OR REPLACE TEMP MACRO go_trim(s, spaces) AS trim(s);

-- name: FastMacros
-- Dates as ParseDate reads them without help: Y-M-D with '-', '/' or '.',
-- or YYYYMMDD, optionally followed by a time of day (other text after the
-- date is for the Go parser, which accepts a weekday and refuses the
-- rest); the parts as strings.
CREATE OR REPLACE TEMP MACRO fast_date_parts(d) AS
    regexp_extract(d, '^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|(\d{2})(\d{2}))(?:[ T](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?)?$',
                   ['y', 'm', 'd', 'm8', 'd8']);
CREATE OR REPLACE TEMP MACRO fast_date_y(dp) AS TRY_CAST(dp.y AS INTEGER);
CREATE OR REPLACE TEMP MACRO fast_date_m(dp) AS TRY_CAST(coalesce(nullif(dp.m, ''), dp.m8) AS INTEGER);
CREATE OR REPLACE TEMP MACRO fast_date_d(dp) AS TRY_CAST(coalesce(nullif(dp.d, ''), dp.d8) AS INTEGER);
-- The time of day after a date, in seconds, as ParseDateTime reads it; NULL without one.
CREATE OR REPLACE TEMP MACRO fast_secs_of(tp) AS
    CASE WHEN tp.h <> '' THEN CAST(tp.h AS INTEGER) * 3600 + CAST(tp.m AS INTEGER) * 60 + coalesce(TRY_CAST(tp.s AS INTEGER), 0) END;
-- (A cell of ten characters or fewer holds no time: the regex is spared.)
CREATE OR REPLACE TEMP MACRO fast_secs(d) AS
    CASE WHEN length(d) > 10 THEN fast_secs_of(regexp_extract(d, '[ T](\d{1,2}):(\d{2})(?::(\d{2}))?', ['h', 'm', 's'])) END;
-- Numbers as ParseAmount's fast path reads them: plain decimals; else NULL.
CREATE OR REPLACE TEMP MACRO fast_number(s) AS
    CASE WHEN regexp_full_match(s, '[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?') THEN TRY_CAST(s AS DOUBLE) END;
-- The amount of a line: the amount cell, else quantity times price, in cents.
CREATE OR REPLACE TEMP MACRO fast_amount(a, av, qv, pv) AS
    round(CASE WHEN a <> '' THEN av ELSE qv * pv END * 100) / 100;

-- name: FastWholeNumbers
-- Under decimal: auto, before the head of the file showed its decimal mark:
-- only whole numbers settle here; a number with a point or comma goes to the
-- Go parser, in file order, which learns the file's mark from it.
CREATE OR REPLACE TEMP MACRO fast_number(s) AS
    CASE WHEN regexp_full_match(s, '[+-]?\d+') THEN TRY_CAST(s AS DOUBLE) END;

-- name: FastCut
-- The cells of the body, trimmed: the start of FastSettled and FastValues,
-- which pipeline/ingest_fast.go puts in place of their /*cut*/.
-- The cells CTE is the read_csv projection pipeline/ingest_fast.go writes for
-- the file's width and column map: ln, hseg, pseg, cont, then c_date, c_doc,
-- ... the raw cells of the mapped fields ('' where the export has none),
-- shape_ok (the field count is right and no leading cell looks like a total
-- row) and is_blank (a blank line).
-- $1 path, $2 delimiter, $3 the NULL marker (a byte the file does not hold),
-- $4 the characters Go's TrimSpace trims.
cells AS (
    /*cells*/
),
cut AS (
    SELECT ln, hseg, pseg, cont, is_blank AS blank, shape_ok,
           go_trim(c_date, $4) AS d, go_trim(c_doc, $4) AS doc, go_trim(c_code, $4) AS code, go_trim(c_name, $4) AS name,
           go_trim(c_item_code, $4) AS item_code, go_trim(c_item_name, $4) AS item_name, go_trim(c_category, $4) AS category,
           go_trim(c_quantity, $4) AS q, go_trim(c_unit_price, $4) AS p, go_trim(c_amount, $4) AS a
    FROM cells
)

-- name: FastSettled
-- The lines of the body, settled, with the values FastScan hashes: the body
-- of FastScan, which pipeline/ingest_fast.go puts in place of its
-- /*settled*/ (FastValues is the body of FastInsert). $1 to $4 as in
-- FastCut, $5 whether the export has document numbers, $6 whether it has
-- customer codes (else names).
/*cut*/,
date_parts AS (
    SELECT *, fast_date_parts(d) AS dp FROM cut
),
valued AS (
    SELECT *,
           fast_date_y(dp) AS yy, fast_date_m(dp) AS mm, fast_date_d(dp) AS dd,
           fast_number(q) AS qv,
           fast_number(p) AS pv,
           fast_number(a) AS av
    FROM date_parts
),
checked AS (
    SELECT *,
           CASE WHEN yy BETWEEN 1900 AND 2199 AND mm BETWEEN 1 AND 12 AND dd BETWEEN 1 AND 31
                THEN dd <= day(last_day(make_date(yy, mm, 1))) ELSE false END AS date_ok,
           (q = '' OR abs(qv) < 1e13) AND (p = '' OR abs(pv) < 1e13)
             AND CASE WHEN a <> '' THEN abs(av) < 1e13 ELSE abs(qv * pv) < 1e13 END AS numbers_ok
    FROM valued
),
settled AS (
    SELECT ln, hseg, pseg, blank,
           NOT blank AND (hseg < 0 OR NOT coalesce(CASE WHEN cont
                   THEN shape_ok AND numbers_ok
                   ELSE shape_ok AND date_ok AND numbers_ok
                        AND CASE WHEN $6 THEN code <> '' ELSE name <> '' END
                        AND (NOT $5 OR doc <> '') END, false)) AS bad,
           nullif(doc, '') AS doc_no,
           nullif(item_code, '') AS item_code,
           fast_amount(a, av, qv, pv) AS amount
    FROM checked
)

-- name: FastScan
-- The lines, settled, without their values: whether they are blank or do
-- not settle, and for a settled line the hash of its document, item and
-- amount. Lines with equal values have equal hashes; lines with equal
-- hashes are only candidates (FastRepeats), so three values suffice, and
-- hashing all twelve cost 3 s more at 10M lines. $7 file id.
CREATE OR REPLACE TEMP TABLE fast_lines AS
WITH /*settled*/
SELECT ln, hseg, pseg, blank, bad,
       CASE WHEN NOT blank AND NOT bad THEN
           hash(coalesce(doc_no, '#' || CAST($7 AS VARCHAR) || ':' || CAST(ln AS VARCHAR)), item_code, amount) END AS h
FROM settled;

-- name: FastCount
-- The rows read (to check that read_csv skipped none) and the records among them.
SELECT count(*), count(*) FILTER (WHERE NOT blank) FROM fast_lines;

-- name: FastSlowSegments
-- The segments for the Go parser, by their head (-1: the lines above the
-- first head), and whether the head itself does not settle: a segment
-- with a bad line, and the one above a bad head.
CREATE OR REPLACE TEMP TABLE fast_slow AS
WITH bad AS (SELECT ln, hseg, pseg FROM fast_lines WHERE bad)
SELECT seg, bool_or(bad_head) AS bad_head
FROM (SELECT hseg AS seg, ln = hseg AS bad_head FROM bad
      UNION ALL
      SELECT pseg, false FROM bad WHERE ln = hseg)
GROUP BY seg;

-- name: FastRepeatTable
CREATE OR REPLACE TEMP TABLE fast_repeat (seg INTEGER, bad_head BOOLEAN);

-- name: FastSlowList
SELECT seg, bad_head FROM fast_slow ORDER BY seg;

-- name: FastRepeats
-- The other segments that hold a line whose hash (as FastScan takes it)
-- another line of the file has too, among the settled lines and those the Go parser staged: they go
-- to the Go parser as well, and MarkDuplicates compares them column by
-- column in stage_lines. Every line left to FastInsert is then the only
-- one of its values in the file. The hashes are grouped a part at a time
-- (h % $2 = $3), so that the groups of a large file fit in memory. $1 file
-- id, $2 the number of parts, $3 this part; both cast to UBIGINT: untyped,
-- they made each part take 4 s instead of 0.2 s at 10M lines.
INSERT INTO fast_repeat
WITH fast AS (
    SELECT hseg, h FROM fast_lines
    WHERE h IS NOT NULL AND h % CAST($2 AS UBIGINT) = CAST($3 AS UBIGINT) AND hseg NOT IN (SELECT seg FROM fast_slow)
),
repeated AS (
    SELECT h
    FROM (SELECT h FROM fast
          UNION ALL
          SELECT h
          FROM (SELECT hash(doc_key, item_code, amount) AS h FROM stage_lines WHERE file_id = $1)
          WHERE h % CAST($2 AS UBIGINT) = CAST($3 AS UBIGINT))
    GROUP BY h
    HAVING count(*) > 1
)
SELECT DISTINCT hseg AS seg, false AS bad_head FROM fast SEMI JOIN repeated USING (h);

-- name: FastRepeatList
SELECT DISTINCT seg, bad_head FROM fast_repeat ORDER BY seg;

-- name: FastRepeatSlow
-- The repeats go to the Go parser; fast_lines has served, and its memory is
-- better spent on FastInsert.
INSERT INTO fast_slow SELECT DISTINCT seg, bad_head FROM fast_repeat;
DROP TABLE fast_lines;

-- name: FastValues
-- The values of the lines of the segments FastScan found settled: the body
-- of FastInsert. Every line of those segments is settled, so its cells
-- need no more checks: a number cell is blank or a plain decimal, which
-- TRY_CAST reads as the checks of FastSettled do, and the date cell holds
-- a good date. $1 to $4 as in FastCut.
/*cut*/,
valued AS (
    SELECT *, fast_date_parts(d) AS dp,
           TRY_CAST(q AS DOUBLE) AS qv, TRY_CAST(p AS DOUBLE) AS pv, TRY_CAST(a AS DOUBLE) AS av
    FROM cut
    WHERE NOT blank AND hseg NOT IN (SELECT seg FROM fast_slow)
),
settled AS (
    SELECT ln,
           nullif(doc, '') AS doc_no,
           make_date(fast_date_y(dp), fast_date_m(dp), fast_date_d(dp)) AS doc_date,
           nullif(code, '') AS customer_code,
           nullif(name, '') AS customer_name,
           nullif(item_code, '') AS item_code,
           nullif(item_name, '') AS item_name,
           nullif(category, '') AS category,
           qv AS quantity,
           pv AS unit_price,
           fast_amount(a, av, qv, pv) AS amount,
           fast_secs(d) AS line_secs
    FROM valued
)

-- name: FastInsert
-- The settled lines of the other segments, straight into sales_lines.
-- $5 file id, $6 ledger.
INSERT INTO sales_lines
WITH /*settled*/
SELECT $5, ln, $6, coalesce(doc_no, '#' || CAST($5 AS VARCHAR) || ':' || CAST(ln AS VARCHAR)),
       doc_no, doc_date, coalesce(customer_code, customer_name), customer_code, customer_name,
       item_code, item_name, category, quantity, unit_price, CAST(amount AS DECIMAL(18,2)), line_secs
FROM settled;

-- name: FastDrop
DROP TABLE IF EXISTS fast_lines;
DROP TABLE IF EXISTS fast_slow;
DROP TABLE IF EXISTS fast_repeat;
