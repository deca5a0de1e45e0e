-- Run history as custcat runs and custcat serve show it.

-- name: RecentRuns
SELECT run_id, job, trigger, strftime(as_of, '%Y-%m-%d'), started_at, finished_at, status,
       files_loaded, files_failed, files_skipped, lines_loaded, lines_rejected,
       coalesce(customers, 0), coalesce(segment_counts, '{}'), coalesce(error, '')
FROM runs
ORDER BY run_id DESC
LIMIT $1;
