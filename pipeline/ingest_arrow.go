package pipeline

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"hash/maphash"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// batchRows is about how many parsed lines travel to DuckDB in one INSERT:
// at 1M lines, 2 INSERTs took DuckDB 0.7-1.0 s against 1.5 s for 16.
const batchRows = 1 << 19

// lineSchema is the Arrow form of a parsed sales line: the columns of
// sales_lines (the amount as a double, cast to its decimal on the way in).
var lineSchema = arrow.NewSchema([]arrow.Field{
	{Name: "file_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int32},
	{Name: "ledger", Type: arrow.BinaryTypes.String},
	{Name: "doc_key", Type: arrow.BinaryTypes.String},
	{Name: "doc_no", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "doc_date", Type: arrow.FixedWidthTypes.Date32},
	{Name: "customer_key", Type: arrow.BinaryTypes.String},
	{Name: "customer_code", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "customer_name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "item_code", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "item_name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "category", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "quantity", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "unit_price", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64},
	{Name: "line_secs", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
}, nil)

// hashSchema is the Arrow form of line_hashes.
var hashSchema = arrow.NewSchema([]arrow.Field{
	{Name: "file_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int32},
	{Name: "h", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// SalesLine is one parsed line of an export.
type SalesLine struct {
	Line         int
	DocNo        string // "" where the export has no document numbers
	Date         int32  // days since 1970-01-01
	CustomerCode string
	CustomerName string
	ItemCode     string
	ItemName     string
	Category     string
	Quantity     *float64
	UnitPrice    *float64
	Amount       float64
	Secs         int32 // the time of day in seconds, NoTime where the export has none
}

// lineSeed hashes the lines of every worker alike.
var lineSeed = maphash.MakeSeed()

// lineBuilder collects parsed lines of one file into Arrow columns; each
// worker of the delimited reader has its own.
type lineBuilder struct {
	fileID int64
	ledger string
	b      *array.RecordBuilder
	f      []array.Builder
	hb     *array.RecordBuilder // the hashes of the lines of numbered documents
	hf     []array.Builder
	rows   int
	h      maphash.Hash
	key    []byte
}

func newLineBuilder(fileID int64, ledger string) *lineBuilder {
	lb := &lineBuilder{fileID: fileID, ledger: ledger, b: array.NewRecordBuilder(memory.DefaultAllocator, lineSchema)}
	lb.f = lb.b.Fields()
	lb.hb = array.NewRecordBuilder(memory.DefaultAllocator, hashSchema)
	lb.hf = lb.hb.Fields()
	lb.h.SetSeed(lineSeed)
	return lb
}

func appendText(b array.Builder, s string) {
	sb := b.(*array.StringBuilder)
	if s == "" {
		sb.AppendNull()
	} else {
		sb.Append(s)
	}
}

func appendNumber(b array.Builder, v *float64) {
	fb := b.(*array.Float64Builder)
	if v == nil {
		fb.AppendNull()
	} else {
		fb.Append(*v)
	}
}

func (lb *lineBuilder) add(l *SalesLine) {
	f := lb.f
	f[0].(*array.Int64Builder).Append(lb.fileID)
	f[1].(*array.Int32Builder).Append(int32(l.Line))
	f[2].(*array.StringBuilder).Append(lb.ledger)
	if l.DocNo == "" {
		// Each line is its own document: its key names file and line.
		lb.key = strconv.AppendInt(append(strconv.AppendInt(append(lb.key[:0], '#'), lb.fileID, 10), ':'), int64(l.Line), 10)
		f[3].(*array.StringBuilder).BinaryBuilder.Append(lb.key)
		f[4].(*array.StringBuilder).AppendNull()
	} else {
		f[3].(*array.StringBuilder).Append(l.DocNo)
		f[4].(*array.StringBuilder).Append(l.DocNo)
	}
	f[5].(*array.Date32Builder).Append(arrow.Date32(l.Date))
	key := l.CustomerCode
	if key == "" {
		key = l.CustomerName
	}
	f[6].(*array.StringBuilder).Append(key)
	appendText(f[7], l.CustomerCode)
	appendText(f[8], l.CustomerName)
	appendText(f[9], l.ItemCode)
	appendText(f[10], l.ItemName)
	appendText(f[11], l.Category)
	appendNumber(f[12], l.Quantity)
	appendNumber(f[13], l.UnitPrice)
	f[14].(*array.Float64Builder).Append(l.Amount)
	if l.Secs == NoTime {
		f[15].(*array.Int32Builder).AppendNull()
	} else {
		f[15].(*array.Int32Builder).Append(l.Secs)
	}
	if l.DocNo != "" { // a document of one line repeats nothing
		lb.hf[0].(*array.Int64Builder).Append(lb.fileID)
		lb.hf[1].(*array.Int32Builder).Append(int32(l.Line))
		lb.hf[2].(*array.Int64Builder).Append(int64(lb.hash(l, key)))
	}
	lb.rows++
}

// hash is the hash of what makes two lines of a document equal: equal
// lines have equal hashes, so only lines whose hash repeats in their file
// are compared in full (MarkDuplicates).
func (lb *lineBuilder) hash(l *SalesLine, key string) uint64 {
	h := &lb.h
	h.Reset()
	for _, s := range [...]string{l.DocNo, key, l.CustomerCode, l.CustomerName, l.ItemCode, l.ItemName, l.Category} {
		h.WriteString(s)
		h.WriteByte(0)
	}
	var num [8 * 4]byte
	put := func(i int, v *float64, null bool) {
		bits := uint64(math.MaxUint64) // NULL
		if !null {
			x := *v
			if x == 0 {
				x = 0 // -0 equals 0
			}
			bits = math.Float64bits(x)
		}
		for k := range 8 {
			num[i*8+k] = byte(bits >> (8 * k))
		}
	}
	put(0, l.Quantity, l.Quantity == nil)
	put(1, l.UnitPrice, l.UnitPrice == nil)
	put(2, &l.Amount, false)
	date := float64(l.Date)*86400 + float64(l.Secs) // NoTime is a value of its own
	put(3, &date, false)
	h.Write(num[:])
	return h.Sum64()
}

// lineBatch is a batch of parsed lines and their hashes.
type lineBatch struct {
	lines, hashes arrow.RecordBatch
}

func (b *lineBatch) Release() {
	if b == nil {
		return
	}
	b.lines.Release()
	b.hashes.Release()
}

// reserve makes room for about n lines of about size bytes of text.
func (lb *lineBuilder) reserve(n, size int) {
	lb.b.Reserve(n)
	for _, i := range []int{3, 4, 6, 8, 10, 11} {
		lb.f[i].(*array.StringBuilder).ReserveData(size / 8)
	}
	lb.hb.Reserve(n)
}

// batch takes the lines collected so far; nil if there are none.
func (lb *lineBuilder) batch() *lineBatch {
	if lb.rows == 0 {
		return nil
	}
	lb.rows = 0
	return &lineBatch{lb.b.NewRecordBatch(), lb.hb.NewRecordBatch()}
}

func (lb *lineBuilder) release() {
	lb.b.Release()
	lb.hb.Release()
}

var viewSeq atomic.Int64

// insertLines appends batches of parsed lines to sales_lines, and their
// hashes to line_hashes, through DuckDB's Arrow scan.
func insertLines(ctx context.Context, conn *sql.Conn, batches []*lineBatch) error {
	if len(batches) == 0 {
		return nil
	}
	lines := make([]arrow.RecordBatch, len(batches))
	hashes := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		lines[i], hashes[i] = b.lines, b.hashes
	}
	seq := viewSeq.Add(1)
	err := conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		ex := dc.(driver.ExecerContext)
		// The lines' order in the table does not matter (every reader of
		// them sorts or groups): DuckDB need not keep it, which saves it work.
		if _, err := ex.ExecContext(ctx, "SET preserve_insertion_order = false", nil); err != nil {
			return err
		}
		defer ex.ExecContext(context.WithoutCancel(ctx), "RESET preserve_insertion_order", nil)
		for i, q := range []struct {
			sql    string
			schema *arrow.Schema
			recs   []arrow.RecordBatch
		}{
			{"INSERT INTO sales_lines SELECT * REPLACE (CAST(amount AS DECIMAL(18,2)) AS amount) FROM %s", lineSchema, lines},
			{"INSERT INTO line_hashes SELECT * FROM %s", hashSchema, hashes},
		} {
			reader, err := array.NewRecordReader(q.schema, q.recs)
			if err != nil {
				return err
			}
			view := fmt.Sprintf("arrow_lines_%d_%d", seq, i)
			release, err := ar.RegisterView(reader, view)
			if err != nil {
				reader.Release()
				return err
			}
			_, err = ex.ExecContext(ctx, fmt.Sprintf(q.sql, view), nil)
			if err == nil {
				_, err = ex.ExecContext(ctx, "DROP VIEW "+view, nil)
			}
			release()
			reader.Release()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store lines: %w", err)
	}
	return nil
}

// lineWriter is the lineBuilder of the reader's own goroutine: it stores
// its lines once it holds a batch's worth, and what the workers hand it.
type lineWriter struct {
	ctx     context.Context
	conn    *sql.Conn
	lb      *lineBuilder
	pending []*lineBatch
	rows    int
}

func newLineWriter(ctx context.Context, conn *sql.Conn, fileID int64, ledger string) *lineWriter {
	return &lineWriter{ctx: ctx, conn: conn, lb: newLineBuilder(fileID, ledger)}
}

func (w *lineWriter) Add(l *SalesLine) error {
	w.lb.add(l)
	if w.lb.rows >= batchRows {
		return w.take(w.lb.batch())
	}
	return nil
}

// take keeps a batch (nil is none) for the next store.
func (w *lineWriter) take(b *lineBatch) error {
	if b == nil {
		return nil
	}
	w.pending = append(w.pending, b)
	w.rows += int(b.lines.NumRows())
	if w.rows >= batchRows {
		return w.store()
	}
	return nil
}

func (w *lineWriter) store() error {
	err := insertLines(w.ctx, w.conn, w.pending)
	for _, b := range w.pending {
		b.Release()
	}
	w.pending, w.rows = w.pending[:0], 0
	return err
}

// Flush stores every line added so far.
func (w *lineWriter) Flush() error {
	if b := w.lb.batch(); b != nil {
		w.pending = append(w.pending, b)
	}
	return w.store()
}

func (w *lineWriter) Release() {
	for _, b := range w.pending {
		b.Release()
	}
	w.pending = nil
	w.lb.release()
}
