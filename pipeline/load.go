package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	custsql "custcat/sql"
)

// LoadResult is what a run's ingest did, file by file and in all.
type LoadResult struct {
	Files    []FileResult
	Replaced int64 // lines loaded before whose documents came again
	// Superseded are the files of the run whose lines of a document a
	// later file of the same run replaced, by the later file.
	Superseded []Superseded
}

// Superseded is a file of a run that holds documents of earlier files of
// the same run: their lines of them are replaced. That is the rule for a
// document exported again, and also what happens to a document cut
// between two parts of one export, so the run says so.
type Superseded struct {
	Earlier          []string // the earlier files' names, in the order read
	Later            string
	Lines, Documents int64 // the earlier files' lines replaced, and their documents
}

// Totals adds up the line counts of the files that were read.
func (r *LoadResult) Totals() (t FileResult) {
	for _, f := range r.Files {
		t.Read += f.Read
		t.Loaded += f.Loaded
		t.Rejected += f.Rejected
		t.Duplicate += f.Duplicate
		t.DuplicateAmount += f.DuplicateAmount
		t.Summary += f.Summary
		t.Held += f.Held
	}
	return t
}

// Count returns how many files ended in status.
func (r *LoadResult) Count(status string) int {
	n := 0
	for _, f := range r.Files {
		if f.Status == status {
			n++
		}
	}
	return n
}

// Progress is told where a run is: the reading of each file (how many of
// its bytes on disk are read), and the steps after it.
type Progress interface {
	Start(name string, size int64) // reading a file of size bytes begins
	Read(n int64)                  // n bytes of the file are read
	Phase(name string)             // a step begins; "" when the run ends
}

// Load reads the inbox files into the store on c, inside the caller's
// transaction: each file is registered by its content hash (a content
// loaded before is skipped), parsed, and its lines replace earlier lines
// of the same documents.
func Load(ctx context.Context, c *sql.Conn, cfg *Config, runID int64, inbox []InboxFile, now time.Time, progress Progress) (*LoadResult, error) {
	res := &LoadResult{}
	if _, err := c.ExecContext(ctx, custsql.Query("CreateLineHashes")); err != nil {
		return nil, fmt.Errorf("create line hashes: %w", err)
	}
	seen := map[string]bool{}     // the contents loaded by the run
	seenSize := map[int64]bool{}  // and their sizes
	first := int64(math.MaxInt64) // the first file id of the run
	salesFiles := 0               // sales files loaded
	for _, in := range inbox {
		fr := FileResult{Name: in.Name, Path: in.Path, Size: in.Size}
		if in.NotAFile != "" {
			fr.Status, fr.Reason, fr.Source, fr.Ledger = "failed", in.NotAFileReason(), "-", "-"
			if err := c.QueryRowContext(ctx, custsql.Query("NextFileID")).Scan(&fr.FileID); err != nil {
				return nil, err
			}
			first = min(first, fr.FileID)
			res.Files = append(res.Files, fr)
			continue
		}
		// A content loaded before is skipped, known by its hash. Where no
		// file of the same size was loaded, none can have the same content:
		// the hash is computed while the file loads (1.3 GB: 0.8 s).
		var sized bool
		if err := c.QueryRowContext(ctx, custsql.Query("SizeLoaded"), in.Size).Scan(&sized); err != nil {
			return nil, err
		}
		var hashed <-chan fileHash
		if sized || seenSize[in.Size] {
			h := hashFile(in.Path)
			if h.err != nil {
				return nil, fmt.Errorf("hash %s: %w", in.Name, h.err)
			}
			fr.SHA256, fr.Size = h.sum, h.size
			var prior int64
			err := c.QueryRowContext(ctx, custsql.Query("FileLoaded"), h.sum).Scan(&prior)
			if err == nil || seen[h.sum] {
				fr.Status, fr.Reason = "skipped", "same content loaded before"
				res.Files = append(res.Files, fr)
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return nil, err
			}
		} else {
			ch := make(chan fileHash, 1)
			go func() { ch <- hashFile(in.Path) }()
			hashed = ch
		}
		// The hash of a file hashed while it loads, once it is needed.
		waitHash := func() error {
			if hashed == nil {
				return nil
			}
			h := <-hashed
			hashed = nil
			if h.err != nil {
				return fmt.Errorf("hash %s: %w", in.Name, h.err)
			}
			fr.SHA256, fr.Size = h.sum, h.size
			return nil
		}
		src, ok := cfg.SourceFor(in.Name)
		if !ok {
			fr.Status, fr.Reason = "failed", "no source's files pattern matches this name; add one under sources"
			fr.Source, fr.Ledger = "-", "-"
		} else {
			fr.Source, fr.Ledger = src.Name, src.Ledger
		}
		if err := c.QueryRowContext(ctx, custsql.Query("NextFileID")).Scan(&fr.FileID); err != nil {
			return nil, err
		}
		first = min(first, fr.FileID)
		if fr.Status == "" && src.Duplicates == "keep" {
			if _, err := c.ExecContext(ctx, custsql.Query("KeepDuplicates"), fr.FileID); err != nil {
				return nil, err
			}
		}
		if fr.Status == "" {
			if progress != nil {
				progress.Start(in.Name, in.Size)
			}
			var tick func(int64)
			if progress != nil {
				tick = progress.Read
			}
			err := loadFile(ctx, c, &fr, src, cfg.RejectRatio(src), tick)
			if progress != nil {
				progress.Phase("loading")
			}
			if hashErr := waitHash(); hashErr != nil {
				return nil, hashErr
			}
			if ctxErr := ctx.Err(); ctxErr != nil {
				return nil, ctxErr
			}
			if in.Changed() {
				// Its part goes out of the run, with or without document
				// numbers: a part loaded now and the whole file next time
				// would load its lines twice.
				if err := dropChanged(ctx, c, fr.FileID); err != nil {
					return nil, fmt.Errorf("%s: %w", in.Name, err)
				}
				res.Files = append(res.Files, FileResult{Name: in.Name, Path: in.Path, Size: in.Size, FileID: fr.FileID,
					Source: fr.Source, Ledger: fr.Ledger, Status: "waiting", Reason: ReasonChanged})
				continue
			}
			if err != nil {
				fr.Status, fr.Reason = "failed", err.Error()
			}
			// The lines a failed file stored before it failed go again.
			if fr.Status == "failed" {
				_, dropErr := c.ExecContext(ctx, custsql.Query("DropFileLines"), fr.FileID)
				if dropErr == nil {
					_, dropErr = c.ExecContext(ctx, custsql.Query("DropFileHashes"), fr.FileID)
				}
				if dropErr != nil {
					// The store failed under the file (out of memory, say),
					// not the file: that error is the one to tell.
					if err != nil {
						return nil, fmt.Errorf("%s: %w", in.Name, err)
					}
					return nil, dropErr
				}
			}
		}
		if err := waitHash(); err != nil {
			return nil, err
		}
		if fr.Status == "failed" {
			if err := forgetRepeatedFailure(ctx, c, &fr); err != nil {
				return nil, err
			}
		}
		if fr.Status == "loaded" {
			seen[fr.SHA256], seenSize[in.Size] = true, true
			if src.Kind != KindCustomers {
				salesFiles++
			}
		}
		res.Files = append(res.Files, fr)
	}
	if err := merge(ctx, c, res, runID, first, salesFiles > 1, now); err != nil {
		return nil, err
	}
	return res, nil
}

// SaveCodeNames records, after Load on c, the customer codes that carry
// two names within one file of run runID (code_names). Where the reader
// saw no code with two names, there is none, and no line is read.
func SaveCodeNames(ctx context.Context, c *sql.Conn, runID int64) error {
	var some bool
	if err := c.QueryRowContext(ctx, custsql.Query("HasCodeCandidates")).Scan(&some); err != nil {
		return fmt.Errorf("codes with two names: %w", err)
	}
	if !some {
		return nil
	}
	if _, err := c.ExecContext(ctx, custsql.Query("SaveCodeNames"), runID); err != nil {
		return fmt.Errorf("codes with two names: %w", err)
	}
	return nil
}

// dropChanged takes out of the run what it read of a file that changed
// while it was read: its lines and their hashes, rejects, master rows.
func dropChanged(ctx context.Context, c *sql.Conn, fileID int64) error {
	for _, q := range []string{"DropChangedFile", "DropChangedFileKeep", "DropChangedFileLines", "DropChangedFileRejects", "DropChangedFileMaster"} {
		if _, err := c.ExecContext(ctx, custsql.Query(q), fileID); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// forgetRepeatedFailure drops the rejects of a failed file whose content
// failed before for the same reason, and marks it so that merge does not
// record it again. A run that dies after its commit leaves its failed
// files in the inbox; the rerun reads them again, and without this it
// would become the last run that read files, and rejects.csv and the
// report would show only those files.
func forgetRepeatedFailure(ctx context.Context, c *sql.Conn, fr *FileResult) error {
	err := c.QueryRowContext(ctx, custsql.Query("FailedBefore"), fr.SHA256, fr.Reason, fr.Read, fr.Rejected).Scan(&fr.FailedBefore)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("earlier failures of %s: %w", fr.Name, err)
	}
	if _, err := c.ExecContext(ctx, custsql.Query("DropRejects"), fr.FileID); err != nil {
		return fmt.Errorf("drop rejects of %s: %w", fr.Name, err)
	}
	return nil
}

// merge drops the repeated lines of each file from sales_lines, then the
// new lines (those of file ids from first on) of documents a
// later file holds too and the earlier lines of documents that came again,
// and registers the files. Only a run that loaded more than one sales file
// (superseding) can hold a document twice.
func merge(ctx context.Context, c *sql.Conn, res *LoadResult, runID, first int64, superseding bool, now time.Time) error {
	if _, err := c.ExecContext(ctx, custsql.Query("MarkDuplicates"), first); err != nil {
		return fmt.Errorf("mark duplicates: %w", err)
	}
	if _, err := c.ExecContext(ctx, custsql.Query("DropDuplicates")); err != nil {
		return fmt.Errorf("drop duplicates: %w", err)
	}
	// Deleting lines inserted in the same transaction costs a rewrite of
	// them at commit, so it is done only when a document can come twice.
	if superseding {
		if _, err := c.ExecContext(ctx, custsql.Query("MarkSuperseded"), first); err != nil {
			return fmt.Errorf("mark superseded lines: %w", err)
		}
	}
	rows, err := c.QueryContext(ctx, custsql.Query("StageCounts"))
	if err != nil {
		return err
	}
	dups := map[int64]int64{}
	dupAmounts := map[int64]float64{}
	for rows.Next() {
		var id, d, s int64
		var amount float64
		if err := rows.Scan(&id, &d, &s, &amount); err != nil {
			rows.Close()
			return err
		}
		dups[id], dupAmounts[id] = d, amount
		res.Replaced += s
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if superseding && res.Replaced > 0 {
		if res.Superseded, err = supersededFiles(ctx, c, res, first); err != nil {
			return err
		}
	}
	for i := range res.Files {
		f := &res.Files[i]
		if f.Status == "skipped" || f.Status == "waiting" {
			continue
		}
		if f.Status == "loaded" {
			f.Duplicate += dups[f.FileID] // a master's duplicates are counted as it is read
			f.DuplicateAmount = dupAmounts[f.FileID]
			f.Loaded = f.Read - f.Rejected - f.Summary - f.Duplicate
		} else {
			// A failed file loads nothing: its good lines, repeats included, are held back.
			f.Duplicate = 0
			f.Held = f.Read - f.Rejected - f.Summary
		}
		if f.FailedBefore > 0 {
			continue
		}
		var reason any
		if f.Reason != "" {
			reason = f.Reason
		}
		if _, err := c.ExecContext(ctx, custsql.Query("InsertFile"), f.FileID, runID, f.Name, f.SHA256, f.Source, f.Ledger,
			f.Size, f.Format, f.Status, reason, f.Read, f.Loaded, f.Rejected, f.Duplicate, f.Summary, now); err != nil {
			return fmt.Errorf("register %s: %w", f.Name, err)
		}
	}
	if superseding {
		if _, err := c.ExecContext(ctx, custsql.Query("DropSuperseded")); err != nil {
			return fmt.Errorf("drop superseded lines: %w", err)
		}
	}
	var old bool
	if err := c.QueryRowContext(ctx, custsql.Query("HasOldLines"), first).Scan(&old); err != nil {
		return err
	}
	// Only a run with lines from before it can take lines from a customer;
	// without any, RefreshCustomers reads the run's lines alone.
	refresh := "RefreshCustomers"
	if old {
		refresh = "RefreshLostCustomers"
		for _, q := range []string{"NewDocuments", "LostCustomers"} {
			if _, err := c.ExecContext(ctx, custsql.Query(q), first); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		if _, err := c.ExecContext(ctx, custsql.Query("ClearLastSale")); err != nil {
			return err
		}
		r, err := c.ExecContext(ctx, custsql.Query("ReplaceDocuments"), first)
		if err != nil {
			return fmt.Errorf("replace documents: %w", err)
		}
		n, _ := r.RowsAffected()
		res.Replaced += n
	}
	q := strings.Replace(custsql.Query(refresh), "/*latest*/", custsql.Query("LatestCustomerLines"), 1)
	if _, err := c.ExecContext(ctx, q, first); err != nil {
		return fmt.Errorf("%s: %w", refresh, err)
	}
	// The master goes last, so that its names win over those of sales lines.
	for _, q := range []string{"KeepLatestMaster", "RefreshMaster", "RetireMaster"} {
		if _, err := c.ExecContext(ctx, custsql.Query(q)); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// supersededFiles names, per file of the run, the lines of earlier files
// that MarkSuperseded marked for its documents.
func supersededFiles(ctx context.Context, c *sql.Conn, res *LoadResult, first int64) ([]Superseded, error) {
	names := map[int64]string{}
	for _, f := range res.Files {
		names[f.FileID] = f.Name
	}
	rows, err := c.QueryContext(ctx, custsql.Query("SupersededFiles"), first)
	if err != nil {
		return nil, fmt.Errorf("superseded files: %w", err)
	}
	defer rows.Close()
	var out []Superseded
	for rows.Next() {
		var later int64
		var earlier []any
		var s Superseded
		if err := rows.Scan(&later, &earlier, &s.Lines, &s.Documents); err != nil {
			return nil, err
		}
		for _, id := range earlier {
			s.Earlier = append(s.Earlier, names[id.(int64)])
		}
		s.Later = names[later]
		out = append(out, s)
	}
	return out, rows.Err()
}
