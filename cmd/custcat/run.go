package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"custcat/jobs"
	"custcat/pipeline"
)

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("run", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	asOf := fs.String("as-of", "", "the as-of date, YYYY-MM-DD (default: today)")
	verbose := fs.Bool("v", false, "log each step")
	if _, code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *asOf != "" {
		if _, err := time.Parse(time.DateOnly, *asOf); err != nil {
			fmt.Fprintf(stderr, "custcat run: --as-of %q is not a date; write YYYY-MM-DD, such as --as-of 2024-12-31\n", *asOf)
			return exitUsage
		}
	}
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	log := newLogger(stderr, *verbose)
	start := time.Now()
	res, err := jobs.Run(ctx, cfg, jobs.RunOptions{
		AsOf:     *asOf,
		Log:      log,
		Progress: newProgress(stderr),
	})
	var rules *jobs.RulesError
	var after *jobs.AfterCommitError
	if res != nil && res.Load != nil {
		// A run that failed before its commit changed nothing: its summary
		// says so before the counts of what it read.
		rolledBack := err != nil && !errors.Is(err, jobs.ErrHeld) && !errors.Is(err, jobs.ErrFilesFailed) &&
			!errors.As(err, &after) && !errors.As(err, &rules) && !errors.Is(err, pipeline.ErrLocked) && !errors.Is(err, pipeline.ErrNoInbox)
		printSummary(stdout, res, rolledBack)
	}
	// A bad config and a refused start (the database in use) are told to
	// the person at the terminal; they changed nothing a phone must hear of.
	if !errors.As(err, &rules) && !errors.Is(err, pipeline.ErrLocked) {
		// The notice logs what became of it (a warning at -v off too).
		nlog := log
		if res != nil && res.RunID > 0 {
			nlog = log.With("run", res.RunID)
		}
		_ = jobs.NotifyRun(ctx, cfg, nlog, "manual", "manual", res, start, time.Now(), 1, err)
	}
	switch {
	case errors.As(err, &rules):
		return badRules(stderr, *configPath, rules.Problems)
	case err == nil:
		return exitOK
	case errors.Is(err, jobs.ErrHeld):
		fmt.Fprintf(stderr, "custcat: %v\ncustcat: the database and the report are up to date; the ERP keeps its file. %s\n", err, jobs.HeldAdvice(*configPath))
		return exitHeld
	case errors.Is(err, pipeline.ErrNoInbox):
		fmt.Fprintf(stderr, "custcat: run failed, nothing was written: %v\n", err)
		return exitFailed
	case errors.Is(err, jobs.ErrFilesFailed):
		fmt.Fprintf(stderr, "custcat: %d file(s) failed and moved to %s; each has a .reason.txt beside it\n", res.Load.Count("failed"), cfg.Path(cfg.Failed))
		return exitFailed
	case errors.Is(err, pipeline.ErrLocked):
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitLocked
	case errors.As(err, &after):
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitFailed
	default:
		fmt.Fprintf(stderr, "custcat: run failed, the database is unchanged: %v\n", err)
		return exitFailed
	}
}

// printSummary writes the run summary: files, line counts that add up,
// customers per segment, and the findings of the customer data checks.
func printSummary(w io.Writer, res *jobs.RunResult, rolledBack bool) {
	fmt.Fprintf(w, "custcat run %d, as of %s\n\n", res.RunID, res.AsOf)
	if rolledBack {
		fmt.Fprintf(w, "FAILED, rolled back: nothing below is in the database or the outputs; the counts are what the run read before it failed (the reason is on stderr)\n\n")
	}
	if len(res.Repaired) > 0 {
		fmt.Fprintf(w, "warning: %s\n\n", pipeline.TornSummary(res.Repaired))
	}
	if len(res.Load.Files) == 0 && len(res.Waiting) == 0 {
		fmt.Fprintln(w, "files: none new in the inbox; the segments come from the lines loaded before")
	} else {
		printFiles(w, res)
	}
	printSegments(w, res)
}

// printFiles writes the table of the run's files and its line counts.
func printFiles(w io.Writer, res *jobs.RunResult) {
	tw := newTable(2, 3, 4, 5, 6, 7)
	tw.row("file", "status", "read", "loaded", "rejected", "duplicate", "summary", "held back")
	n := func(x int64) string { return strconv.FormatInt(x, 10) }
	for _, f := range res.Load.Files {
		tw.row(printable(f.Name), f.Status, n(f.Read), n(f.Loaded), n(f.Rejected), n(f.Duplicate), n(f.Summary), n(f.Held))
	}
	t := res.Load.Totals()
	tw.row("total", "", n(t.Read), n(t.Loaded), n(t.Rejected), n(t.Duplicate), n(t.Summary), n(t.Held))
	tw.write(w, "  ")
	fmt.Fprintf(w, "\nlines: %d read = %d loaded + %d rejected + %d duplicate + %d summary + %d held back in failed files\n",
		t.Read, t.Loaded, t.Rejected, t.Duplicate, t.Summary, t.Held)
	if t.Duplicate > 0 {
		fmt.Fprintf(w, "duplicates: %d line(s) repeated exactly within their document, %.2f dropped; if the export has no line id and such lines are real, set duplicates: keep on its source\n",
			t.Duplicate, t.DuplicateAmount)
	}
	if res.Load.Replaced > 0 {
		fmt.Fprintf(w, "documents exported again: %d earlier lines replaced\n", res.Load.Replaced)
	}
	for _, f := range res.Load.Files {
		if f.Status != "loaded" {
			fmt.Fprintf(w, "%s %s: %s\n", printable(f.Name), f.Status, printable(f.Reason))
		}
	}
	var totals []string
	what := "total rows"
	for _, f := range res.Load.Files {
		for _, r := range f.SummaryRows {
			line := fmt.Sprintf("  %s line %d: %s", printable(f.Name), r.Line, printable(r.Raw))
			if r.Reason != "total row" {
				line += " (" + r.Reason + ")"
				what = "total and header rows"
			}
			totals = append(totals, line)
		}
		if f.Summary > int64(len(f.SummaryRows)) {
			totals = append(totals, fmt.Sprintf("  %s: %d more", printable(f.Name), f.Summary-int64(len(f.SummaryRows))))
		}
	}
	if len(totals) > 0 {
		fmt.Fprintf(w, "%s skipped (counted as summary, not loaded):\n%s\n", what, strings.Join(totals, "\n"))
	}
	if len(res.Waiting) > 0 {
		names := make([]string, len(res.Waiting))
		for i, n := range res.Waiting {
			names[i] = printable(n)
		}
		fmt.Fprintf(w, "waiting for the next run (still being written): %v\n", names)
	}
}

// printSegments writes the customers per segment, the snapshot's warnings
// and the findings of the customer data checks.
func printSegments(w io.Writer, res *jobs.RunResult) {
	fmt.Fprintf(w, "\ncustomers: %d\n", res.Customers)
	seg := newTable(2)
	for _, s := range res.Segments {
		seg.row(s.Code, s.Name, strconv.FormatInt(s.Customers, 10))
	}
	seg.write(w, "  ")
	for _, n := range res.Notes {
		fmt.Fprintf(w, "warning: %s\n", n)
	}
	for _, n := range res.FileNotes {
		fmt.Fprintf(w, "warning: %s\n", n)
	}
	if q := res.Quality; q != nil {
		fmt.Fprintln(w, "\ncustomer data (quality.csv):")
		if !q.MasterLoaded {
			fmt.Fprintln(w, "  no customer master loaded (- below): add a source with kind: customers to check it")
		}
		qw := newTable(1)
		for _, n := range q.Counts {
			count := fmt.Sprint(n.Customers)
			if n.NeedsMaster && !q.MasterLoaded {
				count = "-"
			}
			qw.row(n.Check, count, n.About)
		}
		qw.write(w, "  ")
	}
	if len(res.Outputs) > 0 {
		fmt.Fprintln(w, "\noutputs:")
		for _, o := range res.Outputs {
			fmt.Fprintf(w, "  %s\n", o)
		}
	}
	if len(res.Pruned) > 0 {
		fmt.Fprintf(w, "older output copies removed from runs/ and reports/ (keep_runs): %d\n", len(res.Pruned))
	}
	if res.PruneErr != nil {
		fmt.Fprintf(w, "warning: older output copies not all removed (keep_runs), the next run tries again: %v\n", res.PruneErr)
	}
}

// printable keeps a file name or an input line on one line of the
// summary: a name may hold a line break or a tab, which would break the
// table; such text is shown quoted, with escapes.
func printable(s string) string {
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 }) {
		return strconv.Quote(s)
	}
	return s
}
