-- Downloads of sources with a URL.

-- name: FetchState
SELECT coalesce(etag, ''), coalesce(last_modified, '') FROM fetch_state WHERE url = $1;

-- name: SaveFetchState
INSERT OR REPLACE INTO fetch_state (url, source, etag, last_modified, size, fetched_at)
VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, $6);
