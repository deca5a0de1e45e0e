package pipeline

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	custsql "custcat/sql"
)

// headerSearchRows is how far below the top a header row may stand.
const headerSearchRows = 50

// FileResult is what became of one export file in a run.
type FileResult struct {
	Name      string
	Path      string
	SHA256    string
	Size      int64
	Source    string
	Ledger    string
	Format    string
	Status    string // loaded | failed | skipped | waiting (changed while read)
	Reason    string
	FileID    int64
	Read      int64 // data lines: loaded + rejected + duplicate + summary + held
	Loaded    int64
	Rejected  int64
	Duplicate int64
	// DuplicateAmount is the money of the lines dropped as duplicates.
	DuplicateAmount float64
	Summary         int64
	// SummaryRows are the first MaxSummaryRows total rows skipped, so
	// that the summary can show what was not loaded.
	SummaryRows []Reject
	Held        int64 // good lines not loaded because the file failed
	// FailedBefore is the run that recorded the same content failing for
	// the same reason; such a file is not recorded again.
	FailedBefore int64
}

// MaxSummaryRows is how many total rows of a file the run summary shows.
const MaxSummaryRows = 10

// Reject is an input line that was not loaded.
type Reject struct {
	Line   int
	Reason string
	Raw    string
}

// recordReader is what every export format offers: its records in order.
type recordReader interface {
	Next() (record, error)
	Format() string
	Close() error
}

// ErrUnsupported marks files custcat cannot read; they go to failed/.
var ErrUnsupported = errors.New("unsupported file type")

func openExport(path string, src Source) (recordReader, error) {
	name := strings.ToLower(filepath.Base(path))
	base := strings.TrimSuffix(name, ".gz")
	switch {
	case strings.HasSuffix(base, ".csv"), strings.HasSuffix(base, ".txt"), strings.HasSuffix(base, ".tsv"):
		if strings.HasSuffix(base, ".tsv") && src.Delimiter == "auto" {
			src.Delimiter = "tab"
		}
		return openCSV(path, src)
	case strings.HasSuffix(name, ".xlsx"):
		return openXLSX(path, src)
	case strings.HasSuffix(name, ".parquet"):
		return openParquet(path)
	case strings.HasSuffix(name, ".xls"):
		return openXLS(path, src) // text or an HTML table, as many ERPs write them, or refused
	}
	const reads = "custcat reads .csv, .txt, .tsv (optionally .gz), .xlsx, .parquet, and .xls that is text or an HTML table"
	ext := filepath.Ext(name)
	if ext == "" {
		return nil, fmt.Errorf("%w: the name has no extension; %s: give the export one of them, such as %s.csv", ErrUnsupported, reads, filepath.Base(path))
	}
	return nil, fmt.Errorf("%w: %s; %s", ErrUnsupported, ext, reads)
}

// fileHash is the sha256 of a file's content and its size, or why there is none.
type fileHash struct {
	sum  string
	size int64
	err  error
}

// hashFile reads a file whole for its sha256.
func hashFile(path string) fileHash {
	f, err := os.Open(path)
	if err != nil {
		return fileHash{err: err}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fileHash{err: err}
	}
	return fileHash{sum: hex.EncodeToString(h.Sum(nil)), size: n}
}

// ledgerID is the number sales_lines stores for ledger, given to it the
// first time it is seen.
func ledgerID(ctx context.Context, conn *sql.Conn, ledger string) (int32, error) {
	if _, err := conn.ExecContext(ctx, custsql.Query("AddLedger"), ledger); err != nil {
		return 0, fmt.Errorf("ledger %q: %w", ledger, err)
	}
	var id int32
	if err := conn.QueryRowContext(ctx, custsql.Query("LedgerID"), ledger).Scan(&id); err != nil {
		return 0, fmt.Errorf("ledger %q: %w", ledger, err)
	}
	return id, nil
}

// loadFile parses one export into rejects and, by the kind of its source,
// sales_lines (sales) or master_customers (the customer master). A file
// whose share of bad lines passes maxRatio keeps its rejects but loads
// nothing: its lines are taken out of sales_lines again (Load does that
// for every failed file). Delimited sales exports are read in blocks by
// several workers (ingest_csv_parallel.go); every other export record by
// record. Both apply the same line rules (ingest_line.go).
func loadFile(ctx context.Context, conn *sql.Conn, res *FileResult, src Source, maxRatio float64, progress func(int64)) error {
	var sink lineSink
	var lines *lineWriter
	if src.Kind == KindCustomers {
		sink = newMasterSink(conn, res)
	} else {
		ledger, err := ledgerID(ctx, conn, res.Ledger)
		if err != nil {
			return err
		}
		lines = newLineWriter(ctx, conn, res.FileID, ledger, estimateLines(res.Path, res.Size))
		sink = salesSink{lines}
	}
	defer sink.close()
	rejects, err := newRejectWriter(conn, res.FileID)
	if err != nil {
		return err
	}
	defer rejects.Close()
	if err := loadRecords(ctx, res, src, sink, lines, rejects, progress); err != nil {
		return err
	}
	if err := rejects.Flush(); err != nil {
		return err
	}
	if res.Read > 0 && float64(res.Rejected)/float64(res.Read) > maxRatio {
		res.Status = "failed"
		res.Reason = fmt.Sprintf("%d of %d lines rejected (%.1f%%), more than max_reject_ratio %.1f%%; see rejects.csv",
			res.Rejected, res.Read, 100*float64(res.Rejected)/float64(res.Read), 100*maxRatio)
		return nil
	}
	if err := sink.flush(); err != nil {
		return err
	}
	res.Status = "loaded"
	return nil
}

// estimateLines is about how many lines an export of size bytes holds: an
// export line is rarely shorter than 100 bytes; a .gz holds some six
// times its size.
func estimateLines(path string, size int64) int64 {
	if strings.EqualFold(filepath.Ext(path), ".gz") {
		size *= 6
	}
	return size / 100
}

// fileLoader takes the records of one file in order: it counts them,
// skips total rows, and keeps each line or rejects it with its reason.
type fileLoader struct {
	res     *FileResult
	p       lineParser
	sink    lineSink
	rejects *rejectWriter
	sc      *recordScanner // of a delimited export read in blocks
}

func (fl *fileLoader) handle(rec record) error {
	if rec.Bad == "" && fl.p.emptyRow(rec.Cells) {
		return nil // a row of empty cells is a blank line, not a line of data
	}
	fl.res.Read++
	if rec.Bad == "" && isSummaryRow(rec.Cells, fl.p.src.schema(), fl.p.cols) {
		fl.res.Summary++
		if len(fl.res.SummaryRows) < MaxSummaryRows {
			fl.res.SummaryRows = append(fl.res.SummaryRows, Reject{Line: rec.Line, Reason: "total row", Raw: rec.Raw})
		}
		fl.p.reset()
		return nil
	}
	reason, err := fl.sink.add(&fl.p, rec)
	if err != nil || reason == "" {
		return err
	}
	if rec.Bad == "" && fl.p.repeatsHeader(rec.Cells) {
		fl.res.Summary++
		if len(fl.res.SummaryRows) < MaxSummaryRows {
			fl.res.SummaryRows = append(fl.res.SummaryRows, Reject{Line: rec.Line, Reason: headerAgain, Raw: rec.Raw})
		}
		return nil
	}
	fl.res.Rejected++
	return fl.rejects.Add(Reject{Line: rec.Line, Reason: reason, Raw: rec.Raw})
}

// loadRecords reads an export: its head record by record, until the
// header is found; then the rest of a delimited sales export in blocks
// (lines not nil), and of any other record by record.
func loadRecords(ctx context.Context, res *FileResult, src Source, sink lineSink, lines *lineWriter, rejects *rejectWriter, progress func(int64)) error {
	rr, err := openExport(res.Path, src)
	if err != nil {
		return err
	}
	defer rr.Close()
	res.Format = rr.Format()
	csv, _ := rr.(*csvReader)

	fl := &fileLoader{res: res, p: lineParser{src: src, headerAt: -1}, sink: sink, rejects: rejects}
	p := &fl.p
	var head []record
	mapped := false
	if m, ok := positionalMap(src); ok && src.Header == "none" {
		p.cols, mapped = m, true
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if mapped && csv != nil && lines != nil && !readerTuning.serial {
			if err := fl.readBlocks(ctx, csv, lines, progress); err != nil {
				return err
			}
			break
		}
		rec, err := rr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if progress != nil && rec.Line%4096 == 0 {
			if o, ok := rr.(interface{ Offset() int64 }); ok {
				progress(o.Offset())
			}
		}
		if mapped {
			if err := fl.handle(rec); err != nil {
				return err
			}
			continue
		}
		// Until the header is found, hold the rows: they are titles or the header.
		head = append(head, rec)
		if len(head) < headerSearchRows {
			continue
		}
		if err := p.findHeader(head); err != nil {
			return sheetHint(rr, src, err)
		}
		mapped = true
		for _, r := range head[p.headerAt+1:] {
			if err := fl.handle(r); err != nil {
				return err
			}
		}
		head = nil
	}
	if !mapped {
		if len(head) == 0 {
			return errors.New("empty file: no lines")
		}
		if err := p.findHeader(head); err != nil {
			return sheetHint(rr, src, err)
		}
		if len(head) == p.headerAt+1 {
			return errors.New("header only: no data lines")
		}
		for _, r := range head[p.headerAt+1:] {
			if err := fl.handle(r); err != nil {
				return err
			}
		}
	}
	if p.headerAt >= 0 {
		res.Format += fmt.Sprintf(" header@%d", p.headerLine)
	}
	return nil
}

// lineSink keeps the good lines of one kind of export: add parses a
// record and keeps it, or says why it rejects it; flush stores what was
// kept.
type lineSink interface {
	add(p *lineParser, rec record) (reason string, err error)
	flush() error
	close()
}

// salesSink stores the sales lines of an export in sales_lines.
type salesSink struct{ w *lineWriter }

func (s salesSink) add(p *lineParser, rec record) (string, error) {
	line, reason := p.parse(rec)
	if reason != "" {
		return reason, nil
	}
	return "", s.w.Add(&line)
}

func (s salesSink) flush() error { return s.w.Flush() }
func (s salesSink) close()       { s.w.Release() }

// rejectWriter appends rejected lines to the rejects table.
type rejectWriter struct {
	conn   *sql.Conn
	fileID int64
	app    *duckdb.Appender
}

func newRejectWriter(conn *sql.Conn, fileID int64) (*rejectWriter, error) {
	w := &rejectWriter{conn: conn, fileID: fileID}
	err := conn.Raw(func(dc any) error {
		a, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "rejects")
		w.app = a
		return err
	})
	return w, err
}

func (w *rejectWriter) Add(r Reject) error {
	return w.app.AppendRow(w.fileID, int32(r.Line), rawText(r.Reason), rawText(r.Raw))
}

func (w *rejectWriter) Flush() error { return w.app.Flush() }
func (w *rejectWriter) Close() error { return w.app.Close() }
