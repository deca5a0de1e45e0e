-- The segmentation of one as-of date, step by step, as PRODUCT.md defines it.
-- Temp tables carry the result from step to step.

-- name: FeatureParts
-- The lines and DuckDB's memory_limit, from which Segment chooses the parts
-- of Features (featureParts).
SELECT count(*), current_setting('memory_limit') FROM sales_lines;

-- name: CreateFeatures
CREATE OR REPLACE TEMP TABLE features (
    customer_key       VARCHAR,
    customer_code      VARCHAR,
    customer_name      VARCHAR,
    in_master          BOOLEAN,
    recency_days       INTEGER,
    frequency          INTEGER,
    monetary           DECIMAL(18,2),
    active_months      INTEGER,
    tenure_days        INTEGER,
    avg_order_value    DECIMAL(18,2),
    returns_share      DOUBLE,
    top_category       VARCHAR,
    top_category_share DOUBLE,
    trend_ratio        DOUBLE
);

-- name: Features
-- Features per customer as of D ($1) over the window of $2 days (0 = all history),
-- for the customers of part $4 of $3: those whose key hashes to $4 modulo $3.
-- Segment runs it once per part, so that each statement holds the documents
-- of a share of the customers only; a customer's lines are all in one part.
-- Lines dated after D are ignored, not deleted.
-- lines is NOT MATERIALIZED: each use scans sales_lines with its own columns
-- and filters, in parallel, instead of copying every line first (at 10M lines
-- EXPLAIN ANALYZE gave 10 s materialized, 4 s not).
-- Every aggregate here spills to disk: active_months counts the rows of
-- doc_months (one per customer and month) instead of a count(DISTINCT ...),
-- which DuckDB holds in memory whole (at 100M lines it ran out of 512MB).
INSERT INTO features BY NAME
WITH lines AS NOT MATERIALIZED (
    SELECT customer_key, ledger_id, doc_key, doc_date, amount, category,
           ($2 = 0 OR doc_date > $1::DATE - $2::INTEGER) AS in_window
    FROM sales_lines
    WHERE doc_date <= $1::DATE
      AND ($3 = 1 OR hash(customer_key) % $3::UBIGINT = $4::UBIGINT)
),
docs AS (
    SELECT customer_key, ledger_id, doc_key, max(doc_date) AS doc_date,
           sum(amount) AS net, bool_or(in_window) AS in_window
    FROM lines
    GROUP BY customer_key, ledger_id, doc_key
),
doc_months AS (
    -- The documents with a positive net amount per customer and month, in
    -- the window or not.
    SELECT customer_key, date_trunc('month', doc_date) AS month, in_window,
           count(*) AS orders, max(doc_date) AS last_order, min(doc_date) AS first_order
    FROM docs
    WHERE net > 0
    GROUP BY customer_key, month, in_window
),
by_doc AS (
    SELECT customer_key,
           max(last_order) AS last_order,
           min(first_order) AS first_order,
           CAST(coalesce(sum(orders) FILTER (WHERE in_window), 0) AS BIGINT) AS frequency,
           count(*) FILTER (WHERE in_window) AS active_months
    FROM doc_months
    GROUP BY customer_key
),
by_line AS (
    SELECT customer_key,
           coalesce(sum(amount) FILTER (WHERE in_window), 0) AS monetary,
           -- In whole cents, for money divided without a DOUBLE in between.
           CAST(coalesce(sum(amount) FILTER (WHERE in_window), 0) * 100 AS HUGEINT) AS cents,
           sum(amount) FILTER (WHERE in_window AND amount > 0) AS positive,
           coalesce(-sum(amount) FILTER (WHERE in_window AND amount < 0), 0) AS returned,
           sum(amount) FILTER (WHERE doc_date > $1::DATE - 90) AS last_90,
           sum(amount) FILTER (WHERE doc_date > $1::DATE - 180 AND doc_date <= $1::DATE - 90) AS prev_90
    FROM lines
    GROUP BY customer_key
),
cats AS (
    -- The categories of the part, numbered in name order: grouping by
    -- customer and a number instead of the name took the step from 3.2 to
    -- 2.5 s at 10M lines (the grouping itself 2.0 to 0.7 s of CPU). The
    -- numbers only order the names of one customer, all in the part.
    SELECT category, CAST(row_number() OVER (ORDER BY category) AS INTEGER) AS cid
    FROM (SELECT DISTINCT category FROM lines WHERE in_window AND amount > 0 AND coalesce(category, '') <> '')
),
by_category AS (
    -- The top category: the largest amount, ties to the first name.
    SELECT b.customer_key, c.category, b.amount
    FROM (SELECT customer_key, arg_min(cid, (-amount, cid)) AS cid, max(amount) AS amount
          FROM (SELECT customer_key, cid, sum(amount) AS amount
                FROM lines JOIN cats USING (category)
                WHERE in_window AND amount > 0
                GROUP BY customer_key, cid)
          GROUP BY customer_key) b
    JOIN cats c USING (cid)
),
part_customers AS (
    SELECT customer_key, customer_code, customer_name, in_master
    FROM customers
    WHERE $3 = 1 OR hash(customer_key) % $3::UBIGINT = $4::UBIGINT
),
universe AS (
    SELECT customer_key FROM by_line
    UNION
    SELECT customer_key FROM part_customers WHERE in_master
)
SELECT u.customer_key,
       c.customer_code,
       c.customer_name,
       c.in_master,
       CAST($1::DATE - d.last_order AS INTEGER)                     AS recency_days,
       CAST(coalesce(d.frequency, 0) AS INTEGER)                    AS frequency,
       CAST(coalesce(l.monetary, 0) AS DECIMAL(18,2))               AS monetary,
       CAST(coalesce(d.active_months, 0) AS INTEGER)                AS active_months,
       CAST($1::DATE - d.first_order AS INTEGER)                    AS tenure_days,
       -- To the cent, half away from zero, in integers: DECIMAL / BIGINT is a
       -- DOUBLE in DuckDB, and 263.21 / 2 became 131.60 instead of 131.61.
       CAST(CASE WHEN d.frequency > 0 THEN
                CAST(sign(l.cents) * ((2 * abs(l.cents) + d.frequency) // (2 * d.frequency)) AS DECIMAL(18,0)) * CAST(0.01 AS DECIMAL(3,2))
            END AS DECIMAL(18,2)) AS avg_order_value,
       CAST(CASE WHEN l.positive > 0 THEN l.returned / l.positive END AS DOUBLE)          AS returns_share,
       t.category                                                   AS top_category,
       CAST(t.amount / l.positive AS DOUBLE)                        AS top_category_share,
       CAST(CASE WHEN l.prev_90 > 0 THEN coalesce(l.last_90, 0) / l.prev_90 END AS DOUBLE) AS trend_ratio
FROM universe u
LEFT JOIN part_customers c USING (customer_key)
LEFT JOIN by_doc d USING (customer_key)
LEFT JOIN by_line l USING (customer_key)
LEFT JOIN by_category t USING (customer_key);

-- name: QuantileCuts
-- Cut points at the quantiles $1 (a list such as [0.2, 0.4, 0.6, 0.8]) of each metric
-- over the scored customers (frequency >= 1), linear-interpolated. With no scored
-- customer the lists are empty.
CREATE OR REPLACE TEMP TABLE cuts AS
SELECT metric, cuts, true AS strict
FROM (
    SELECT coalesce(quantile_cont(recency_days, $1::DOUBLE[]), []) AS recency_days,
           coalesce(quantile_cont(frequency,    $1::DOUBLE[]), []) AS frequency,
           coalesce(quantile_cont(monetary,     $1::DOUBLE[]), []) AS monetary
    FROM features
    WHERE frequency >= 1
) UNPIVOT (cuts FOR metric IN (recency_days, frequency, monetary));

-- name: ThresholdCuts
-- Cut points given in the config, ascending, read as lower bounds.
CREATE OR REPLACE TEMP TABLE cuts AS
SELECT * FROM (VALUES
    ('recency_days', $1::DOUBLE[], false),
    ('frequency',    $2::DOUBLE[], false),
    ('monetary',     $3::DOUBLE[], false)
) AS v(metric, cuts, strict);

-- name: Scores
-- R, F and M scores from the cut points, and the Pareto (ABC) class with the shares
-- $1 (A while the revenue before the customer is below it) and $2 (B likewise).
-- Quantile cuts count the values strictly above a cut; threshold cuts count c <= value.
CREATE OR REPLACE TEMP TABLE scores AS
WITH c AS (
    SELECT max(cuts) FILTER (WHERE metric = 'recency_days') AS r_cuts,
           max(cuts) FILTER (WHERE metric = 'frequency')    AS f_cuts,
           max(cuts) FILTER (WHERE metric = 'monetary')     AS m_cuts,
           bool_and(strict)                                 AS strict
    FROM cuts
),
ranked AS (
    SELECT customer_key,
           sum(monetary) OVER (ORDER BY monetary DESC, customer_key
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before,
           sum(monetary) OVER () AS total
    FROM features
    WHERE frequency >= 1
)
SELECT f.*,
       CASE WHEN f.frequency >= 1 THEN CAST(len(c.r_cuts) + 1 - len(list_filter(c.r_cuts,
           lambda x: CASE WHEN c.strict THEN f.recency_days > x ELSE f.recency_days >= x END)) AS INTEGER) END AS r_score,
       CASE WHEN f.frequency >= 1 THEN CAST(1 + len(list_filter(c.f_cuts,
           lambda x: CASE WHEN c.strict THEN f.frequency > x ELSE f.frequency >= x END)) AS INTEGER) END AS f_score,
       CASE WHEN f.frequency >= 1 THEN CAST(1 + len(list_filter(c.m_cuts,
           lambda x: CASE WHEN c.strict THEN f.monetary > x ELSE f.monetary >= x END)) AS INTEGER) END AS m_score,
       CASE WHEN r.total IS NULL THEN NULL
            WHEN r.total <= 0 OR coalesce(r.before, 0) < $1::DOUBLE * r.total THEN 'A'
            WHEN coalesce(r.before, 0) < $2::DOUBLE * r.total THEN 'B'
            ELSE 'C' END AS abc_class
FROM features f
CROSS JOIN c
LEFT JOIN ranked r USING (customer_key);

-- name: DeleteCuts
DELETE FROM snapshot_cuts WHERE as_of = $1;

-- name: SaveCuts
INSERT INTO snapshot_cuts
SELECT $1::DATE, metric, $2, cuts,
       len(cuts) > len(list_distinct(cuts))
FROM cuts;

-- name: OldSnapshot
-- The snapshot of $1 in place, before DeleteSnapshot, for KeepSnapshotRun.
CREATE OR REPLACE TEMP TABLE old_snapshot AS SELECT * FROM snapshots WHERE as_of = $1;

-- name: DeleteSnapshot
DELETE FROM snapshots WHERE as_of = $1;

-- name: KeepSnapshotRun
-- A run $2 that loaded no file and whose snapshot of $1 holds exactly the
-- rows of the one it replaced keeps that one's run: the run that computed
-- these segments from these inputs.
UPDATE snapshots SET run_id = (SELECT any_value(run_id) FROM old_snapshot)
WHERE as_of = $1
  AND EXISTS (SELECT 1 FROM old_snapshot)
  AND NOT EXISTS (SELECT 1 FROM files WHERE run_id = $2 AND status = 'loaded')
  AND NOT EXISTS (SELECT * EXCLUDE (run_id) FROM snapshots WHERE as_of = $1
                  EXCEPT ALL SELECT * EXCLUDE (run_id) FROM old_snapshot)
  AND NOT EXISTS (SELECT * EXCLUDE (run_id) FROM old_snapshot
                  EXCEPT ALL SELECT * EXCLUDE (run_id) FROM snapshots WHERE as_of = $1);

-- name: ManualEntries
-- The lines of the manual file in force on the as-of date (expired ones left out).
CREATE OR REPLACE TEMP TABLE manual_entries (
    line_no  INTEGER NOT NULL,
    customer VARCHAR NOT NULL,
    tag      VARCHAR,
    segment  VARCHAR
);

-- name: InsertManualEntry
INSERT INTO manual_entries VALUES ($1, $2, $3, $4);

-- name: Effective
-- The segment each customer holds as of D ($1). A segment pinned in the manual file
-- wins (the last line for the customer). Otherwise the rules' segment, except that a
-- downgrade waits until the rules have placed the customer below its segment in $2
-- consecutive runs (downgrade_after_runs); upgrades take effect at once. A segment's
-- rank is its place in the segment list: earlier is higher. A customer whose previous
-- segment was pinned, or is no longer in the list, takes the rules' segment at once.
CREATE OR REPLACE TEMP TABLE effective AS
WITH prev AS (
    SELECT customer_key, segment_code, segment_since, below_runs, manual
    FROM snapshots
    WHERE as_of = (SELECT max(as_of) FROM snapshots WHERE as_of < $1)
),
pins AS (
    SELECT customer, arg_max(segment, line_no) AS pin
    FROM manual_entries
    WHERE segment IS NOT NULL
    GROUP BY customer
),
manual_tags AS (
    SELECT customer, list(tag ORDER BY line_no) AS manual_tags
    FROM manual_entries
    WHERE tag IS NOT NULL
    GROUP BY customer
),
step AS (
    SELECT s.*,
           pd.rule_index                                  AS pin_index,
           CASE WHEN NOT p.manual THEN hd.rule_index END  AS held_index,
           coalesce(p.below_runs, 0)                      AS prev_below,
           p.segment_code                                 AS prev_segment,
           p.segment_since                                AS prev_since,
           coalesce(mt.manual_tags, [])                   AS manual_tags
    FROM segmented s
    LEFT JOIN prev p USING (customer_key)
    LEFT JOIN segment_defs hd ON hd.code = p.segment_code
    LEFT JOIN pins ON pins.customer = s.customer_key
    LEFT JOIN segment_defs pd ON pd.code = pins.pin
    LEFT JOIN manual_tags mt ON mt.customer = s.customer_key
)
SELECT *,
       CASE WHEN pin_index IS NOT NULL THEN pin_index
            WHEN held_index IS NULL OR rule_index <= held_index THEN rule_index
            WHEN prev_below + 1 >= $2 THEN rule_index
            ELSE held_index END AS segment_index,
       CASE WHEN pin_index IS NULL AND held_index IS NOT NULL AND rule_index > held_index
                 AND prev_below + 1 < $2 THEN prev_below + 1
            ELSE 0 END AS waiting_runs
FROM step;

-- name: SaveSnapshot
-- The snapshot of D ($1) from the temp table effective, replacing an earlier one of
-- the same date (DeleteSnapshot). Manual tags follow the rule tags, without repeats.
INSERT INTO snapshots BY NAME
SELECT $1::DATE AS as_of, $2 AS run_id, e.customer_key, e.customer_code, e.customer_name,
       e.recency_days, e.frequency, e.monetary, e.active_months, e.tenure_days,
       e.avg_order_value, e.returns_share, e.top_category, e.top_category_share, e.trend_ratio,
       e.r_score, e.f_score, e.m_score, e.abc_class,
       d.code AS segment_code, d.name AS segment_name, d.erp_code,
       e.rule_index, e.pin_index IS NOT NULL AS manual,
       list_concat(e.tags, list_filter(e.manual_tags, lambda t: NOT list_contains(e.tags, t))) AS tags,
       e.prev_segment,
       CASE WHEN e.prev_segment = d.code THEN e.prev_since ELSE $1::DATE END AS segment_since,
       r.code AS rule_segment,
       e.waiting_runs AS below_runs
FROM effective e
JOIN segment_defs d ON d.rule_index = e.segment_index
JOIN segment_defs r ON r.rule_index = e.rule_index;

-- name: DeleteNotes
DELETE FROM snapshot_notes WHERE as_of = $1;

-- name: SaveCutNotes
-- A warning per metric whose cut points collapsed (many equal values), and one when
-- no customer could be scored.
INSERT INTO snapshot_notes
SELECT $1::DATE, 'collapsed_cuts', metric, CAST(list_transform(cuts, lambda x: round(x, 4)) AS VARCHAR)
FROM cuts
WHERE len(cuts) > len(list_distinct(cuts))
UNION ALL
SELECT $1::DATE, 'no_scored_customers', '', 'no customer has a positive document in the window'
WHERE NOT EXISTS (SELECT 1 FROM features WHERE frequency >= 1);

-- name: SaveManualNotes
-- A warning per manual line whose customer is not among this run's customers.
INSERT INTO snapshot_notes
SELECT $1::DATE, 'manual_unknown_customer', m.customer, 'line ' || m.line_no
FROM manual_entries m
WHERE NOT EXISTS (SELECT 1 FROM segmented s WHERE s.customer_key = m.customer)
ORDER BY m.line_no;

-- name: InsertNote
INSERT INTO snapshot_notes VALUES ($1, $2, $3, $4);

-- name: SnapshotNotes
SELECT kind, subject, detail FROM snapshot_notes WHERE as_of = $1 ORDER BY kind, subject, detail;

-- name: SegmentDefs
CREATE OR REPLACE TEMP TABLE segment_defs (
    rule_index INTEGER PRIMARY KEY,
    code       VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    erp_code   VARCHAR NOT NULL
);

-- name: InsertSegmentDef
INSERT INTO segment_defs VALUES ($1, $2, $3, $4);

-- name: SegmentCounts
SELECT segment_code, count(*) FROM snapshots WHERE as_of = $1 GROUP BY segment_code;
