-- Before this version a run that found no customer at all as of its date
-- (a first run over an empty inbox, or one whose every file failed)
-- recorded its category file under run 0, which is no run: the next run's
-- check at open took those rows for the leftovers of a killed commit and
-- said so. They describe files of no run and hold no data; they go.
DELETE FROM category_exports WHERE run_id = 0;
DELETE FROM category_placed WHERE run_id = 0;
