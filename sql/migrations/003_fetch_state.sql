-- Exports downloaded from a source's URL: the validators of the last copy
-- fetched, so that an unchanged export is not fetched again.
CREATE TABLE fetch_state (
    url             VARCHAR PRIMARY KEY,
    source          VARCHAR NOT NULL,
    etag            VARCHAR,
    last_modified   VARCHAR,
    size            BIGINT NOT NULL,
    fetched_at      TIMESTAMP NOT NULL
);
