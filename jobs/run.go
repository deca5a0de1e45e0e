package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"custcat/pipeline"
	"custcat/reports"
	custsql "custcat/sql"
)

// ErrFilesFailed means the run committed, but some input files failed and
// went to failed/; the process should exit non-zero.
var ErrFilesFailed = errors.New("some files failed")

// RulesError lists the segment and tag rules of the config that do not
// compile; no run starts with such a config.
type RulesError struct {
	Problems []string
}

func (e *RulesError) Error() string {
	return fmt.Sprintf("%d bad rule(s): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

// RunOptions are the choices of one run.
type RunOptions struct {
	AsOf     string // YYYY-MM-DD; empty means today by Now
	Job      string
	Trigger  string // manual | schedule | backfill
	Now      func() time.Time
	Log      *slog.Logger
	Progress pipeline.Progress
	Settle   time.Duration // files changed more recently wait for the next run
	Sources  []string      // load only the inbox files of these sources; empty: all
}

// SegmentCount is how many customers a segment holds.
type SegmentCount struct {
	Code      string
	Name      string
	Customers int64
}

// Movers counts the customers of a snapshot by how their segment moved
// since the snapshot before: up (to a segment listed earlier), down, or
// new (none before).
type Movers struct {
	Up, Down, New int64
}

// RunResult is what a run did.
type RunResult struct {
	RunID     int64
	AsOf      string
	Load      *pipeline.LoadResult
	Waiting   []string
	Customers int64
	Segments  []SegmentCount
	Quality   *pipeline.Quality // the review of the customer data as of AsOf
	Outputs   []string
	Moved     map[string]string // inbox name -> where it went
	Notes     []pipeline.Note   // warnings of the snapshot: collapsed cut points, manual lines not applied
	Held      []string          // why the guard held the category file back (guard.go); empty: placed
	FileNotes []string          // warnings of the input files: a computed amount, money not mapped, a code with two names
	// TopReasons are, per path of a file that failed on its rejects, its
	// most frequent reasons with their counts, for its .reason.txt.
	TopReasons map[string]string
	// Categories describes the category file the run wrote.
	Categories reports.Manifest

	// Movers are the customers whose segment changed since the snapshot before.
	Movers Movers
	// Shown is the run whose inputs the outputs show (see ReportRunID):
	// the run that computed the snapshot they hold.
	Shown int64
}

// Run is one unit of work: load the inbox, segment as of the date, write
// the outputs, then move the inbox files. The database changes in one
// transaction; outputs are written beside their place first and renamed
// in only after the commit. A failed run leaves database and outputs as
// they were.
func Run(ctx context.Context, cfg *pipeline.Config, opt RunOptions) (*RunResult, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Job == "" {
		opt.Job = "manual"
	}
	if opt.Trigger == "" {
		opt.Trigger = "manual"
	}
	step := func(string) {}
	if opt.Progress != nil {
		step = opt.Progress.Phase
		defer step("")
	}
	start := opt.Now()
	asOf := opt.AsOf
	if asOf == "" {
		asOf = start.Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, asOf); err != nil {
		return nil, fmt.Errorf("as-of date %q: write YYYY-MM-DD", asOf)
	}
	if err := checkRules(ctx, cfg); err != nil {
		return nil, err
	}
	inboxDir := cfg.Path(cfg.Inbox)
	store, err := pipeline.OpenStore(ctx, cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		return nil, err
	}
	defer store.Close()
	// An inbox that is not there is a share not mounted or a path mistyped,
	// not a night without exports: the run fails and writes nothing.
	if err := pipeline.CheckInbox(inboxDir); err != nil {
		return &RunResult{AsOf: asOf, RunID: recordFailure(store, cfg, opt, asOf, start, err)}, err
	}
	fetched, err := fetchSources(ctx, store.DB, cfg, jobSources(cfg, opt.Sources), start, opt.Log)
	if err != nil {
		return &RunResult{AsOf: asOf, RunID: recordFailure(store, cfg, opt, asOf, start, err)}, err
	}
	inbox, waiting, err := scanInbox(cfg, inboxDir, start, opt, fetched)
	if err != nil {
		return &RunResult{AsOf: asOf, RunID: recordFailure(store, cfg, opt, asOf, start, err)}, err
	}

	res := &RunResult{AsOf: asOf, Waiting: waiting, Moved: map[string]string{}}
	var pending []*reports.Pending
	defer func() {
		for _, p := range pending {
			p.Abort()
		}
	}()
	log := opt.Log
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		if err := c.QueryRowContext(ctx, custsql.Query("NextRunID")).Scan(&res.RunID); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, custsql.Query("StartRun"), res.RunID, opt.Job, opt.Trigger, asOf, cfg.WindowDays, start); err != nil {
			return err
		}
		if res.RunID%pipeline.CompactEvery == 0 {
			if err := pipeline.Compact(ctx, c); err != nil {
				return err
			}
		}
		log = opt.Log.With(slog.Int64("run", res.RunID), slog.String("as_of", asOf))
		log.Info("load", slog.Int("files", len(inbox)))
		load, err := pipeline.Load(ctx, c, cfg, res.RunID, inbox, start, opt.Progress)
		if err != nil {
			return fmt.Errorf("load: %w", err)
		}
		res.Load = load
		if res.FileNotes, err = fileNotes(ctx, c, cfg, res); err != nil {
			return err
		}
		log.Info("segment")
		step("segmenting")
		if err := pipeline.Segment(ctx, c, cfg, asOf, res.RunID); err != nil {
			return fmt.Errorf("segment: %w", err)
		}
		if err := countSegments(ctx, c, cfg, res); err != nil {
			return err
		}
		if res.Notes, err = pipeline.Notes(ctx, c, asOf); err != nil {
			return err
		}
		log.Info("check customer data")
		step("checking customer data")
		if res.Quality, err = pipeline.CheckQuality(ctx, c, asOf, res.RunID); err != nil {
			return fmt.Errorf("quality: %w", err)
		}
		if res.Held, err = guardReasons(ctx, c, cfg, res, opt.AsOf != ""); err != nil {
			return err
		}
		log.Info("write outputs")
		step("writing outputs")
		pending, err = writeOutputs(ctx, c, cfg, res)
		if err != nil {
			return err
		}
		return finishRun(ctx, c, res, opt.Now())
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// DuckDB reports a statement stopped by the cancel as its own
			// INTERRUPT error; say first that the run was stopped.
			err = fmt.Errorf("%w: %v", cerr, err)
		}
		res.RunID = recordRolledBack(store, cfg, opt, asOf, start, res.RunID, err)
		return res, err
	}
	log.Info("put outputs in place")
	step("putting outputs in place")
	for _, p := range pending {
		if err := p.Commit(); err != nil {
			return res, err
		}
		res.Outputs = append(res.Outputs, p.Final)
	}
	pending = nil
	if len(res.Held) == 0 {
		// Only now does the ERP have the category file: the next delta is
		// computed from what it says. A held file waits in out/held/ for
		// custcat accept; a later run that is not held makes it stale.
		if err := store.Unit(context.WithoutCancel(ctx), func(ctx context.Context, c *sql.Conn) error {
			return reports.PlaceCategories(ctx, c, res.Categories)
		}); err != nil {
			return res, fmt.Errorf("record categories.csv as in place: %w", err)
		}
		if err := os.RemoveAll(filepath.Join(cfg.Path(cfg.Out), heldDir)); err != nil {
			log.Warn("remove the stale held category file", slog.Any("err", err))
		}
	}
	log.Info("move inbox files")
	if err := moveInbox(cfg, res, inbox, start); err != nil {
		return res, err
	}
	if len(res.Held) > 0 {
		return res, &HeldError{RunID: res.RunID, File: res.Categories.File, Reasons: res.Held}
	}
	if res.Load.Count("failed") > 0 {
		return res, ErrFilesFailed
	}
	return res, nil
}

// jobSources are the sources a run loads: those named, or all.
func jobSources(cfg *pipeline.Config, names []string) []pipeline.Source {
	if len(names) == 0 {
		return cfg.Sources
	}
	var out []pipeline.Source
	for _, s := range cfg.Sources {
		if slices.Contains(names, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// scanInbox lists the inbox files the run reads: those of its sources that
// are ready, that is no writer touched them within the settle time. Files
// just downloaded by the run are whole, so they need not settle.
func scanInbox(cfg *pipeline.Config, dir string, now time.Time, opt RunOptions, fetched map[string]bool) ([]pipeline.InboxFile, []string, error) {
	ready, waiting, err := pipeline.ScanInbox(dir, now, opt.Settle)
	if err != nil {
		return nil, nil, err
	}
	// Downloads are the newest files: appended, they keep the order oldest first.
	var still []string
	for _, name := range waiting {
		if !fetched[name] {
			still = append(still, name)
			continue
		}
		path := filepath.Join(dir, name)
		st, err := os.Stat(path)
		if err != nil {
			return nil, nil, err
		}
		ready = append(ready, pipeline.InboxFile{Path: path, Name: name, Size: st.Size(), ModTime: st.ModTime()})
	}
	waiting = still
	var out []pipeline.InboxFile
	for _, f := range ready {
		if len(opt.Sources) > 0 {
			src, ok := cfg.SourceFor(f.Name)
			if !ok || !slices.Contains(opt.Sources, src.Name) {
				continue
			}
		}
		out = append(out, f)
	}
	return out, waiting, nil
}

func countSegments(ctx context.Context, c *sql.Conn, cfg *pipeline.Config, res *RunResult) error {
	rows, err := c.QueryContext(ctx, custsql.Query("SegmentCounts"), res.AsOf)
	if err != nil {
		return err
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var code string
		var n int64
		if err := rows.Scan(&code, &n); err != nil {
			return err
		}
		counts[code] = n
		res.Customers += n
	}
	for _, s := range cfg.Segments {
		res.Segments = append(res.Segments, SegmentCount{Code: s.Code, Name: s.Name, Customers: counts[s.Code]})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return countMovers(ctx, c, cfg, res)
}

// countMovers counts the customers that moved, by the order of the
// segments in the config (the first is the best).
func countMovers(ctx context.Context, c *sql.Conn, cfg *pipeline.Config, res *RunResult) error {
	rank := map[string]int{}
	for i, s := range cfg.Segments {
		rank[s.Code] = i
	}
	rows, err := c.QueryContext(ctx, custsql.Query("SegmentMoves"), res.AsOf)
	if err != nil {
		return fmt.Errorf("segment moves: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var from, to string
		var n int64
		if err := rows.Scan(&from, &to, &n); err != nil {
			return fmt.Errorf("segment moves: %w", err)
		}
		rf, okf := rank[from]
		rt, okt := rank[to]
		switch {
		case from == "":
			res.Movers.New += n
		case okf && okt && rt < rf:
			res.Movers.Up += n
		case okf && okt && rt > rf:
			res.Movers.Down += n
		}
	}
	return rows.Err()
}

func writeOutputs(ctx context.Context, c *sql.Conn, cfg *pipeline.Config, res *RunResult) ([]*reports.Pending, error) {
	out := cfg.Path(cfg.Out)
	var pending []*reports.Pending
	fail := func(err error) ([]*reports.Pending, error) {
		for _, p := range pending {
			p.Abort()
		}
		return nil, err
	}
	// The outputs name the run whose inputs they show, not this run, so
	// that a rerun that reads nothing new writes the same bytes.
	var shown int64
	if err := c.QueryRowContext(ctx, custsql.Query("ReportRunID"), res.AsOf).Scan(&shown); err != nil {
		return fail(fmt.Errorf("run of the outputs: %w", err))
	}
	res.Shown = shown
	catOpt := cfg.Outputs.Categories
	catOpt.Template = cfg.Path(catOpt.Template)
	cats, err := reports.Categories(ctx, c, catOpt, res.AsOf, shown)
	if err != nil {
		return fail(fmt.Errorf("categories: %w", err))
	}
	// The delta state moves in the run's transaction: if the run rolls
	// back, the file is not put in place and the next delta repeats it.
	if err := reports.RecordCategories(ctx, c, cats); err != nil {
		return fail(fmt.Errorf("record categories: %w", err))
	}
	for _, n := range res.Notes {
		cats.Manifest.Warnings = append(cats.Manifest.Warnings, n.String())
	}
	if w := reports.StaleCategoryFile(out, cats.Manifest.File); w != "" {
		cats.Manifest.Warnings = append(cats.Manifest.Warnings, w)
	}
	// Of the warnings of the input files, those the database keeps: from
	// the run whose inputs the outputs show, so that a rerun writes the
	// same manifest.
	names, err := codeNameWarnings(ctx, c, shown)
	if err != nil {
		return fail(fmt.Errorf("manifest warnings: %w", err))
	}
	cats.Manifest.Warnings = append(cats.Manifest.Warnings, names...)
	// The status of the outputs is that of the run whose inputs they show,
	// so that a rerun after a crash, which reads nothing new, writes the
	// same manifest.
	if cats.Manifest.Status, cats.Manifest.Reasons, err = outputStatus(ctx, c, res, shown); err != nil {
		return fail(fmt.Errorf("manifest status: %w", err))
	}
	catDir, banner := out, ""
	if len(res.Held) > 0 {
		catDir = filepath.Join(out, heldDir)
		cats.Manifest.HeldRun = res.RunID
		banner = fmt.Sprintf("run %d held: %s was not replaced, the ERP keeps the file before: %s. The held file is in %s/; custcat accept puts it in place.",
			res.RunID, cats.Manifest.File, strings.Join(res.Held, "; "), heldDir)
		if cfg.Language != "en" {
			banner = fmt.Sprintf("第 %d 次运行已暂停：%s 未替换，ERP 仍使用之前的文件。原因：%s。暂停的文件在 %s/ 中，确认无误后运行 custcat accept 放入。",
				res.RunID, cats.Manifest.File, strings.Join(res.Held, "; "), heldDir)
		}
	}
	res.Categories = cats.Manifest
	manifest, err := cats.Manifest.JSON()
	if err != nil {
		return fail(fmt.Errorf("manifest: %w", err))
	}
	rej, _, err := reports.Rejects(ctx, c)
	if err != nil {
		return fail(fmt.Errorf("rejects: %w", err))
	}
	quality, err := reports.QualityFile(ctx, c, res.AsOf)
	if err != nil {
		return fail(fmt.Errorf("quality: %w", err))
	}
	html, err := reports.Report(ctx, c, reports.ReportOptions{AsOf: res.AsOf, WindowDays: cfg.WindowDays, RunID: shown, Lang: cfg.Language, Config: cfg, Categories: &cats.Manifest, Banner: banner})
	if err != nil {
		return fail(fmt.Errorf("report: %w", err))
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{filepath.Join(catDir, cats.Manifest.File), cats.Data}, {filepath.Join(catDir, "manifest.json"), manifest}, {filepath.Join(out, "rejects.csv"), rej},
		{filepath.Join(out, "quality.csv"), quality}, {filepath.Join(out, "report.html"), html}, {filepath.Join(out, "reports", "report-"+res.AsOf+".html"), html}} {
		p, err := reports.WriteFile(f.name, f.data)
		if err != nil {
			return fail(outputError(out, err))
		}
		pending = append(pending, p)
	}
	// Each run keeps a copy, which the daemon's page links, under the run
	// whose snapshot it shows: two runs of one as-of date that computed
	// different snapshots are two different nights, and a run that changed
	// nothing writes the same copy again, byte for byte.
	for _, f := range []struct {
		name string
		data []byte
	}{{"report.html", html}, {cats.Manifest.File, cats.Data}, {"quality.csv", quality}, {"rejects.csv", rej}} {
		p, err := reports.WriteFile(filepath.Join(out, RunDir(res.AsOf, shown), f.name), f.data)
		if err != nil {
			return fail(outputError(out, err))
		}
		pending = append(pending, p)
	}
	pq, err := reports.CustomersParquet(ctx, c, res.AsOf, shown, filepath.Join(out, "customers.parquet"))
	if err != nil {
		return fail(outputError(out, fmt.Errorf("customers parquet: %w", err)))
	}
	pending = append(pending, pq)
	return pending, nil
}

// RunFiles are the outputs each run keeps a copy of under RunDir; of the
// two category files, the one of the config's format.
var RunFiles = []string{"report.html", "categories.csv", "categories.xlsx", "quality.csv", "rejects.csv"}

// RunDir is the folder of the output folder that holds the copies of the
// outputs of as-of date asOf that show the inputs of run shown.
func RunDir(asOf string, shown int64) string {
	return filepath.Join("runs", asOf, strconv.FormatInt(shown, 10))
}

// outputError says what to do when the out folder takes no files: it is
// read-only, full, or not a folder.
func outputError(out string, err error) error {
	return fmt.Errorf("write outputs: %w; out (%s) must be a folder that custcat can write to, with free space: fix it or set out in the config, then run again", err, out)
}

// runStatus is the run's status in the history and the manifest, with its
// reasons: held (the guard's), partial (the failed files') or ok.
func runStatus(res *RunResult) (string, []string) {
	if len(res.Held) > 0 {
		return "held", res.Held
	}
	var failed []string
	for _, f := range res.Load.Files {
		if f.Status == "failed" {
			failed = append(failed, fmt.Sprintf("%s failed: %s", f.Name, f.Reason))
		}
	}
	if len(failed) > 0 {
		return "partial", failed
	}
	return "ok", nil
}

// outputStatus is the status of the outputs: held (the guard's reasons),
// partial (the failed files of run shown, whose inputs they show) or ok.
func outputStatus(ctx context.Context, c *sql.Conn, res *RunResult, shown int64) (string, []string, error) {
	if len(res.Held) > 0 {
		return "held", res.Held, nil
	}
	rows, err := c.QueryContext(ctx, custsql.Query("FailedFilesOfRun"), shown)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	var failed []string
	for rows.Next() {
		var name, reason string
		if err := rows.Scan(&name, &reason); err != nil {
			return "", nil, err
		}
		failed = append(failed, fmt.Sprintf("%s failed: %s", name, reason))
	}
	if len(failed) > 0 {
		return "partial", failed, rows.Err()
	}
	return "ok", nil, rows.Err()
}

func finishRun(ctx context.Context, c *sql.Conn, res *RunResult, end time.Time) error {
	t := res.Load.Totals()
	status, reasons := runStatus(res)
	var why any
	if status == "held" {
		why = strings.Join(reasons, "; ")
	}
	counts := map[string]int64{}
	for _, s := range res.Segments {
		counts[s.Code] = s.Customers
	}
	js, _ := json.Marshal(counts)
	_, err := c.ExecContext(ctx, custsql.Query("FinishRun"), res.RunID, end, status,
		res.Load.Count("loaded"), res.Load.Count("failed"), res.Load.Count("skipped"),
		t.Read, t.Loaded, t.Rejected, t.Duplicate, t.Summary, res.Load.Replaced, res.Customers, string(js), why)
	return err
}

// recordFailure keeps a line in the run history for a run that failed
// before it took an id, and returns the id recorded (0 when none could be).
func recordFailure(store *pipeline.Store, cfg *pipeline.Config, opt RunOptions, asOf string, start time.Time, cause error) int64 {
	return recordRolledBack(store, cfg, opt, asOf, start, 0, cause)
}

// recordRolledBack keeps a line in the run history for a run that rolled
// back, under the id the run took (id, when > 0), so that its log lines
// and the history agree. It returns the run's id: the one recorded, else
// the one it took.
func recordRolledBack(store *pipeline.Store, cfg *pipeline.Config, opt RunOptions, asOf string, start time.Time, id int64, cause error) int64 {
	ctx := context.Background()
	var took any
	if id > 0 {
		took = id
	}
	err := store.DB.QueryRowContext(ctx, custsql.Query("RecordFailedRun"), opt.Job, opt.Trigger, asOf, cfg.WindowDays, start, opt.Now(), cause.Error(), took).Scan(&id)
	if err != nil {
		opt.Log.Error("record failed run", slog.Any("err", err))
	}
	return id
}

// moveInbox moves what the run read: loaded and already-known files to
// archive/YYYY/MM/, failed ones to failed/ with a .reason.txt beside them.
// The reason is put in place before its file moves: a crash in between
// leaves the file in the inbox, and the next run writes the reason again.
// A file whose size or time changed since the scan was still being
// written: it stays for the next run, which reads it whole as new content
// (its documents then replace the lines read from the part).
func moveInbox(cfg *pipeline.Config, res *RunResult, scanned []pipeline.InboxFile, now time.Time) error {
	archive := filepath.Join(cfg.Path(cfg.Archive), now.Format("2006"), now.Format("01"))
	failed := cfg.Path(cfg.Failed)
	files := append([]pipeline.FileResult(nil), res.Load.Files...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	for _, f := range files {
		if i := slices.IndexFunc(scanned, func(s pipeline.InboxFile) bool { return s.Path == f.Path }); i >= 0 {
			st, err := os.Stat(f.Path)
			if err == nil && (st.Size() != scanned[i].Size || !st.ModTime().Equal(scanned[i].ModTime)) {
				res.Waiting = append(res.Waiting, f.Name)
				continue
			}
		}
		dir := archive
		if f.Status == "failed" {
			dir = failed
		}
		dest, err := pipeline.FreeName(f.Path, dir)
		if err != nil {
			return fmt.Errorf("move %s: %w", f.Name, err)
		}
		if f.Status == "failed" {
			run := res.RunID
			if f.FailedBefore > 0 {
				run = f.FailedBefore
			}
			why := f.Reason
			if top := res.TopReasons[f.Path]; top != "" {
				why += "\ntop reasons:\n" + top
			}
			reason := fmt.Sprintf("%s\nsha256 %s\nrun %d\n", why, f.SHA256, run)
			p, err := reports.WriteFile(dest+".reason.txt", []byte(reason))
			if err != nil {
				return err
			}
			if err := p.Commit(); err != nil {
				return err
			}
		}
		if err := pipeline.MoveFile(f.Path, dest); err != nil {
			return fmt.Errorf("move %s: %w", f.Name, err)
		}
		res.Moved[f.Name] = dest
	}
	return nil
}
