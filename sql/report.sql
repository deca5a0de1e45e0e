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
-- Customers by previous and current segment; '' is a customer new since
-- the previous snapshot.
SELECT coalesce(prev_segment, ''), segment_code, count(*)
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

-- name: ReportTopCustomers
-- The $2 customers with the most revenue in each segment.
SELECT segment_code, coalesce(customer_code, customer_key), coalesce(customer_name, ''),
       CAST(monetary AS DOUBLE), frequency, recency_days,
       coalesce(printf('%d/%d/%d', r_score, f_score, m_score), ''),
       coalesce(abc_class, ''), coalesce(prev_segment, ''),
       array_to_string(tags, ', ')
FROM (
    SELECT *, row_number() OVER (PARTITION BY segment_code ORDER BY monetary DESC, customer_key) AS rank
    FROM snapshots
    WHERE as_of = $1
)
WHERE rank <= $2
ORDER BY segment_code, rank;

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
