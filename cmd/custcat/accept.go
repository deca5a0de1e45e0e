package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"custcat/jobs"
	"custcat/pipeline"
)

func acceptCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("accept", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: custcat accept [-c custcat.yaml]")
		fmt.Fprintln(stderr, "\nPuts the category file of the last run, which the guard held back (exit 5), in place")
		fmt.Fprintln(stderr, "for the ERP, after you checked in its report that the change is real.")
		fs.PrintDefaults()
	}
	if pos, code := parseFlags(fs, args); code >= 0 {
		return code
	} else if len(pos) > 0 {
		fmt.Fprintf(stderr, "custcat accept takes no arguments (got %q); try: custcat accept -c custcat.yaml\n", pos)
		return exitUsage
	}
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	res, err := jobs.Accept(ctx, cfg)
	switch {
	case errors.Is(err, pipeline.ErrLocked):
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitLocked
	case errors.Is(err, jobs.ErrNothingHeld):
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitFailed
	case err != nil:
		fmt.Fprintf(stderr, "custcat: accept: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "accepted run %d (as of %s): its category file is in place\n", res.RunID, res.AsOf)
	for _, f := range res.Files {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	return exitOK
}
