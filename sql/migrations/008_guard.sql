-- The guard (jobs/guard.go) compares a run's category file with the one in
-- place: how many customers that file scored is kept when it is placed, as
-- a later run may replace the snapshot it was made from.
ALTER TABLE category_placed ADD COLUMN scored BIGINT;
