-- custcat explain: one customer's snapshot, read back with the reasons.

-- name: ExplainFind
-- The customers whose key, code or name is $1.
SELECT DISTINCT customer_key, coalesce(customer_code, ''), coalesce(customer_name, '')
FROM snapshots
WHERE customer_key = $1 OR customer_code = $1 OR customer_name = $1
ORDER BY customer_key;

-- name: ExplainLatest
-- The latest as-of date with a snapshot of customer $1.
SELECT coalesce(CAST(max(as_of) AS VARCHAR), '') FROM snapshots WHERE customer_key = $1;

-- name: ExplainSnapshot
-- The snapshot row of customer $2 as of $1, every value as text.
SELECT COLUMNS(* EXCLUDE (as_of, customer_key, tags))::VARCHAR, tags
FROM snapshots
WHERE as_of = $1 AND customer_key = $2;

-- name: ExplainScores
-- The one-row scores table the rule conditions are evaluated against: the
-- columns of the scores step of the run, from the snapshot.
CREATE OR REPLACE TEMP TABLE scores AS
SELECT s.customer_key, s.customer_code, s.customer_name, coalesce(c.in_master, false) AS in_master,
       s.recency_days, s.frequency, s.monetary, s.active_months, s.tenure_days, s.avg_order_value,
       s.returns_share, s.top_category, s.top_category_share, s.trend_ratio,
       s.r_score, s.f_score, s.m_score, s.abc_class
FROM snapshots s
LEFT JOIN customers c USING (customer_key)
WHERE s.as_of = $1 AND s.customer_key = $2;

-- name: ExplainCuts
SELECT metric, method, cuts, collapsed FROM snapshot_cuts WHERE as_of = $1 ORDER BY metric;

-- name: ExplainHistory
-- Every snapshot of customer $1, oldest first, with the trigger of its run.
SELECT CAST(s.as_of AS VARCHAR), s.segment_code, coalesce(s.rule_segment, s.segment_code),
       s.manual, coalesce(s.below_runs, 0), coalesce(s.prev_segment, ''),
       CAST(s.segment_since AS VARCHAR), coalesce(r.trigger, '')
FROM snapshots s
LEFT JOIN runs r USING (run_id)
WHERE s.customer_key = $1
ORDER BY s.as_of;
