package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"custcat/pipeline"
	custsql "custcat/sql"
)

// ReasonCount is one reason of a file's rejects: how many lines, and the
// first of them.
type ReasonCount struct {
	Reason string
	Lines  int64
	Line   int64
	Raw    string
}

// FilePrediction is what a run would do with one inbox file.
type FilePrediction struct {
	pipeline.FileResult
	Reasons  []ReasonCount   // the top three reasons of its rejects
	From, To string          // the dates of the lines it would load
	Probe    *pipeline.Probe // how it is read: format, header line, the column of each field
	Money    *pipeline.MoneyNote
	Encoding string // a forced encoding that does not fit: which line, and what it reads as
}

// Prediction is what a run would do with the inbox now.
type Prediction struct {
	Inbox   string
	Files   []FilePrediction
	Waiting []string
	// CodeNames are codes with two names within one file (CodeNameWarnings).
	CodeNames []string
	// Replaced are the lines loaded before whose documents the inbox holds
	// again; Notes, the warnings of the inbox as a whole (inboxNotes).
	Replaced int64
	Notes    []string
	// AsOf is the date the run is predicted for; Held, why its guard would
	// hold the category file back (empty: it would replace it).
	AsOf string
	Held []string
}

// errPredictOnly rolls the load of Predict back.
var errPredictOnly = errors.New("prediction only")

// Predict reads every inbox file through the loader of a run, in a
// transaction that it rolls back: the counts, reasons, duplicates and
// failures are those a run would have, and the database is unchanged.
// Files whose content was loaded before are skipped, as a run skips them.
func Predict(ctx context.Context, cfg *pipeline.Config, now time.Time, asOf string) (*Prediction, error) {
	asOfGiven := asOf != ""
	if !asOfGiven {
		asOf = now.Format(time.DateOnly)
	}
	inbox := cfg.Path(cfg.Inbox)
	if err := pipeline.CheckInbox(inbox); err != nil {
		return nil, err
	}
	files, waiting, err := pipeline.ScanInbox(inbox, now, 0)
	if err != nil {
		return nil, err
	}
	out := &Prediction{Inbox: inbox, Waiting: waiting, AsOf: asOf}
	// Without a database yet, nothing was loaded before: a database in
	// memory predicts as well, and check leaves no file behind.
	path := cfg.Path(cfg.Store.Path)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		path = ":memory:"
	}
	store, err := pipeline.OpenStore(ctx, cfg.Store, path)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		load, err := pipeline.Load(ctx, c, cfg, 0, files, now, nil)
		if err != nil {
			return err
		}
		if err := pipeline.SaveCodeNames(ctx, c, 0); err != nil {
			return err
		}
		for _, f := range load.Files {
			p := FilePrediction{FileResult: f}
			if f.Status != "skipped" {
				if p.Reasons, err = topReasons(ctx, c, f.FileID); err != nil {
					return err
				}
				if err := c.QueryRowContext(ctx, custsql.Query("FileDateRange"), f.FileID).Scan(&p.From, &p.To); err != nil {
					return err
				}
				if src, ok := cfg.SourceFor(f.Name); ok {
					if pr, err := pipeline.ProbeFile(f.Path, src); err == nil {
						p.Probe = &pr
					}
				}
				p.Money = moneyOf(cfg, f)
				p.Encoding = encodingHint(cfg, f)
			}
			out.Files = append(out.Files, p)
		}
		if out.CodeNames, err = codeNameWarnings(ctx, c, 0); err != nil {
			return err
		}
		out.Replaced, out.Notes = load.Replaced, inboxNotes(cfg, load)
		// The guard, on the snapshot the run would make.
		if err := pipeline.Segment(ctx, c, cfg, asOf, 0); err != nil {
			return fmt.Errorf("segment: %w", err)
		}
		held, err := guardReasons(ctx, c, cfg, &RunResult{AsOf: asOf, Load: load}, asOfGiven)
		if err != nil {
			return err
		}
		out.Held, _ = reasonTexts(held)
		return errPredictOnly
	})
	if err != nil && !errors.Is(err, errPredictOnly) {
		return nil, err
	}
	return out, nil
}

func topReasons(ctx context.Context, c *sql.Conn, fileID int64) ([]ReasonCount, error) {
	rows, err := c.QueryContext(ctx, custsql.Query("TopRejectReasons"), fileID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReasonCount
	for rows.Next() {
		var r ReasonCount
		if err := rows.Scan(&r.Reason, &r.Lines, &r.Line, &r.Raw); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// moneyOf says where the amount of a sales file comes from; nil for a
// customer master or a file that cannot be probed.
func moneyOf(cfg *pipeline.Config, f pipeline.FileResult) *pipeline.MoneyNote {
	src, ok := cfg.SourceFor(f.Name)
	if !ok || src.Kind != pipeline.KindSales {
		return nil
	}
	p, err := pipeline.ProbeFile(f.Path, src)
	if err != nil {
		return nil
	}
	m := p.Money()
	return &m
}

// encodingHint is EncodingHint for a file that failed or had rejects.
func encodingHint(cfg *pipeline.Config, f pipeline.FileResult) string {
	src, ok := cfg.SourceFor(f.Name)
	if !ok || f.Status != "failed" && f.Rejected == 0 {
		return ""
	}
	return pipeline.EncodingHint(f.Path, src)
}

// codeNameWarnings lists, one line each, the customer codes that carry two
// names within one file of run runID.
func codeNameWarnings(ctx context.Context, c *sql.Conn, runID int64) ([]string, error) {
	rows, err := c.QueryContext(ctx, custsql.Query("CodeTwoNames"), runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var file, code, a, b string
		if err := rows.Scan(&file, &code, &a, &b); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s: customer code %s carries two names, %q and %q: they load as one customer named after the later line; if they are two customers, give one another code in the ERP", file, code, a, b))
	}
	return out, rows.Err()
}

// fileNotes are the warnings of the files a run read: where the amount was
// computed or money left unmapped, and codes with two names in one file.
func fileNotes(ctx context.Context, c *sql.Conn, cfg *pipeline.Config, res *RunResult) ([]string, error) {
	if err := pipeline.SaveCodeNames(ctx, c, res.RunID); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range res.Load.Files {
		if f.Status == "skipped" {
			continue
		}
		if m := moneyOf(cfg, f); m != nil && (m.Computed || len(m.Unmapped) > 0) {
			out = append(out, f.Name+": "+m.String())
		}
		if hint := encodingHint(cfg, f); hint != "" {
			out = append(out, f.Name+": "+hint)
		}
		if f.Status == "failed" && f.Rejected > 0 {
			id := f.FileID
			if f.FailedBefore > 0 { // its rejects are those of its first failure
				if err := c.QueryRowContext(ctx, custsql.Query("FailedFileID"), f.SHA256, f.FailedBefore).Scan(&id); err != nil {
					return nil, fmt.Errorf("first failure of %s: %w", f.Name, err)
				}
			}
			reasons, err := topReasons(ctx, c, id)
			if err != nil {
				return nil, err
			}
			var parts []string
			for _, r := range reasons {
				parts = append(parts, fmt.Sprintf("%d x %s (line %d)", r.Lines, r.Reason, r.Line))
			}
			if len(parts) > 0 {
				out = append(out, fmt.Sprintf("%s failed; its top reasons: %s", f.Name, strings.Join(parts, "; ")))
				if res.TopReasons == nil {
					res.TopReasons = map[string]string{}
				}
				res.TopReasons[f.Path] = strings.Join(parts, "\n")
			}
		}
	}
	out = append(out, inboxNotes(cfg, res.Load)...)
	later, err := linesAfterAsOf(ctx, c, res)
	if err != nil {
		return nil, err
	}
	out = append(out, later...)
	names, err := codeNameWarnings(ctx, c, res.RunID)
	return append(out, names...), err
}

// linesAfterAsOf warns, per file the run loaded, of its lines dated after
// the as-of date: loaded, and left out of the snapshot until a run as of
// their date.
func linesAfterAsOf(ctx context.Context, c *sql.Conn, res *RunResult) ([]string, error) {
	first := int64(0)
	for _, f := range res.Load.Files {
		if f.Status == "loaded" && f.Loaded > 0 && (first == 0 || f.FileID < first) {
			first = f.FileID
		}
	}
	if first == 0 {
		return nil, nil
	}
	rows, err := c.QueryContext(ctx, custsql.Query("LinesAfterAsOf"), first, res.AsOf)
	if err != nil {
		return nil, fmt.Errorf("lines after the as-of date: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, last string
		var n int64
		if err := rows.Scan(&name, &n, &last); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("%s: %s dated after the as-of date %s (the latest %s) loaded but left out of this snapshot; a run with --as-of %s or later counts them",
			name, plural(n, "line"), res.AsOf, last, last))
	}
	return out, rows.Err()
}

// inboxNotes are the warnings of an inbox read as a whole, which run and
// check give alike: documents that a later file of the same read holds
// too, and folders of the inbox that no run reads.
func inboxNotes(cfg *pipeline.Config, load *pipeline.LoadResult) []string {
	var out []string
	for _, s := range load.Superseded {
		out = append(out, supersededNote(s))
	}
	if n := foldersNote(cfg); n != "" {
		out = append(out, n)
	}
	return out
}

// foldersNote warns of folders in the inbox, whose files no run reads;
// "" when there are none.
func foldersNote(cfg *pipeline.Config) string {
	folders := pipeline.InboxFolders(cfg.Path(cfg.Inbox), cfg.Path(cfg.Archive), cfg.Path(cfg.Failed), cfg.Path(cfg.Out),
		filepath.Dir(cfg.Path(cfg.Store.Path)))
	if len(folders) == 0 {
		return ""
	}
	for i, f := range folders {
		folders[i] = f + string(filepath.Separator)
	}
	folder := "folder"
	if len(folders) > 1 {
		folder = "folders"
	}
	return fmt.Sprintf("the inbox holds files in the %s %s, which no run reads: custcat reads the files of the inbox itself; move the exports up into the inbox, or the %s out of it",
		folder, strings.Join(folders, ", "), folder)
}

// supersededNote warns of the documents of earlier files that a later
// file of the same run holds too.
func supersededNote(s pipeline.Superseded) string {
	earlier := strings.Join(s.Earlier, ", ")
	if n := len(s.Earlier); n > 3 {
		earlier = fmt.Sprintf("%s and %d more files", strings.Join(s.Earlier[:2], ", "), n-2)
	}
	return fmt.Sprintf("%s: %s in %s replaced by %s, read in the same run, which holds the same documents: "+
		"a later file replaces a document whole, as it should for a document edited and exported again. If the two files are instead parts of one export, a document cut between them keeps only its lines in %s: "+
		"export the period as one file, or cut it between documents",
		earlier, plural(s.Lines, "line"), plural(s.Documents, "document"), s.Later, s.Later)
}

// plural writes n and the noun, with an s unless n is 1.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
