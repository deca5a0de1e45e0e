-- Outputs: every value comes out as text, formatted here, so that files are
-- the same byte for byte for the same data.

-- name: CategoryRows
-- The customers of the snapshot of $1, for categories.csv, each after its
-- key. With $2 (delta) true, only those whose ERP code or tags differ from
-- what the last category file told the ERP, or that it never told; with $3
-- true (the file in place was made from these same inputs) from what the
-- ERP held before that file, so that the same inputs give the same file.
SELECT s.customer_key,
       coalesce(customer_code, s.customer_key),
       coalesce(customer_name, ''),
       segment_code,
       segment_name,
       s.erp_code,
       array_to_string(s.tags, '|'),
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
       CAST(segment_since AS VARCHAR),
       CASE WHEN manual THEN '1' ELSE '0' END,
       coalesce(rule_segment, segment_code)
FROM snapshots s
LEFT JOIN (SELECT * FROM category_rows WHERE NOT $3
           UNION ALL
           SELECT * FROM category_rows_prev WHERE $3) p ON p.customer_key = s.customer_key
WHERE s.as_of = $1
  AND (NOT $2
       OR p.customer_key IS NULL
       OR p.erp_code IS DISTINCT FROM s.erp_code
       OR p.tags IS DISTINCT FROM s.tags)
ORDER BY s.customer_key;

-- name: ClearPendingCategoryState
DELETE FROM category_rows_pending;

-- name: SavePendingCategoryState
-- Once a category file of the snapshot of $1 is in place, the ERP holds every
-- customer's current code and tags, whether the file was full or a delta.
INSERT INTO category_rows_pending
SELECT customer_key, erp_code, tags FROM snapshots WHERE as_of = $1;

-- name: SameAsPlaced
-- Whether the category file in place was made from run $1's inputs as of $2.
SELECT count(*) > 0 FROM category_placed WHERE run_id = $1 AND as_of = $2;

-- name: ClearPrevCategoryState
DELETE FROM category_rows_prev;

-- name: SavePrevCategoryState
INSERT INTO category_rows_prev SELECT * FROM category_rows;

-- name: ClearPlaced
DELETE FROM category_placed;

-- name: SavePlaced
INSERT INTO category_placed (run_id, as_of, scored)
SELECT $1, $2, count(*) FILTER (WHERE r_score IS NOT NULL) FROM snapshots WHERE as_of = $2;

-- name: ClearCategoryState
DELETE FROM category_rows;

-- name: PlaceCategoryState
INSERT INTO category_rows SELECT * FROM category_rows_pending;

-- name: RecordCategoryExport
INSERT OR REPLACE INTO category_exports (run_id, as_of, preset, mode, encoding, rows, sha256)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: CustomerParquetRows
-- The snapshot of $1 as it goes to customers.parquet: every column, tags as
-- a list, and as run_id the run $2 whose inputs it shows (ReportRunID), as
-- the manifest and the report have it: the same data gives the same file.
SELECT * REPLACE (CAST($2 AS BIGINT) AS run_id) FROM snapshots WHERE as_of = $1 ORDER BY customer_key

-- name: RejectRows
-- The rejected lines of the files read by the last run that read any.
SELECT f.name, CAST(r.line_no AS VARCHAR), r.reason, r.raw
FROM rejects r
JOIN files f USING (file_id)
WHERE f.run_id = (SELECT max(run_id) FROM files)
ORDER BY f.file_id, r.line_no;
