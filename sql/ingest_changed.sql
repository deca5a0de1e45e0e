-- A file that changed while the run read it was still being written: what
-- the run took from it goes, and the next run reads it whole.

-- name: DropChangedFile
DELETE FROM line_hashes WHERE file_id = $1;

-- name: DropChangedFileKeep
DELETE FROM stage_keep WHERE file_id = $1;

-- name: DropChangedFileLines
DELETE FROM sales_lines WHERE file_id = $1;

-- name: DropChangedFileRejects
DELETE FROM rejects WHERE file_id = $1;

-- name: DropChangedFileMaster
DELETE FROM master_customers WHERE file_id = $1;
