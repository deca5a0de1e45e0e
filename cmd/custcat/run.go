package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

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
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	res, err := jobs.Run(ctx, cfg, jobs.RunOptions{
		AsOf:     *asOf,
		Log:      newLogger(stderr, *verbose),
		Progress: newProgress(stderr),
	})
	if res != nil && res.Load != nil {
		printSummary(stdout, res)
	}
	var bad *pipeline.BadRulesError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &bad):
		fmt.Fprintf(stderr, "custcat: config %s: %d bad rule(s):\n%s\n", *configPath, len(bad.Problems), indent(joinLines(bad.Problems)))
		return exitConfig
	case errors.Is(err, jobs.ErrFilesFailed):
		fmt.Fprintf(stderr, "custcat: %d file(s) failed and moved to %s; each has a .reason.txt beside it\n", res.Load.Count("failed"), cfg.Path(cfg.Failed))
		return exitFailed
	case errors.Is(err, pipeline.ErrLocked):
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitLocked
	default:
		fmt.Fprintf(stderr, "custcat: run failed, the database is unchanged: %v\n", err)
		return exitFailed
	}
}

func joinLines(lines []string) string {
	out := ""
	for _, l := range lines {
		out += l + "\n"
	}
	return out
}

// printSummary writes the run summary: files, line counts that add up, and
// customers per segment.
func printSummary(w io.Writer, res *jobs.RunResult) {
	fmt.Fprintf(w, "custcat run %d, as of %s\n\n", res.RunID, res.AsOf)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tstatus\tread\tloaded\trejected\tduplicate\tsummary\theld back\t")
	for _, f := range res.Load.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", f.Name, f.Status, f.Read, f.Loaded, f.Rejected, f.Duplicate, f.Summary, f.Held)
	}
	t := res.Load.Totals()
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t%d\t%d\t\n", t.Read, t.Loaded, t.Rejected, t.Duplicate, t.Summary, t.Held)
	tw.Flush()
	fmt.Fprintf(w, "\nlines: %d read = %d loaded + %d rejected + %d duplicate + %d summary + %d held back in failed files\n",
		t.Read, t.Loaded, t.Rejected, t.Duplicate, t.Summary, t.Held)
	if res.Load.Replaced > 0 {
		fmt.Fprintf(w, "documents exported again: %d earlier lines replaced\n", res.Load.Replaced)
	}
	for _, f := range res.Load.Files {
		if f.Status != "loaded" {
			fmt.Fprintf(w, "%s %s: %s\n", f.Name, f.Status, f.Reason)
		}
	}
	if len(res.Waiting) > 0 {
		fmt.Fprintf(w, "waiting for the next run (still being written): %v\n", res.Waiting)
	}
	fmt.Fprintf(w, "\ncustomers: %d\n", res.Customers)
	for _, s := range res.Segments {
		fmt.Fprintf(w, "  %-4s %-12s %d\n", s.Code, s.Name, s.Customers)
	}
	if len(res.Outputs) > 0 {
		fmt.Fprintln(w, "\noutputs:")
		for _, o := range res.Outputs {
			fmt.Fprintf(w, "  %s\n", o)
		}
	}
}
