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
	Repaired  []pipeline.Torn   // rows removed at the start: a run killed inside its commit left them
	Held      []string          // why the guard held the category file back (guard.go); empty: placed
	heldZh    []string          // the same in Chinese, for the report
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
	// Pruned are the copies of older runs' outputs the run removed
	// (keep_runs), as paths inside out; PruneErr says what it could not.
	Pruned   []string
	PruneErr error
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
		repaired, err := store.Repair(ctx, c)
		if err != nil {
			return err
		}
		res.Repaired = repaired
		if err := c.QueryRowContext(ctx, custsql.Query("NextRunID")).Scan(&res.RunID); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, custsql.Query("StartRun"), res.RunID, opt.Job, opt.Trigger, asOf, cfg.WindowDays, start); err != nil {
			return err
		}
		if res.RunID%pipeline.CompactEvery == 0 {
			// The run that compacts also reads every block once, so that a
			// damaged block of data no run needs is found within a week.
			if err := pipeline.Verify(ctx, c); err != nil {
				return err
			}
			if err := pipeline.Compact(ctx, c); err != nil {
				return err
			}
		}
		log = opt.Log.With(slog.Int64("run", res.RunID), slog.String("as_of", asOf))
		if len(res.Repaired) > 0 {
			log.Warn(pipeline.TornSummary(res.Repaired))
		}
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
		held, err := guardReasons(ctx, c, cfg, res, opt.AsOf != "")
		if err != nil {
			return err
		}
		res.Held, res.heldZh = reasonTexts(held)
		log.Info("write outputs")
		step("writing outputs")
		pending, err = writeOutputs(ctx, c, cfg, res)
		if err != nil {
			return err
		}
		if err := changedSinceRead(inbox, res.Load); err != nil {
			return err
		}
		if err := finishRun(ctx, c, res, opt.Now()); err != nil {
			return err
		}
		log.Info("commit")
		return nil
	})
	if err != nil {
		err = pipeline.StoreHint(err, cfg.Store)
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
	if err := afterCommit(ctx, log, store, cfg, res, pending, inbox, start); err != nil {
		pending = nil
		log.Error("after the commit", slog.Any("err", err))
		if _, herr := store.DB.ExecContext(context.WithoutCancel(ctx), custsql.Query("RecordAfterCommitFailure"), res.RunID, err.Error()); herr != nil {
			log.Error("record the failure after the commit", slog.Any("err", herr))
		}
		return res, err
	}
	pending = nil
	if len(res.Held) > 0 {
		return res, &HeldError{RunID: res.RunID, File: res.Categories.File, Reasons: res.Held}
	}
	if res.Load.Count("failed") > 0 {
		return res, ErrFilesFailed
	}
	return res, nil
}

// AfterCommitError is a step after the run's commit that failed: the data
// is loaded and the snapshot stored, but outputs or inbox files are not all
// where they belong. The run history records it.
type AfterCommitError struct {
	Step string // what failed: "put outputs in place", ...
	Hint string // what to do
	Err  error
}

func (e *AfterCommitError) Error() string {
	return fmt.Sprintf("the run committed and its data is loaded, but %s failed: %v; %s", e.Step, e.Err, e.Hint)
}

func (e *AfterCommitError) Unwrap() error { return e.Err }

// afterCommit puts the outputs in place, records the category file as
// told to the ERP and moves the inbox files.
func afterCommit(ctx context.Context, log *slog.Logger, store *pipeline.Store, cfg *pipeline.Config, res *RunResult, pending []*reports.Pending, inbox []pipeline.InboxFile, start time.Time) error {
	for i, p := range pending {
		if err := p.Commit(); err != nil {
			for _, rest := range pending[i+1:] {
				rest.Abort()
			}
			return &AfterCommitError{Step: "put outputs in place", Err: err,
				Hint: fmt.Sprintf("make out (%s) a folder custcat can write to, with free space, and run again: the rerun writes the same outputs", cfg.Path(cfg.Out))}
		}
		res.Outputs = append(res.Outputs, p.Final)
	}
	if len(res.Held) == 0 {
		// Only now does the ERP have the category file: the next delta is
		// computed from what it says. A held file waits in out/held/ for
		// custcat accept; a later run that is not held makes it stale.
		if err := store.Unit(context.WithoutCancel(ctx), func(ctx context.Context, c *sql.Conn) error {
			return reports.PlaceCategories(ctx, c, res.Categories)
		}); err != nil {
			return &AfterCommitError{Step: "record categories.csv as in place", Err: err,
				Hint: "run again: the rerun writes the same category file and records it"}
		}
		if err := os.RemoveAll(filepath.Join(cfg.Path(cfg.Out), heldDir)); err != nil {
			log.Warn("remove the stale held category file", slog.Any("err", err))
		}
	}
	log.Info("move inbox files")
	if err := moveInbox(cfg, res, inbox, start); err != nil {
		return &AfterCommitError{Step: "move inbox files", Err: err,
			Hint: fmt.Sprintf("make archive (%s) and failed (%s) folders custcat can write to and run again: the rerun skips the files already loaded and moves them; a file renamed or removed while the run read it is loaded all the same",
				cfg.Path(cfg.Archive), cfg.Path(cfg.Failed))}
	}
	if cfg.KeepRuns > 0 {
		// Housekeeping: what it cannot remove now, the next run tries again.
		res.Pruned, res.PruneErr = pruneRuns(cfg.Path(cfg.Out), cfg.KeepRuns, runCopy{res.AsOf, res.Shown})
		if len(res.Pruned) > 0 {
			log.Info("remove old run outputs", slog.Int("removed", len(res.Pruned)), slog.Int("keep_runs", cfg.KeepRuns))
		}
		if res.PruneErr != nil {
			log.Warn("remove old run outputs", slog.Any("err", res.PruneErr))
		}
	}
	return nil
}

// changedSinceRead refuses to commit a run that loaded a file which then
// changed (it was still being written): the lines read would stay, and the
// whole file would load again next time.
func changedSinceRead(inbox []pipeline.InboxFile, load *pipeline.LoadResult) error {
	for _, f := range load.Files {
		if f.Status != "loaded" {
			continue
		}
		if i := slices.IndexFunc(inbox, func(in pipeline.InboxFile) bool { return in.Path == f.Path }); i >= 0 && inbox[i].Changed() {
			return fmt.Errorf("%s changed after the run read it (it is still being written); run again once it is written whole, or have the ERP write it as *.tmp and rename it", f.Name)
		}
	}
	return nil
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
	if shown == 0 {
		// No customer at all as of the date: no snapshot row names a run,
		// and the outputs are this run's. (Run 0 is no run: its copy went
		// to runs/<date>/0/, and the next run took its category file's
		// record for the leftover of a killed commit.)
		shown = res.RunID
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
				res.RunID, cats.Manifest.File, strings.Join(res.heldZh, "；"), heldDir)
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
// A file that changed while it was read waits in the inbox (Load took
// nothing of it); one that changed during the commit, after the last
// check, goes to failed/ with why: its lines as read are loaded.
func moveInbox(cfg *pipeline.Config, res *RunResult, scanned []pipeline.InboxFile, now time.Time) error {
	archive := filepath.Join(cfg.Path(cfg.Archive), now.Format("2006"), now.Format("01"))
	failed := cfg.Path(cfg.Failed)
	files := append([]pipeline.FileResult(nil), res.Load.Files...)
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	var errs []error
	for _, f := range files {
		if err := moveOne(res, f, scanned, archive, failed); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// moveOne moves one file the run read, and its reason if it failed.
func moveOne(res *RunResult, f pipeline.FileResult, scanned []pipeline.InboxFile, archive, failed string) error {
	if f.Status == "waiting" {
		res.Waiting = append(res.Waiting, f.Name)
		return nil
	}
	var late error
	if i := slices.IndexFunc(scanned, func(s pipeline.InboxFile) bool { return s.Path == f.Path }); i >= 0 {
		if st, err := os.Lstat(f.Path); err == nil && (st.Size() != scanned[i].Size || !st.ModTime().Equal(scanned[i].ModTime)) {
			if f.Status != "loaded" {
				res.Waiting = append(res.Waiting, f.Name) // read again whole next time
				return nil
			}
			// Changed in the moment between the last check and the
			// commit: its lines as read are loaded. Read again, the whole
			// file would load them twice; so it goes to failed/ with why.
			late = fmt.Errorf("%s changed during the commit of the run that loaded it: the lines it read are loaded, and the file is in failed/ with a .reason.txt", f.Name)
			f.Status = "failed"
			f.Reason = fmt.Sprintf("changed while run %d committed the lines it had read of it: those lines are loaded, the rest is not; put the lines added since in an export of their own", res.RunID)
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
			return fmt.Errorf("reason of %s: %w", f.Name, err)
		}
		if err := p.Commit(); err != nil {
			return fmt.Errorf("reason of %s: %w", f.Name, err)
		}
	}
	if err := pipeline.MoveFile(f.Path, dest); err != nil {
		return fmt.Errorf("move %s: %w", f.Name, err)
	}
	res.Moved[f.Name] = dest
	return late
}
