package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"custcat/jobs"
	"custcat/pipeline"
)

func runsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("runs", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	last := fs.Int("last", 20, "how many runs to show, newest first")
	if _, code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *last < 1 {
		fmt.Fprintf(stderr, "custcat runs: --last %d; write a number of runs such as 20\n", *last)
		return exitUsage
	}
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	runs, err := jobs.History(ctx, cfg, *last)
	switch {
	case errors.Is(err, pipeline.ErrLocked):
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitLocked
	case err != nil:
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitFailed
	case len(runs) == 0:
		fmt.Fprintf(stdout, "no runs yet in %s\n", cfg.Path(cfg.Store.Path))
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "run\tjob\ttrigger\tas of\tstarted\ttook\tstatus\tfiles ok/failed/skipped\tloaded\trejected\tcustomers\tsegments\terror")
	for _, r := range runs {
		took := "-"
		if d := r.Duration(); d > 0 {
			took = fmt.Sprintf("%.1fs", d.Seconds())
		}
		var segs []string
		for code, n := range r.Segments {
			segs = append(segs, fmt.Sprintf("%s=%d", code, n))
		}
		sort.Strings(segs)
		msg := strings.ReplaceAll(r.Error, "\n", " ")
		if r := []rune(msg); len(r) > 120 {
			msg = string(r[:117]) + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d/%d\t%d\t%d\t%d\t%s\t%s\n", r.ID, r.Job, r.Trigger, r.AsOf,
			r.Start.Format("2006-01-02 15:04:05"), took, r.Status, r.FilesLoaded, r.FilesFailed, r.FilesSkipped,
			r.LinesLoaded, r.LinesRejected, r.Customers, strings.Join(segs, " "), msg)
	}
	tw.Flush()
	return exitOK
}
