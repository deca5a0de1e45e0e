package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"custcat/pipeline"
	custsql "custcat/sql"
)

// BackfillDates returns the as-of dates from from to to (YYYY-MM-DD, both
// included) a month or a week apart. Month steps keep the day of the month,
// clamped to the month's length; from a month's last day they keep to
// month ends (2024-01-31, 2024-02-29, 2024-03-31, ...).
func BackfillDates(from, to, every string) ([]string, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("--from %q: write YYYY-MM-DD", from)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("--to %q: write YYYY-MM-DD", to)
	}
	if t.Before(f) {
		return nil, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	var dates []string
	switch every {
	case "week":
		for d := f; !d.After(t); d = d.AddDate(0, 0, 7) {
			dates = append(dates, d.Format(time.DateOnly))
		}
	case "month":
		monthEnd := f.AddDate(0, 0, 1).Day() == 1
		for i := 0; ; i++ {
			first := time.Date(f.Year(), f.Month()+time.Month(i), 1, 0, 0, 0, 0, time.UTC)
			last := first.AddDate(0, 1, -1).Day()
			day := min(f.Day(), last)
			if monthEnd {
				day = last
			}
			d := first.AddDate(0, 0, day-1)
			if d.After(t) {
				break
			}
			dates = append(dates, d.Format(time.DateOnly))
		}
	default:
		return nil, fmt.Errorf("--every %q: write month or week", every)
	}
	return dates, nil
}

// Backfill computes the snapshot of each date, in order, from the sales
// lines already loaded, as runs with trigger backfill: the trend and
// movement views get history from the first day. It reads no inbox and
// writes no output files. All dates commit together or not at all; a
// date that has a snapshot gets it replaced, so running it again gives the
// same snapshots.
func Backfill(ctx context.Context, cfg *pipeline.Config, dates []string, opt RunOptions) ([]*RunResult, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Job == "" {
		opt.Job = "backfill"
	}
	opt.Trigger = "backfill"
	if err := checkRules(ctx, cfg); err != nil {
		return nil, err
	}
	store, err := pipeline.OpenStore(ctx, cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var results []*RunResult
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		repaired, err := store.Repair(ctx, c)
		if err != nil {
			return err
		}
		for _, asOf := range dates {
			res := &RunResult{AsOf: asOf, Load: &pipeline.LoadResult{}, Moved: map[string]string{}, Repaired: repaired}
			repaired = nil
			start := opt.Now()
			if err := c.QueryRowContext(ctx, custsql.Query("NextRunID")).Scan(&res.RunID); err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, custsql.Query("StartRun"), res.RunID, opt.Job, opt.Trigger, asOf, cfg.WindowDays, start); err != nil {
				return err
			}
			if err := pipeline.Segment(ctx, c, cfg, asOf, res.RunID); err != nil {
				return fmt.Errorf("segment as of %s: %w", asOf, err)
			}
			if err := countSegments(ctx, c, cfg, res); err != nil {
				return err
			}
			var err error
			if res.Notes, err = pipeline.Notes(ctx, c, asOf); err != nil {
				return err
			}
			if err := finishRun(ctx, c, res, opt.Now()); err != nil {
				return err
			}
			results = append(results, res)
		}
		return nil
	})
	if err != nil {
		return nil, pipeline.StoreHint(err, cfg.Store)
	}
	return results, nil
}

// checkRules refuses a config whose segment or tag conditions do not
// compile, naming each bad rule.
func checkRules(ctx context.Context, cfg *pipeline.Config) error {
	problems, err := pipeline.CheckRules(ctx, cfg)
	if err != nil {
		return fmt.Errorf("check rules: %w", err)
	}
	if len(problems) > 0 {
		return &RulesError{Problems: problems}
	}
	return nil
}
