-- The consistency check at open: rows that no committed run can leave.
-- DuckDB 1.5.6 can replay row groups of a transaction that never
-- committed (a kill inside COMMIT, DuckDB pull request 25931): lines
-- without their file, a snapshot without its run. Each check counts such
-- rows; the run removes them in its own transaction.

-- name: TornSalesLines
SELECT count(*) FROM sales_lines WHERE file_id NOT IN (SELECT file_id FROM files);

-- name: RemoveTornSalesLines
DELETE FROM sales_lines WHERE file_id NOT IN (SELECT file_id FROM files);

-- name: TornRejects
SELECT count(*) FROM rejects WHERE file_id NOT IN (SELECT file_id FROM files);

-- name: RemoveTornRejects
DELETE FROM rejects WHERE file_id NOT IN (SELECT file_id FROM files);

-- name: TornMasterCustomers
SELECT count(*) FROM master_customers WHERE file_id NOT IN (SELECT file_id FROM files);

-- name: RemoveTornMasterCustomers
DELETE FROM master_customers WHERE file_id NOT IN (SELECT file_id FROM files);

-- name: TornFiles
SELECT count(*) FROM files WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: RemoveTornFiles
DELETE FROM files WHERE run_id NOT IN (SELECT run_id FROM runs);

-- A run's row is finished in the transaction that starts it.
-- name: TornRuns
SELECT count(*) FROM runs WHERE status = 'running';

-- name: RemoveTornRuns
DELETE FROM runs WHERE status = 'running';

-- name: TornSnapshots
SELECT count(*) FROM snapshots WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: RemoveTornSnapshots
DELETE FROM snapshots WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: TornQualityIssues
SELECT count(*) FROM quality_issues WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: RemoveTornQualityIssues
DELETE FROM quality_issues WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: TornQualityReviews
SELECT count(*) FROM quality_reviews WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: RemoveTornQualityReviews
DELETE FROM quality_reviews WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: TornCategoryExports
SELECT count(*) FROM category_exports WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: RemoveTornCategoryExports
DELETE FROM category_exports WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: TornCategoryPlaced
SELECT count(*) FROM category_placed WHERE run_id NOT IN (SELECT run_id FROM runs);

-- name: RemoveTornCategoryPlaced
DELETE FROM category_placed WHERE run_id NOT IN (SELECT run_id FROM runs);

-- The value each sequence gives next: the START of the CREATE statement
-- DuckDB gives for it (start_value is not, after a WAL replay).
-- name: SequenceState
SELECT sequence_name, regexp_extract(sql, 'START (\d+)', 1)::BIGINT
FROM duckdb_sequences()
WHERE database_name = current_database() AND schema_name = 'main'
  AND sequence_name IN ('run_ids', 'file_ids')
ORDER BY sequence_name;

-- The highest id in use of a sequence.
-- name: MaxID
SELECT CASE $1
           WHEN 'run_ids' THEN (SELECT coalesce(max(run_id), 0) FROM runs)
           WHEN 'file_ids' THEN (SELECT coalesce(max(file_id), 0) FROM files)
       END;

-- The tables of the database, for Verify.
-- name: UserTables
SELECT table_name FROM duckdb_tables()
WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
ORDER BY table_name;
