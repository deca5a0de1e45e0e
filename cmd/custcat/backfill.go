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
	switch {
	case errors.As(err, &rules):
		return badRules(stderr, *configPath, rules.Problems)
	case err != nil && errors.Is(err, pipeline.ErrLocked):
		return storeError(err, stderr)
	case err != nil:
		fmt.Fprintf(stderr, "custcat: backfill failed, the database is unchanged: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "backfilled %d snapshot(s), %s to %s, every %s\n\n", len(results), dates[0], dates[len(dates)-1], *every)
	if len(results) > 0 && len(results[0].Repaired) > 0 {
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
	return exitOK
}
