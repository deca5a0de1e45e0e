package pipeline

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/duckdb/duckdb-go/v2"
)

// batchRows is how many parsed lines travel to DuckDB in one Arrow record batch.
const batchRows = 1 << 16

// stageSchema is the Arrow form of a parsed sales line, as the temp table
// stage_lines holds it.
var stageSchema = arrow.NewSchema([]arrow.Field{
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

// stageWriter collects parsed lines into Arrow record batches and hands
// each full batch to DuckDB's Arrow scan, appending it to stage_lines.
type stageWriter struct {
	ctx    context.Context
	conn   *sql.Conn
	fileID int64
	ledger string
	b      *array.RecordBuilder
	rows   int
	seq    int
}

func newStageWriter(ctx context.Context, conn *sql.Conn, fileID int64, ledger string) *stageWriter {
	return &stageWriter{ctx: ctx, conn: conn, fileID: fileID, ledger: ledger,
		b: array.NewRecordBuilder(memory.DefaultAllocator, stageSchema)}
}

func (w *stageWriter) Add(l *SalesLine) error {
	f := w.b.Fields()
	f[0].(*array.Int64Builder).Append(w.fileID)
	f[1].(*array.Int32Builder).Append(int32(l.Line))
	f[2].(*array.StringBuilder).Append(w.ledger)
	if l.DocNo == "" {
		f[3].(*array.StringBuilder).Append(fmt.Sprintf("#%d:%d", w.fileID, l.Line))
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
	for i, s := range []string{l.CustomerCode, l.CustomerName, l.ItemCode, l.ItemName, l.Category} {
		sb := f[7+i].(*array.StringBuilder)
		if s == "" {
			sb.AppendNull()
		} else {
			sb.Append(s)
		}
	}
	for i, v := range []*float64{l.Quantity, l.UnitPrice} {
		fb := f[12+i].(*array.Float64Builder)
		if v == nil {
			fb.AppendNull()
		} else {
			fb.Append(*v)
		}
	}
	f[14].(*array.Float64Builder).Append(l.Amount)
	if l.Secs == NoTime {
		f[15].(*array.Int32Builder).AppendNull()
	} else {
		f[15].(*array.Int32Builder).Append(l.Secs)
	}
	w.rows++
	if w.rows >= batchRows {
		return w.Flush()
	}
	return nil
}

// Flush sends the lines collected so far to stage_lines.
func (w *stageWriter) Flush() error {
	if w.rows == 0 {
		return nil
	}
	rec := w.b.NewRecordBatch()
	defer rec.Release()
	w.rows = 0
	w.seq++
	reader, err := array.NewRecordReader(stageSchema, []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer reader.Release()
	view := fmt.Sprintf("arrow_batch_%d_%d", w.fileID, w.seq)
	err = w.conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		release, err := ar.RegisterView(reader, view)
		if err != nil {
			return err
		}
		defer release()
		_, err = dc.(driver.ExecerContext).ExecContext(w.ctx, "INSERT INTO stage_lines SELECT * FROM "+view, nil)
		if err != nil {
			return err
		}
		_, err = dc.(driver.ExecerContext).ExecContext(w.ctx, "DROP VIEW "+view, nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("stage lines: %w", err)
	}
	return nil
}

func (w *stageWriter) Release() { w.b.Release() }
