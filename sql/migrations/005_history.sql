-- Segment history that analysts can trust and explain: the segment the rules
-- gave beside the one in force (they differ while a downgrade waits or a pin
-- holds), and the warnings of each snapshot.

-- The segment of the rule that fired (rule_index). segment_code is the segment
-- in force: a pinned one (manual), or the previous one while a downgrade waits.
ALTER TABLE snapshots ADD COLUMN rule_segment VARCHAR;

-- Consecutive runs, this one included, in which the rules placed the customer
-- below segment_code; the downgrade takes effect at downgrade_after_runs.
ALTER TABLE snapshots ADD COLUMN below_runs INTEGER DEFAULT 0;

-- Warnings of a snapshot: collapsed cut points, manual lines for unknown
-- customers or with errors. Replaced with the snapshot.
CREATE TABLE snapshot_notes (
    as_of           DATE NOT NULL,
    kind            VARCHAR NOT NULL,      -- collapsed_cuts | no_scored_customers | manual_unknown_customer | manual_bad_line
    subject         VARCHAR NOT NULL,      -- the metric, or the customer code
    detail          VARCHAR NOT NULL
);
