package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"custcat/jobs"
	"custcat/pipeline"
)

func backfillCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("backfill", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	from := fs.String("from", "", "the first as-of date, YYYY-MM-DD")
	to := fs.String("to", "", "the last as-of date, YYYY-MM-DD")
	every := fs.String("every", "month", "the step between as-of dates: month or week")
	verbose := fs.Bool("v", false, "log each step")
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "custcat backfill: unexpected argument %q; try: custcat backfill --from 2024-01-31 --to 2024-12-31 --every month\n", pos[0])
		return exitUsage
	}
	if *from == "" || *to == "" {
		fmt.Fprintln(stderr, "custcat backfill: give --from and --to, such as: custcat backfill --from 2024-01-31 --to 2024-12-31 --every month")
		return exitUsage
	}
	dates, err := jobs.BackfillDates(*from, *to, *every)
	if err != nil {
		fmt.Fprintf(stderr, "custcat backfill: %v\n", err)
		return exitUsage
	}
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	results, err := jobs.Backfill(ctx, cfg, dates, jobs.RunOptions{Log: newLogger(stderr, *verbose)})
	var rules *jobs.RulesError
	var stopped *jobs.BackfillError
	switch {
	case errors.As(err, &rules):
		return badRules(stderr, *configPath, rules.Problems)
	case err != nil && errors.Is(err, pipeline.ErrLocked):
		return storeError(err, stderr)
	case errors.As(err, &stopped) && stopped.Saved > 0:
		printBackfilled(stdout, results, *every)
		fmt.Fprintf(stderr, "custcat: backfill failed %v\n"+
			"the %d date(s) before %s are saved, %s and the later dates are not; to complete it, run the backfill again with --from %s (or from the start: the saved dates come out the same)\n",
			err, stopped.Saved, stopped.AsOf, stopped.AsOf, stopped.AsOf)
		return exitFailed
	case err != nil:
		fmt.Fprintf(stderr, "custcat: backfill failed, the database is unchanged: %v\n", err)
		return exitFailed
	}
	printBackfilled(stdout, results, *every)
	return exitOK
}

// printBackfilled prints the snapshots a backfill saved, a line a date,
// after what the repair at open removed, if anything.
func printBackfilled(stdout io.Writer, results []*jobs.RunResult, every string) {
	fmt.Fprintf(stdout, "backfilled %d snapshot(s), %s to %s, every %s\n\n", len(results), results[0].AsOf, results[len(results)-1].AsOf, every)
	if len(results[0].Repaired) > 0 {
		fmt.Fprintf(stdout, "warning: %s\n\n", pipeline.TornSummary(results[0].Repaired))
	}
	for _, r := range results {
		var counts []string
		for _, s := range r.Segments {
			counts = append(counts, fmt.Sprintf("%s %d", s.Code, s.Customers))
		}
		fmt.Fprintf(stdout, "  %s  run %d  customers %d  (%s)\n", r.AsOf, r.RunID, r.Customers, strings.Join(counts, ", "))
		for _, n := range r.Notes {
			fmt.Fprintf(stdout, "    warning: %s\n", n)
		}
	}
}
