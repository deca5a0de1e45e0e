-- The HTML report: every figure it shows, aggregated here so that the page
-- stays small at any number of customers. $1 is the as-of date throughout
-- unless a block says otherwise.

-- name: ReportRunID
-- The run that computed the snapshot of $1, which the outputs name. A run
-- that loads no file and whose snapshot comes out the same as the one in
-- place keeps that one's run (KeepSnapshotRun), so that a run that changes
-- nothing (the rerun after a crash, say) writes the same bytes.
SELECT coalesce(max(run_id), 0) FROM snapshots WHERE as_of = $1;

-- name: ReportFiles
-- The files of the last run up to $1 that read any: the inputs of the
-- snapshot that run $1 computed.
SELECT name, source, format, status, coalesce(reason, ''),
       lines_read, lines_loaded, lines_rejected, lines_duplicate, lines_summary
FROM files
WHERE run_id = (SELECT max(run_id) FROM files WHERE run_id <= $1)
ORDER BY file_id;

-- name: ReportCuts
-- The cut points the snapshot used, as text.
SELECT metric, method,
       array_to_string(list_transform(cuts, lambda x: CAST(round(x, 2) AS VARCHAR)), ' / '),
       collapsed
FROM snapshot_cuts
WHERE as_of = $1
ORDER BY CASE metric WHEN 'recency_days' THEN 1 WHEN 'frequency' THEN 2 ELSE 3 END;

-- name: ReportSegments
-- Customers and revenue per segment, in the order of the segment rules;
-- abc_a counts the customers of Pareto class A.
SELECT segment_code, min(segment_name),
       count(*),
       count(*) FILTER (WHERE frequency >= 1),
       CAST(coalesce(sum(monetary), 0) AS DOUBLE),
       count(*) FILTER (WHERE abc_class = 'A')
FROM snapshots
WHERE as_of = $1
GROUP BY segment_code
ORDER BY min(CASE WHEN rule_index >= 0 THEN rule_index END) NULLS LAST, segment_code;

-- name: ReportPareto
-- The Pareto curve: cumulative share of revenue (%) over the share of
-- scored customers (%), by revenue descending, sampled to about $2 points.
WITH r AS (
    SELECT row_number() OVER w AS i,
           count(*) OVER () AS n,
           sum(monetary) OVER (w ROWS UNBOUNDED PRECEDING) AS cum,
           sum(monetary) OVER () AS total
    FROM snapshots
    WHERE as_of = $1 AND frequency >= 1
    WINDOW w AS (ORDER BY monetary DESC, customer_key)
)
SELECT CAST(100.0 * i / n AS DOUBLE),
       CAST(CASE WHEN total > 0 THEN 100.0 * cum / total ELSE 0 END AS DOUBLE)
FROM r
WHERE i = n OR i % greatest(1, CAST(ceil(n / $2::DOUBLE) AS BIGINT)) = 0
ORDER BY i;

-- name: ReportRF
-- Scored customers per R and F score, with their average revenue.
SELECT r_score, f_score, count(*), CAST(avg(monetary) AS DOUBLE)
FROM snapshots
WHERE as_of = $1 AND r_score IS NOT NULL AND f_score IS NOT NULL
GROUP BY r_score, f_score
ORDER BY r_score, f_score;

-- name: ReportPreviousDate
-- The snapshot before $1, the one prev_segment refers to; empty if none.
SELECT coalesce(CAST(max(as_of) AS VARCHAR), '') FROM snapshots WHERE as_of < $1;

-- name: ReportMoves
-- Customers and their revenue by previous and current segment; '' is a
-- customer new since the previous snapshot.
SELECT coalesce(prev_segment, ''), segment_code, count(*), CAST(coalesce(sum(monetary), 0) AS DOUBLE)
FROM snapshots
WHERE as_of = $1
GROUP BY ALL
ORDER BY ALL;

-- name: ReportHistory
-- Customers per segment in every snapshot up to $1.
SELECT CAST(as_of AS VARCHAR), segment_code, count(*)
FROM snapshots
WHERE as_of <= $1
GROUP BY ALL
ORDER BY ALL;

-- name: ReportTags
-- The $2 most frequent tags, with their customers per segment.
WITH t AS (
    SELECT unnest(tags) AS tag, segment_code FROM snapshots WHERE as_of = $1
), top AS (
    SELECT tag, count(*) AS n FROM t GROUP BY tag ORDER BY n DESC, tag LIMIT $2
)
SELECT t.tag, t.segment_code, count(*)
FROM t JOIN top USING (tag)
GROUP BY t.tag, t.segment_code, top.n
ORDER BY top.n DESC, t.tag, t.segment_code;

-- name: ReportCategories
-- The $2 product categories most often a customer's top category, with
-- those customers per segment.
WITH t AS (
    SELECT top_category AS category, segment_code
    FROM snapshots
    WHERE as_of = $1 AND coalesce(top_category, '') <> ''
), top AS (
    SELECT category, count(*) AS n FROM t GROUP BY category ORDER BY n DESC, category LIMIT $2
)
SELECT t.category, t.segment_code, count(*)
FROM t JOIN top USING (category)
GROUP BY t.category, t.segment_code, top.n
ORDER BY top.n DESC, t.category, t.segment_code;

-- name: ReportRejects
-- Rejected lines by kind of reason (the text before the first colon), for
-- the files of the last run up to $1 that read any, as rejects.csv has them.
SELECT split_part(r.reason, ':', 1) AS kind, count(*), min(r.reason)
FROM rejects r
JOIN files f USING (file_id)
WHERE f.run_id = (SELECT max(run_id) FROM files WHERE run_id <= $1)
GROUP BY kind
ORDER BY count(*) DESC, kind;

-- name: ReportMasterData
-- The customers of the snapshot of $1, and how many of them the master lists.
SELECT count(*), count(*) FILTER (WHERE c.in_master)
FROM snapshots s
JOIN customers c USING (customer_key)
WHERE s.as_of = $1;

-- name: ReportQualityReviewed
-- Whether a run reviewed the customer data as of $1.
SELECT EXISTS (SELECT 1 FROM quality_reviews WHERE as_of = $1);

-- name: ReportQuality
-- Findings per check of the customer data as of $1, every check listed, in order.
SELECT k.check_name, k.needs_master, count(i.check_name)
FROM quality_checks k
LEFT JOIN quality_issues i ON i.check_name = k.check_name AND i.as_of = $1
GROUP BY k.check_name, k.needs_master, k.position
ORDER BY k.position;

-- name: ReportSegmentStats
-- Per segment, over its customers with an order in the window: the median
-- days since the last order, orders and revenue, and the orders and
-- revenue behind the average order value.
SELECT segment_code,
       CAST(median(recency_days) FILTER (WHERE frequency >= 1) AS DOUBLE),
       CAST(median(frequency) FILTER (WHERE frequency >= 1) AS DOUBLE),
       CAST(median(monetary) FILTER (WHERE frequency >= 1) AS DOUBLE),
       CAST(coalesce(sum(frequency) FILTER (WHERE frequency >= 1), 0) AS BIGINT),
       CAST(coalesce(sum(monetary) FILTER (WHERE frequency >= 1), 0) AS DOUBLE)
FROM snapshots
WHERE as_of = $1
GROUP BY segment_code
ORDER BY segment_code;

-- name: ReportMetricRanges
-- Where the histograms of R, F and M end: the 99th percentile and the
-- maximum of each over the customers with an order in the window.
SELECT CAST(coalesce(quantile_cont(recency_days, 0.99), 0) AS DOUBLE), CAST(coalesce(max(recency_days), 0) AS DOUBLE),
       CAST(coalesce(quantile_cont(frequency, 0.99), 0) AS DOUBLE), CAST(coalesce(max(frequency), 0) AS DOUBLE),
       CAST(coalesce(quantile_cont(monetary, 0.99), 0) AS DOUBLE), CAST(coalesce(max(monetary), 0) AS DOUBLE)
FROM snapshots
WHERE as_of = $1 AND frequency >= 1;

-- name: ReportHistograms
-- Customers with an order in the window per bin of each metric: bin b of a
-- metric holds the values in [start + b * width, start + (b + 1) * width),
-- the last bin everything above. $2..$4 are the widths of recency_days,
-- frequency and monetary, $5..$7 their number of bins; frequency starts at 1,
-- the others at 0 (below 0, a negative net revenue, counts in bin 0).
WITH v AS (
    SELECT 'recency_days' AS metric, CAST(recency_days AS DOUBLE) AS x, 0 AS start, $2::DOUBLE AS width, $5::BIGINT AS bins
    FROM snapshots WHERE as_of = $1 AND frequency >= 1
    UNION ALL
    SELECT 'frequency', CAST(frequency AS DOUBLE), 1, $3::DOUBLE, $6::BIGINT
    FROM snapshots WHERE as_of = $1 AND frequency >= 1
    UNION ALL
    SELECT 'monetary', CAST(monetary AS DOUBLE), 0, $4::DOUBLE, $7::BIGINT
    FROM snapshots WHERE as_of = $1 AND frequency >= 1
)
SELECT metric, greatest(0, least(bins - 1, CAST(floor((x - start) / width) AS BIGINT))) AS bin, count(*)
FROM v
GROUP BY metric, bin
ORDER BY metric, bin;

-- name: ReportCustomers
-- Every customer of the snapshot, with what the report's table and card
-- show, by revenue, highest first (then by key).
SELECT coalesce(customer_code, customer_key), coalesce(customer_name, ''),
       segment_code, coalesce(rule_segment, segment_code), rule_index, manual, coalesce(below_runs, 0),
       coalesce(prev_segment, ''), CAST(segment_since AS VARCHAR),
       coalesce(r_score, 0), coalesce(f_score, 0), coalesce(m_score, 0), coalesce(abc_class, ''),
       recency_days, frequency, CAST(monetary AS DOUBLE), active_months, tenure_days,
       CAST(avg_order_value AS DOUBLE), returns_share, coalesce(top_category, ''), top_category_share, trend_ratio,
       tags
FROM snapshots
WHERE as_of = $1
ORDER BY monetary DESC, customer_key;

-- name: ReportCustomerHistory
-- The segment history of the customers of the snapshot of $1, as changes:
-- for every earlier snapshot date, the customers (by their position in
-- ReportCustomers) whose state then differs from their state at the next
-- snapshot date. A customer missing from a snapshot has a NULL state.
WITH cur AS (
    SELECT customer_key, row_number() OVER (ORDER BY monetary DESC, customer_key) - 1 AS i
    FROM snapshots WHERE as_of = $1
), dates AS (
    SELECT DISTINCT as_of FROM snapshots WHERE as_of <= $1
), h AS (
    SELECT d.as_of, c.i,
           CASE WHEN s.customer_key IS NOT NULL THEN
               {'seg': s.segment_code, 'rule': coalesce(s.rule_segment, s.segment_code), 'manual': s.manual,
                'below': coalesce(s.below_runs, 0), 'prev': coalesce(s.prev_segment, ''),
                'since': CAST(s.segment_since AS VARCHAR)}
           END AS st
    FROM cur c CROSS JOIN dates d
    LEFT JOIN snapshots s ON s.as_of = d.as_of AND s.customer_key = c.customer_key
), w AS (
    SELECT as_of, i, st, lead(st) OVER (PARTITION BY i ORDER BY as_of) AS next FROM h
)
SELECT CAST(as_of AS VARCHAR), i, st.seg, st.rule, st.manual, st.below, st.prev, st.since
FROM w
WHERE as_of < $1 AND st IS DISTINCT FROM next
ORDER BY as_of, i;

-- name: ReportSnapshotDates
-- Every snapshot date up to $1 with the trigger of the run that made it.
SELECT CAST(s.as_of AS VARCHAR), coalesce(r.trigger, '')
FROM (SELECT as_of, max(run_id) AS run_id FROM snapshots WHERE as_of <= $1 GROUP BY as_of) s
LEFT JOIN runs r USING (run_id)
ORDER BY s.as_of;

-- name: ReportSegmentNames
-- The name of every segment code in the snapshots up to $1, as last used.
SELECT segment_code, arg_max(segment_name, as_of)
FROM snapshots
WHERE as_of <= $1
GROUP BY segment_code
ORDER BY segment_code;

-- name: ReportCutValues
-- The cut points of the snapshot as numbers, for the customer card.
SELECT metric, method, cuts, collapsed FROM snapshot_cuts WHERE as_of = $1 ORDER BY metric;
