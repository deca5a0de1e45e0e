package main

import (
	"context"
	"fmt"
	"io"

	"custcat/jobs"
)

func retryCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("retry", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `Usage: custcat retry [-c custcat.yaml] [FILE...]

Moves failed files back to the inbox, where the next run reads them, and
removes their .reason.txt. With no FILE, every file waiting in failed/.
Fix the file (or the config) first: the same content fails again for the
same reason. /healthz is 200 again once failed/ is empty.

Examples:
  custcat retry -c custcat.yaml sales-2026-03.csv
  custcat retry -c custcat.yaml            # all of failed/

Flags:`)
		fs.PrintDefaults()
	}
	names, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	moved, err := jobs.Retry(cfg, names)
	for _, m := range moved {
		fmt.Fprintf(stdout, "%s -> %s\n", m.Name, m.Inbox)
	}
	if err != nil {
		fmt.Fprintf(stderr, "custcat: retry: %v\n", err)
		return exitFailed
	}
	if len(moved) == 0 {
		fmt.Fprintf(stdout, "no file waits in %s\n", cfg.Path(cfg.Failed))
	}
	return exitOK
}
