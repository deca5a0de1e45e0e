-- Outputs: every value comes out as text, formatted here, so that files are
-- the same byte for byte for the same data.

-- name: CategoryRows
-- The customers of the snapshot of $1, for categories.csv.
SELECT coalesce(customer_code, customer_key),
       coalesce(customer_name, ''),
       segment_code,
       segment_name,
       erp_code,
       array_to_string(tags, '|'),
       coalesce(CAST(r_score AS VARCHAR), ''),
       coalesce(CAST(f_score AS VARCHAR), ''),
       coalesce(CAST(m_score AS VARCHAR), ''),
       coalesce(abc_class, ''),
       coalesce(CAST(recency_days AS VARCHAR), ''),
       CAST(frequency AS VARCHAR),
       printf('%.2f', monetary),
       CAST(active_months AS VARCHAR),
       coalesce(CAST(tenure_days AS VARCHAR), ''),
       coalesce(printf('%.2f', avg_order_value), ''),
       coalesce(printf('%.4f', returns_share), ''),
       coalesce(top_category, ''),
       coalesce(printf('%.4f', top_category_share), ''),
       coalesce(printf('%.4f', trend_ratio), ''),
       coalesce(prev_segment, ''),
       CAST(segment_since AS VARCHAR)
FROM snapshots
WHERE as_of = $1
ORDER BY customer_key;

-- name: RejectRows
-- The rejected lines of the files read by the last run that read any.
SELECT f.name, CAST(r.line_no AS VARCHAR), r.reason, r.raw
FROM rejects r
JOIN files f USING (file_id)
WHERE f.run_id = (SELECT max(run_id) FROM files)
ORDER BY f.file_id, r.line_no;
