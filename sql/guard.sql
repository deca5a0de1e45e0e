-- The guard before the ERP (jobs/guard.go): what a run's category file
-- would change against the file in place.

-- name: GuardScored
-- The customers of the snapshot of $1 that could be scored (an order in the window).
SELECT count(*) FILTER (WHERE r_score IS NOT NULL) FROM snapshots WHERE as_of = $1;

-- name: GuardPlaced
-- Whether a category file is in place, and how many customers it scored
-- (NULL for a file placed before custcat kept the number).
SELECT count(*) > 0, max(scored) FROM category_placed;

-- name: GuardMoved
-- Of the customers the ERP holds from the file in place, those whose ERP code
-- the snapshot of $1 changes (or that it no longer holds), and all of them.
SELECT count(*) FILTER (WHERE s.erp_code IS DISTINCT FROM p.erp_code), count(*)
FROM category_rows p
LEFT JOIN snapshots s ON s.customer_key = p.customer_key AND s.as_of = $1;

-- name: GuardDataRange
-- The dates of the loaded sales lines, for the message of a run that scored no one.
SELECT strftime(min(doc_date), '%Y-%m-%d'), strftime(max(doc_date), '%Y-%m-%d') FROM sales_lines;

-- name: LastFinishedRun
-- The newest run that changed the database: custcat accept takes only a held one.
SELECT run_id, status, strftime(as_of, '%Y-%m-%d') FROM runs
WHERE status NOT IN ('running', 'failed') ORDER BY run_id DESC LIMIT 1;

-- name: AcceptRun
UPDATE runs SET status = 'accepted' WHERE run_id = $1 AND status = 'held';

-- name: FailedFilesOfRun
-- The files run $1 read that failed, for the status of the manifest of the
-- outputs that show that run's inputs.
SELECT name, coalesce(reason, '') FROM files WHERE run_id = $1 AND status = 'failed' ORDER BY file_id;
