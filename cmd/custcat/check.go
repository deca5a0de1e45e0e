package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"custcat/jobs"
	"custcat/pipeline"
)

func checkCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	asOf := fs.String("as-of", "", "predict the run as of this date, YYYY-MM-DD (default: today)")
	if _, code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if *asOf != "" {
		if _, err := time.Parse(time.DateOnly, *asOf); err != nil {
			fmt.Fprintf(stderr, "custcat check: --as-of %q is not a date; write YYYY-MM-DD, such as --as-of 2024-12-31\n", *asOf)
			return exitUsage
		}
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
	checkNotices(cfg, stdout)
	checkRunCopies(cfg, stdout)
	dbSound := checkDatabase(ctx, cfg, stdout)
	code = checkInbox(ctx, cfg, *asOf, stdout, stderr)
	if !dbSound && code == exitOK {
		return exitFailed
	}
	return code
}

// checkDatabase reads every block of the database, read-only, so that
// DuckDB checks each checksum; it says whether the file is sound (or
// cannot be checked now: none yet, or a run holds it).
func checkDatabase(ctx context.Context, cfg *pipeline.Config, stdout io.Writer) bool {
	path := cfg.Path(cfg.Store.Path)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stdout, "database %s: none yet; the first run makes it\n", path)
		return true
	}
	store, err := pipeline.OpenReadOnly(path)
	if errors.Is(err, pipeline.ErrLocked) {
		fmt.Fprintf(stdout, "database %s: not read: %v\n", path, err)
		return true
	}
	if err == nil {
		defer store.Close()
		var c *sql.Conn
		if c, err = store.DB.Conn(ctx); err == nil {
			defer c.Close()
			err = pipeline.Verify(ctx, c)
		}
	}
	if err != nil {
		fmt.Fprintf(stdout, "database %s: %v\n", path, pipeline.StoreHint(err, cfg.Store))
		return false
	}
	fmt.Fprintf(stdout, "database %s: every block read, each matches its checksum\n", path)
	return true
}

// checkInbox reads every inbox file through the loader of a run, in a
// transaction rolled back, and prints what the run would do with it. It
// returns the exit code: failed when a file would fail or the inbox
// cannot be read.
func checkInbox(ctx context.Context, cfg *pipeline.Config, asOf string, stdout, stderr io.Writer) int {
	pred, err := jobs.Predict(ctx, cfg, time.Now(), asOf)
	switch {
	case errors.Is(err, pipeline.ErrLocked):
		fmt.Fprintf(stderr, "custcat: the inbox was not read: %v\n", err)
		return exitLocked
	case err != nil:
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(stdout, "inbox %s: %d file(s) ready, %d waiting; each read in full as a run reads it:\n", pred.Inbox, len(pred.Files), len(pred.Waiting))
	bad := 0
	for _, f := range pred.Files {
		fmt.Fprintf(stdout, "\n%s (source %s): ", printable(f.Name), f.Source)
		if p := f.Probe; p != nil {
			fmt.Fprintf(stdout, "%s\n  ", probeLine(*p))
		}
		switch f.Status {
		case "skipped":
			fmt.Fprintf(stdout, "skipped: %s\n", f.Reason)
			continue
		case "failed":
			bad++
			fmt.Fprintf(stdout, "would FAIL: %s\n", f.Reason)
		default:
			fmt.Fprintln(stdout, "would load")
		}
		if f.Read > 0 {
			fmt.Fprintf(stdout, "  lines: %d read = %d load + %d rejected + %d duplicate + %d summary + %d held back\n",
				f.Read, f.Read-f.Rejected-f.Duplicate-f.Summary-f.Held, f.Rejected, f.Duplicate, f.Summary, f.Held)
		}
		if f.Duplicate > 0 {
			fmt.Fprintf(stdout, "  duplicates: %d line(s) repeated exactly within their document, %.2f that would be dropped; if the export has no line id, set duplicates: keep\n", f.Duplicate, f.DuplicateAmount)
		}
		for _, r := range f.Reasons {
			fmt.Fprintf(stdout, "  rejected %d: %s (first: line %d: %s)\n", r.Lines, r.Reason, r.Line, clipText(r.Raw))
		}
		if f.From != "" {
			fmt.Fprintf(stdout, "  dates: %s to %s\n", f.From, f.To)
		}
		if f.Money != nil {
			fmt.Fprintf(stdout, "  %s\n", f.Money)
		}
		if f.Encoding != "" {
			fmt.Fprintf(stdout, "  %s\n", f.Encoding)
		}
	}
	if pred.Replaced > 0 {
		fmt.Fprintf(stdout, "\ndocuments exported again: %d earlier line(s) would be replaced\n", pred.Replaced)
	}
	for _, w := range append(pred.Notes, pred.CodeNames...) {
		fmt.Fprintf(stdout, "\nwarning: %s\n", w)
	}
	if len(pred.Held) > 0 {
		fmt.Fprintf(stdout, "\nthe run as of %s would be held (exit 5), the ERP's category file not replaced: %s\n", pred.AsOf, strings.Join(pred.Held, "; "))
	}
	if bad > 0 {
		fmt.Fprintf(stdout, "\n%d file(s) would fail and move to %s\n", bad, cfg.Failed)
		return exitFailed
	}
	if len(pred.Held) > 0 && len(pred.Files) > 0 {
		return exitHeld
	}
	return exitOK
}

// probeLine says how a file is read: format, header line, and the header
// cell (or position) of each field; then, on lines of their own, which of
// two columns that could give a field it takes, and why.
func probeLine(p pipeline.Probe) string {
	var cols []string
	for field, i := range p.Columns {
		name := fmt.Sprintf("#%d", i)
		if i-1 < len(p.Header) {
			name = p.Header[i-1]
		}
		if i-1 < len(p.OtherHeader) && strings.TrimSpace(p.OtherHeader[i-1]) != "" {
			name += "|" + p.OtherHeader[i-1] // the 云星空 field key beside the caption
		}
		cols = append(cols, fmt.Sprintf("%s=%s", field, name))
	}
	sort.Strings(cols)
	header := "no header"
	if p.HeaderLine > 0 {
		header = fmt.Sprintf("header on line %d", p.HeaderLine)
	}
	if p.OtherHeaderLine > 0 {
		header += fmt.Sprintf(" (and line %d, its other header row, not data)", p.OtherHeaderLine)
	}
	line := fmt.Sprintf("%s, %s; %v", p.Format, header, cols)
	for _, c := range p.Choices {
		line += "\n  " + c
	}
	return line
}

func clipText(s string) string {
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "..."
	}
	return s
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

// checkNotices lists where the notices of runs go: each target's kind,
// host and which runs it is sent. The rest of a robot's URL carries its
// key, and is not printed.
func checkNotices(cfg *pipeline.Config, stdout io.Writer) {
	host := func(raw string) string {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			return u.Host
		}
		return "?"
	}
	var targets []string
	for _, n := range cfg.NotifyTargets() {
		where := host(n.URL)
		if n.Kind == "email" {
			where = strings.Join(n.To, ", ") + " through " + n.SMTP.Host
		}
		when := "failed, partial and held runs"
		if n.OnSuccess {
			when = "every run"
		}
		targets = append(targets, fmt.Sprintf("%s to %s (%s)", n.Kind, where, when))
	}
	if len(targets) == 0 {
		fmt.Fprintln(stdout, "notices: none (notify: in the config); a failed or held run is told only by its exit code, the run history and the log")
		return
	}
	fmt.Fprintf(stdout, "notices: %s\n", strings.Join(targets, "; "))
}

// checkRunCopies says how much the copies of the runs' outputs in
// out/runs/ take, and whether keep_runs bounds them.
func checkRunCopies(cfg *pipeline.Config, stdout io.Writer) {
	dir := filepath.Join(cfg.Path(cfg.Out), "runs")
	folders, size := 0, int64(0)
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && filepath.Dir(filepath.Dir(path)) == dir {
			folders++
		}
		if info, err := d.Info(); err == nil && d.Type().IsRegular() {
			size += info.Size()
		}
		return nil
	})
	keep := "nothing removes them; keep_runs: N would keep the latest N runs' copies"
	if cfg.KeepRuns > 0 {
		keep = fmt.Sprintf("keep_runs keeps those of the latest %d runs", cfg.KeepRuns)
	}
	fmt.Fprintf(stdout, "run copies %s: %d folder(s), %.1f MB; %s\n", dir, folders, float64(size)/1e6, keep)
}
