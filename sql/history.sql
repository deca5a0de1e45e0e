-- Run history as custcat runs and custcat serve show it.

-- name: RecentRuns
SELECT run_id, job, trigger, strftime(as_of, '%Y-%m-%d'), started_at, finished_at, status,
       files_loaded, files_failed, files_skipped, lines_loaded, lines_rejected,
       coalesce(customers, 0), coalesce(segment_counts, '{}'), coalesce(error, '')
FROM runs
ORDER BY run_id DESC
LIMIT $1;

-- name: FailedFilesOfRuns
-- The files that failed in the runs from $1 on, as each run recorded them.
SELECT run_id, name, coalesce(reason, '')
FROM files
WHERE status = 'failed' AND run_id >= $1
ORDER BY run_id, name;

-- name: SegmentMoves
-- Customers of the snapshot of $1 by previous and current segment; '' is
-- a customer not in the previous snapshot. The daemon's notice counts the
-- moves up and down from it.
SELECT coalesce(prev_segment, ''), segment_code, count(*)
FROM snapshots
WHERE as_of = $1
GROUP BY ALL;
