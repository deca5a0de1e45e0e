package pipeline

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"

	custsql "custcat/sql"
)

// batchRows is about how many parsed lines travel to DuckDB in one INSERT:
// at 1M lines, 2 INSERTs took DuckDB 0.7-1.0 s against 1.5 s for 16.
const batchRows = 1 << 19

// lineSchema is the Arrow form of a parsed sales line: the columns of
// sales_lines but its file and ledger, which are the same for every line
// of a batch and bound to the INSERT, and its document and customer keys,
// which DuckDB computes (the amount as a double, cast to its decimal on
// the way in).
var lineSchema = arrow.NewSchema([]arrow.Field{
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int32},
	{Name: "doc_no", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "doc_date", Type: arrow.FixedWidthTypes.Date32},
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

// hashSchema is the Arrow form of line_hashes, but its file.
var hashSchema = arrow.NewSchema([]arrow.Field{
	{Name: "line_no", Type: arrow.PrimitiveTypes.Int32},
	{Name: "h", Type: arrow.PrimitiveTypes.Int64},
	{Name: "maybe", Type: arrow.FixedWidthTypes.Boolean},
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
	Quantity     float64 // where HasQuantity
	UnitPrice    float64 // where HasUnitPrice
	HasQuantity  bool
	HasUnitPrice bool
	Amount       float64
	Secs         int32 // the time of day in seconds, NoTime where the export has none
}

// lineSeed hashes the lines of every worker alike.
var lineSeed = maphash.MakeSeed()

// lineBuilder collects parsed lines of one file into Arrow columns; each
// worker of the delimited reader has its own. The columns are plain
// slices, handed to Arrow whole by batch.
type lineBuilder struct {
	fileID int64
	rows   int
	lineNo []int32
	docNo  textColumn
	date   []int32
	code   textColumn
	name   textColumn
	item   textColumn
	iname  textColumn
	cat    textColumn
	qty    numberColumn
	price  numberColumn
	amount []float64
	secs   []int32
	noSecs bitmap // lines without a time of day
	// The lines of numbered documents, with their hashes.
	hashLine []int32
	hashes   []int64
	key      []byte // what hash hashes, built anew for each line
}

// textColumn is a column of text in Arrow's layout: the bytes of the
// values one after another, where each starts, and which are NULL (an
// empty text).
type textColumn struct {
	data  []byte
	offs  []int32 // len(offs) is the number of values + 1
	nulls bitmap
}

func (c *textColumn) add(s string) {
	if len(c.offs) == 0 {
		c.offs = append(c.offs, 0)
	}
	if s == "" {
		c.nulls.set(len(c.offs) - 1)
	}
	c.data = append(c.data, s...)
	c.offs = append(c.offs, int32(len(c.data)))
}

func (c *textColumn) reserve(n, size int) {
	c.data = make([]byte, 0, size)
	c.offs = make([]int32, 1, n+1)
	c.nulls = bitmap{}
}

// array hands the column to Arrow, n values; the column starts anew.
func (c *textColumn) array(n int) arrow.Array {
	if len(c.offs) == 0 {
		c.offs = append(c.offs, 0)
	}
	valid, nulls := c.nulls.validity(n)
	data := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{valid,
		memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.offs)), memory.NewBufferBytes(c.data)}, nil, nulls, 0)
	defer data.Release()
	*c = textColumn{}
	return array.NewStringData(data)
}

// numberColumn is a column of doubles, some NULL.
type numberColumn struct {
	v     []float64
	nulls bitmap
}

func (c *numberColumn) add(v float64, ok bool) {
	if !ok {
		c.nulls.set(len(c.v))
	}
	c.v = append(c.v, v)
}

func (c *numberColumn) array(n int) arrow.Array {
	valid, nulls := c.nulls.validity(n)
	data := array.NewData(arrow.PrimitiveTypes.Float64, n, []*memory.Buffer{valid,
		memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(c.v))}, nil, nulls, 0)
	defer data.Release()
	*c = numberColumn{}
	return array.NewFloat64Data(data)
}

// bitmap marks the NULL rows of a column; it stays empty while there are none.
type bitmap struct {
	bits []byte // set: NULL
	n    int
}

func (b *bitmap) set(i int) {
	for len(b.bits) <= i/8 {
		b.bits = append(b.bits, 0)
	}
	b.bits[i/8] |= 1 << (i % 8)
	b.n++
}

// validity is the bitmap as Arrow's validity buffer of n rows (nil
// without NULLs) and the number of NULLs.
func (b *bitmap) validity(n int) (*memory.Buffer, int) {
	if b.n == 0 {
		return nil, 0
	}
	v := make([]byte, (n+7)/8)
	for i := range v {
		var nulls byte
		if i < len(b.bits) {
			nulls = b.bits[i]
		}
		v[i] = ^nulls
	}
	return memory.NewBufferBytes(v), b.n
}

func newLineBuilder(fileID int64) *lineBuilder {
	return &lineBuilder{fileID: fileID}
}

func (lb *lineBuilder) add(l *SalesLine) {
	lb.lineNo = append(lb.lineNo, int32(l.Line))
	lb.docNo.add(l.DocNo)
	lb.date = append(lb.date, l.Date)
	lb.code.add(l.CustomerCode)
	lb.name.add(l.CustomerName)
	lb.item.add(l.ItemCode)
	lb.iname.add(l.ItemName)
	lb.cat.add(l.Category)
	lb.qty.add(l.Quantity, l.HasQuantity)
	lb.price.add(l.UnitPrice, l.HasUnitPrice)
	lb.amount = append(lb.amount, l.Amount)
	if l.Secs == NoTime {
		lb.noSecs.set(len(lb.secs))
	}
	lb.secs = append(lb.secs, l.Secs)
	if l.DocNo != "" { // a document of one line repeats nothing
		lb.hashLine = append(lb.hashLine, int32(l.Line))
		lb.hashes = append(lb.hashes, int64(lb.hash(l)))
	}
	lb.rows++
}

// customerKey is the key of a line's customer: its code, else its name.
func customerKey(l *SalesLine) string {
	if l.CustomerCode != "" {
		return l.CustomerCode
	}
	return l.CustomerName
}

// hash is the hash of what makes two lines of a document equal: equal
// lines have equal hashes, so only lines whose hash repeats in their file
// are compared in full (MarkDuplicates).
func (lb *lineBuilder) hash(l *SalesLine) uint64 {
	b := lb.key[:0]
	for _, s := range [...]string{l.DocNo, customerKey(l), l.CustomerCode, l.CustomerName, l.ItemCode, l.ItemName, l.Category} {
		b = append(append(b, s...), 0)
	}
	put := func(x float64, null bool) {
		bits := uint64(math.MaxUint64) // NULL
		if !null {
			if x == 0 {
				x = 0 // -0 equals 0
			}
			bits = math.Float64bits(x)
		}
		b = binary.LittleEndian.AppendUint64(b, bits)
	}
	put(l.Quantity, !l.HasQuantity)
	put(l.UnitPrice, !l.HasUnitPrice)
	put(l.Amount, false)
	put(float64(l.Date)*86400+float64(l.Secs), false) // NoTime is a value of its own
	lb.key = b
	return maphash.Bytes(lineSeed, b)
}

// lineBatch is a batch of parsed lines and their hashes; the hashes are
// an Arrow record once the file's repeatFilter has seen them (seal).
type lineBatch struct {
	lines    arrow.RecordBatch
	hashLine []int32
	hashes   []int64
	sealed   arrow.RecordBatch
}

func (b *lineBatch) Release() {
	if b == nil {
		return
	}
	b.lines.Release()
	if b.sealed != nil {
		b.sealed.Release()
	}
}

// seal passes the batch's hashes, in the file's order, through the file's
// filter, and makes them the record of line_hashes.
func (b *lineBatch) seal(f *repeatFilter) {
	m := len(b.hashes)
	maybe := make([]byte, (m+7)/8)
	for i, h := range b.hashes {
		if f.seen(uint64(h)) {
			maybe[i/8] |= 1 << (i % 8)
		}
	}
	cols := []arrow.Array{
		array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, m, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(b.hashLine))}, nil, 0, 0)),
		array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, m, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(b.hashes))}, nil, 0, 0)),
		array.NewBooleanData(array.NewData(arrow.FixedWidthTypes.Boolean, m, []*memory.Buffer{nil, memory.NewBufferBytes(maybe)}, nil, 0, 0)),
	}
	b.sealed = array.NewRecordBatch(hashSchema, cols, int64(m))
	for _, c := range cols {
		c.Release()
	}
	b.hashLine, b.hashes = nil, nil
}

// repeatFilter is a Bloom filter of the line hashes of one file, each
// hash's bits in one word: a hash it has not seen before is no repeat; one
// it may have seen is compared by MarkDuplicates. (Counting every hash of
// 10M lines in SQL took 0.7 s; the filter, 16 MB at 10M lines, 0.2 s.)
type repeatFilter struct {
	words []uint64
}

// newRepeatFilter makes the filter of a file of about lines lines: ten
// bits a line, up to 64 MB (more lines, more hashes to compare).
func newRepeatFilter(lines int64) *repeatFilter {
	n := min(max(lines*10/64, 1024), 8<<20)
	return &repeatFilter{words: make([]uint64, n)}
}

// seen adds h, and says whether it may have been added before.
func (f *repeatFilter) seen(h uint64) bool {
	w := &f.words[(h>>32)*uint64(len(f.words))>>32]
	mask := uint64(1)<<(h&63) | uint64(1)<<((h>>6)&63) | uint64(1)<<((h>>12)&63)
	old := *w
	*w = old | mask
	return old&mask == mask
}

// reserve makes room for about n lines of about size bytes of text.
func (lb *lineBuilder) reserve(n, size int) {
	lb.lineNo = make([]int32, 0, n)
	lb.date = make([]int32, 0, n)
	lb.amount = make([]float64, 0, n)
	lb.secs = make([]int32, 0, n)
	lb.qty.v = make([]float64, 0, n)
	lb.price.v = make([]float64, 0, n)
	lb.hashLine = make([]int32, 0, n)
	lb.hashes = make([]int64, 0, n)
	for _, c := range []*textColumn{&lb.docNo, &lb.code, &lb.name, &lb.item, &lb.iname, &lb.cat} {
		c.reserve(n, size/8)
	}
}

// batch takes the lines collected so far; nil if there are none.
func (lb *lineBuilder) batch() *lineBatch {
	n := lb.rows
	if n == 0 {
		return nil
	}
	docNo, code, name := lb.docNo.array(n), lb.code.array(n), lb.name.array(n)
	valid, nulls := lb.noSecs.validity(n)
	secsData := array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{valid,
		memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(lb.secs))}, nil, nulls, 0)
	cols := []arrow.Array{
		array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, n, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(lb.lineNo))}, nil, 0, 0)),
		docNo,
		array.NewDate32Data(array.NewData(arrow.FixedWidthTypes.Date32, n, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(lb.date))}, nil, 0, 0)),
		code, name,
		lb.item.array(n), lb.iname.array(n), lb.cat.array(n),
		lb.qty.array(n), lb.price.array(n),
		array.NewFloat64Data(array.NewData(arrow.PrimitiveTypes.Float64, n, []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(lb.amount))}, nil, 0, 0)),
		array.NewInt32Data(secsData),
	}
	lines := array.NewRecordBatch(lineSchema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	secsData.Release()
	b := &lineBatch{lines: lines, hashLine: lb.hashLine, hashes: lb.hashes}
	lb.rows = 0
	lb.lineNo, lb.date, lb.amount, lb.secs, lb.noSecs, lb.hashLine, lb.hashes = nil, nil, nil, nil, bitmap{}, nil, nil
	return b
}

var viewSeq atomic.Int64

// insertLines appends batches of parsed lines to sales_lines, and their
// hashes to line_hashes, through DuckDB's Arrow scan: lines of file fileID
// of the ledger of that ledger_id.
func insertLines(ctx context.Context, conn *sql.Conn, fileID int64, ledger int32, batches []*lineBatch) error {
	if len(batches) == 0 {
		return nil
	}
	lines := make([]arrow.RecordBatch, len(batches))
	hashes := make([]arrow.RecordBatch, len(batches))
	for i, b := range batches {
		lines[i], hashes[i] = b.lines, b.sealed
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
			{custsql.Query("InsertLines"), lineSchema, lines},
			{custsql.Query("InsertLineHashes"), hashSchema, hashes},
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
			_, err = ex.ExecContext(ctx, strings.ReplaceAll(q.sql, "arrow_lines", view), []driver.NamedValue{
				{Ordinal: 1, Value: fileID}, {Ordinal: 2, Value: ledger}})
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
	ledger  int32 // its ledger_id
	lb      *lineBuilder
	repeats *repeatFilter
	names   codeNames
	pending []*lineBatch
	rows    int
}

// codeNames follows the names each customer code of a file carries: the
// codes seen with two are the only ones SaveCodeNames reads the lines of.
type codeNames struct {
	first map[string]string // code: the first name seen with it
	two   map[string]bool
	all   bool // too many codes to follow: SaveCodeNames reads every line
}

// maxCodesFollowed bounds the memory codeNames takes (some 100 MB); tests
// lower it.
var maxCodesFollowed = 1 << 20

var (
	codeColumn = lineSchema.FieldIndices("customer_code")[0]
	nameColumn = lineSchema.FieldIndices("customer_name")[0]
)

func (c *codeNames) see(lines arrow.RecordBatch) {
	if c.all {
		return
	}
	if c.first == nil {
		c.first, c.two = map[string]string{}, map[string]bool{}
	}
	codes, names := lines.Column(codeColumn).(*array.String), lines.Column(nameColumn).(*array.String)
	for i := range codes.Len() {
		if codes.IsNull(i) || names.IsNull(i) {
			continue
		}
		code, name := codes.Value(i), names.Value(i)
		first, ok := c.first[code]
		switch {
		case !ok && len(c.first) >= maxCodesFollowed:
			c.all, c.first, c.two = true, nil, nil
			return
		case !ok:
			c.first[strings.Clone(code)] = strings.Clone(name)
		case first != name && !c.two[code]:
			c.two[strings.Clone(code)] = true
		}
	}
}

// save writes the codes seen with two names of file fileID to
// code_candidates.
func (c *codeNames) save(ctx context.Context, conn *sql.Conn, fileID int64) error {
	var codes []any
	if c.all {
		codes = append(codes, nil)
	}
	for code := range c.two {
		codes = append(codes, code)
	}
	for len(codes) > 0 {
		n := min(len(codes), 256)
		q := "INSERT INTO code_candidates VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?), ", n), ", ")
		args := make([]any, 0, 2*n)
		for _, code := range codes[:n] {
			args = append(args, fileID, code)
		}
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store codes with two names: %w", err)
		}
		codes = codes[n:]
	}
	return nil
}

// newLineWriter makes the writer of the lines of file fileID of the ledger
// of that ledger_id, which holds about lines lines.
func newLineWriter(ctx context.Context, conn *sql.Conn, fileID int64, ledger int32, lines int64) *lineWriter {
	return &lineWriter{ctx: ctx, conn: conn, ledger: ledger, lb: newLineBuilder(fileID), repeats: newRepeatFilter(lines)}
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
	b.seal(w.repeats)
	w.names.see(b.lines)
	w.pending = append(w.pending, b)
	w.rows += int(b.lines.NumRows())
	if w.rows >= batchRows {
		return w.store()
	}
	return nil
}

func (w *lineWriter) store() error {
	err := insertLines(w.ctx, w.conn, w.lb.fileID, w.ledger, w.pending)
	for _, b := range w.pending {
		b.Release()
	}
	w.pending, w.rows = w.pending[:0], 0
	return err
}

// Flush stores every line added so far.
func (w *lineWriter) Flush() error {
	if b := w.lb.batch(); b != nil {
		b.seal(w.repeats)
		w.names.see(b.lines)
		w.pending = append(w.pending, b)
	}
	if err := w.store(); err != nil {
		return err
	}
	return w.names.save(w.ctx, w.conn, w.lb.fileID)
}

func (w *lineWriter) Release() {
	for _, b := range w.pending {
		b.Release()
	}
	w.pending = nil
}
