package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"custcat/jobs"
	"custcat/pipeline"
)

func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	if _, code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	if code := checkRulesOf(ctx, cfg, *configPath, stderr); code >= 0 {
		return code
	}
	fmt.Fprintf(stdout, "config %s is valid: %d segments, %d tags, scoring %s, window %d days\n",
		*configPath, len(cfg.Segments), len(cfg.Tags), cfg.Scoring.Method, cfg.WindowDays)
	if code := checkManual(cfg, stdout, stderr); code >= 0 {
		return code
	}
	if code := checkCategoryFile(cfg, stdout, stderr); code >= 0 {
		return code
	}
	scheds, err := jobs.Schedules(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitConfig
	}
	for _, s := range scheds {
		fmt.Fprintf(stdout, "job %s (%s): next run at %s\n", s.Job.Name, s.Job.Spec(), s.Cron.Next(time.Now()).In(s.Loc).Format("2006-01-02 15:04:05 -0700"))
	}
	inbox := cfg.Path(cfg.Inbox)
	files, waiting, err := pipeline.ScanInbox(inbox, time.Now(), 0)
	if err != nil {
		fmt.Fprintf(stdout, "inbox %s: %v\n", inbox, err)
		return exitOK
	}
	fmt.Fprintf(stdout, "inbox %s: %d file(s) ready, %d waiting\n", inbox, len(files), len(waiting))
	bad := 0
	for _, f := range files {
		src, ok := cfg.SourceFor(f.Name)
		if !ok {
			fmt.Fprintf(stdout, "  %s: no source matches; it would fail\n", f.Name)
			bad++
			continue
		}
		p, err := pipeline.ProbeFile(f.Path, src)
		if err != nil {
			fmt.Fprintf(stdout, "  %s (source %s): would fail: %v\n", f.Name, src.Name, err)
			bad++
			continue
		}
		var cols []string
		for field, i := range p.Columns {
			name := fmt.Sprintf("#%d", i)
			if i-1 < len(p.Header) {
				name = p.Header[i-1]
			}
			cols = append(cols, fmt.Sprintf("%s=%s", field, name))
		}
		sort.Strings(cols)
		header := "no header"
		if p.HeaderLine > 0 {
			header = fmt.Sprintf("header on line %d", p.HeaderLine)
		}
		fmt.Fprintf(stdout, "  %s (source %s): %s, %s; %v\n", f.Name, src.Name, p.Format, header, cols)
	}
	if bad > 0 {
		return exitFailed
	}
	return exitOK
}

// checkManual reads the manual file, if the config names one, and lists
// the lines a run could not apply. It returns -1 when all is well.
func checkManual(cfg *pipeline.Config, stdout, stderr io.Writer) int {
	if cfg.Manual == "" {
		return -1
	}
	entries, problems, err := pipeline.ReadManual(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitConfig
	}
	today := time.Now().Format(time.DateOnly)
	active := 0
	for _, e := range entries {
		if e.Active(today) {
			active++
		}
	}
	fmt.Fprintf(stdout, "manual file %s: %d line(s) in force today, %d expired\n", cfg.Manual, active, len(entries)-active)
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "custcat: manual file %s: %d line(s) a run would skip:\n%s\n", cfg.Manual, len(problems), indent(strings.Join(problems, "\n")))
		return exitConfig
	}
	return -1
}
