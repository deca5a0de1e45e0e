-- Run history.

-- name: NextRunID
SELECT nextval('run_ids');

-- name: StartRun
INSERT INTO runs (run_id, job, trigger, as_of, window_days, started_at, status)
VALUES ($1, $2, $3, $4, $5, $6, 'running');

-- name: FinishRun
UPDATE runs SET finished_at = $2, status = $3, files_loaded = $4, files_failed = $5,
       files_skipped = $6, lines_read = $7, lines_loaded = $8, lines_rejected = $9,
       lines_duplicate = $10, lines_summary = $11, lines_replaced = $12, customers = $13,
       segment_counts = $14, error = $15
WHERE run_id = $1;

-- name: RecordFailedRun
-- $8 is the id the rolled-back run took (its log lines name it), or NULL
-- for a run that failed before it took one.
INSERT INTO runs (run_id, job, trigger, as_of, window_days, started_at, finished_at, status, error)
VALUES (coalesce($8, nextval('run_ids')), $1, $2, $3, $4, $5, $6, 'failed', $7)
RETURNING run_id;

-- A run whose commit held, then a step after it (outputs in place, inbox
-- files moved) failed: its data is loaded, the step is to be done again.
-- name: RecordAfterCommitFailure
UPDATE runs SET status = 'partial', error = $2 WHERE run_id = $1;
