package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
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
// writes no output files. Each date commits on its own: in one
// transaction for all dates DuckDB held every date's temp tables and
// written rows in memory it cannot spill until the commit, so a weekly
// backfill of five years ran out of a 512MB memory_limit. A date that has
// a snapshot gets it replaced, and a date's snapshot depends only on the
// lines and the snapshot before it: running the backfill again gives the
// same snapshots, and completes one that stopped. When a date fails,
// Backfill returns the results of the dates saved before it with a
// *BackfillError.
func Backfill(ctx context.Context, cfg *pipeline.Config, dates []string, opt RunOptions) ([]*RunResult, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Job == "" {
		opt.Job = "backfill"
	}
	opt.Trigger = "backfill"
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if err := checkRules(ctx, cfg); err != nil {
		return nil, err
	}
	store, err := pipeline.OpenStore(ctx, cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	var results []*RunResult
	for i, asOf := range dates {
		opt.Log.Info("backfill", slog.String("as_of", asOf))
		res, err := backfillDate(ctx, store, cfg, asOf, opt, i == 0)
		if err != nil {
			return results, &BackfillError{AsOf: asOf, Saved: len(results), Err: err}
		}
		results = append(results, res)
	}
	return results, nil
}

// backfillDate computes and commits the snapshot of asOf as one run. The
// first date's transaction also removes what no committed run could have
// left (Store.Repair), as a run does.
func backfillDate(ctx context.Context, store *pipeline.Store, cfg *pipeline.Config, asOf string, opt RunOptions, first bool) (*RunResult, error) {
	res := &RunResult{AsOf: asOf, Load: &pipeline.LoadResult{}, Moved: map[string]string{}}
	err := store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		if first {
			repaired, err := store.Repair(ctx, c)
			if err != nil {
				return err
			}
			res.Repaired = repaired
		}
		start := opt.Now()
		if err := c.QueryRowContext(ctx, custsql.Query("NextRunID")).Scan(&res.RunID); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, custsql.Query("StartRun"), res.RunID, opt.Job, opt.Trigger, asOf, cfg.WindowDays, start); err != nil {
			return err
		}
		if err := pipeline.Segment(ctx, c, cfg, asOf, res.RunID); err != nil {
			return fmt.Errorf("segment: %w", err)
		}
		if err := countSegments(ctx, c, cfg, res); err != nil {
			return err
		}
		var err error
		if res.Notes, err = pipeline.Notes(ctx, c, asOf); err != nil {
			return err
		}
		return finishRun(ctx, c, res, opt.Now())
	})
	if err != nil {
		return nil, pipeline.StoreHint(err, cfg.Store)
	}
	return res, nil
}

// BackfillError is a backfill that stopped at the date AsOf: the Saved
// dates before it are committed, AsOf and the dates after it are not.
type BackfillError struct {
	AsOf  string
	Saved int
	Err   error
}

func (e *BackfillError) Error() string {
	return fmt.Sprintf("as of %s: %v", e.AsOf, e.Err)
}

func (e *BackfillError) Unwrap() error { return e.Err }

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
