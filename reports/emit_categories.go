package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"custcat/pipeline"
	custsql "custcat/sql"
)

var (
	// ErrUnencodable means a value holds a character that the chosen
	// encoding of the category file cannot hold.
	ErrUnencodable = errors.New("character not in encoding")
	// ErrUnknownLayout means a category layout that config checks should have refused.
	ErrUnknownLayout = errors.New("unknown category file layout")
)

// categoryPresets are the import templates of the ERPs custcat knows; the
// category column carries the segment's ERP code, which is what they import.
var categoryPresets = map[string][]pipeline.CategoryColumn{
	"kingdee": {{Field: "customer_code", Header: "客户编码"}, {Field: "customer_name", Header: "客户名称"}, {Field: "erp_code", Header: "客户类别"}},
	"yonyou":  {{Field: "customer_code", Header: "cCusCode"}, {Field: "customer_name", Header: "cCusName"}, {Field: "erp_code", Header: "cCCCode"}},
}

// numericFields hold numbers: a leading minus there is a sign, not a formula.
var numericFields = map[string]bool{"r_score": true, "f_score": true, "m_score": true,
	"recency_days": true, "frequency": true, "monetary": true, "active_months": true,
	"tenure_days": true, "avg_order_value": true, "returns_share": true,
	"top_category_share": true, "trend_ratio": true}

// CategoryLayout returns the columns of the category file that opt describes.
func CategoryLayout(opt pipeline.CategoryOutput) ([]pipeline.CategoryColumn, error) {
	switch opt.Preset {
	case "generic", "":
		cols := make([]pipeline.CategoryColumn, len(CategoryColumns))
		for i, f := range CategoryColumns {
			cols[i] = pipeline.CategoryColumn{Field: f, Header: f}
		}
		return cols, nil
	case "custom":
		if len(opt.Columns) == 0 {
			return nil, fmt.Errorf("%w: preset custom without columns", ErrUnknownLayout)
		}
		return opt.Columns, nil
	}
	cols, ok := categoryPresets[opt.Preset]
	if !ok {
		return nil, fmt.Errorf("%w: preset %q", ErrUnknownLayout, opt.Preset)
	}
	return cols, nil
}

// CategoryFile is a category file rendered and not yet written, with the
// manifest that describes it.
type CategoryFile struct {
	Data     []byte
	Manifest Manifest
}

// categoryRow is one customer: its key and its cells in CategoryColumns order.
type categoryRow struct {
	key   string
	cells []string
}

// Categories renders categories.csv (or categories.xlsx, see
// emit_template.go) for the snapshot of asOf in the layout of opt. A
// delta holds only the customers whose ERP code or tags differ from what
// the last recorded file said (see RecordCategories).
func Categories(ctx context.Context, c *sql.Conn, opt pipeline.CategoryOutput, asOf string, runID int64) (*CategoryFile, error) {
	again, err := sameAsPlaced(ctx, c, runID, asOf)
	if err != nil {
		return nil, err
	}
	rows, err := categoryRows(ctx, c, asOf, opt.Mode == "delta", again)
	if err != nil {
		return nil, err
	}
	if opt.IsXLSX() {
		return xlsxCategories(rows, opt, asOf, runID)
	}
	cols, err := CategoryLayout(opt)
	if err != nil {
		return nil, err
	}
	data, err := encodeCategories(rows, cols, opt)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	m := Manifest{File: "categories.csv", AsOf: asOf, RunID: runID, Rows: len(rows),
		SHA256: hex.EncodeToString(sum[:]), Encoding: opt.Encoding, LineEnd: opt.LineEnd,
		Delimiter: opt.Delimiter, Preset: opt.Preset, Mode: opt.Mode, Format: "csv", Categories: countCategories(rows)}
	for _, c := range cols {
		m.Columns = append(m.Columns, c.Header)
		m.Fields = append(m.Fields, c.Field)
	}
	return &CategoryFile{Data: data, Manifest: m}, nil
}

// xlsxCategories renders categories.xlsx: the template of opt (or the
// preset's layout) filled with rows.
func xlsxCategories(rows []categoryRow, opt pipeline.CategoryOutput, asOf string, runID int64) (*CategoryFile, error) {
	data, info, warnings, err := encodeXLSX(rows, opt)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	m := Manifest{File: "categories.xlsx", AsOf: asOf, RunID: runID, Rows: len(rows),
		SHA256: hex.EncodeToString(sum[:]), Preset: opt.Preset, Mode: opt.Mode, Format: "xlsx",
		Template: info, Categories: countCategories(rows)}
	for _, w := range warnings {
		m.Warnings = append(m.Warnings, "template: "+w)
	}
	m.Columns, m.Fields = info.columns, info.fields
	return &CategoryFile{Data: data, Manifest: m}, nil
}

// countCategories counts the rows of each ERP code.
func countCategories(rows []categoryRow) map[string]int {
	i := slices.Index(CategoryColumns, "erp_code")
	n := map[string]int{}
	for _, r := range rows {
		n[r.cells[i]]++
	}
	return n
}

// Execer is what outputs write state through: a *sql.DB, *sql.Conn or *sql.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// RecordCategories remembers what f will tell the ERP, in the run's
// transaction; it counts as told for the next delta only once the file is
// in place and PlaceCategories has run.
func RecordCategories(ctx context.Context, x Execer, f *CategoryFile) error {
	m := f.Manifest
	if _, err := x.ExecContext(ctx, custsql.Query("ClearPendingCategoryState")); err != nil {
		return err
	}
	if _, err := x.ExecContext(ctx, custsql.Query("SavePendingCategoryState"), m.AsOf); err != nil {
		return err
	}
	_, err := x.ExecContext(ctx, custsql.Query("RecordCategoryExport"), m.RunID, m.AsOf, m.Preset, m.Mode, m.Encoding, m.Rows, m.SHA256)
	return err
}

// PlaceCategories makes the state recorded with the category file m, now
// in place, the ERP's state: the next delta holds the changes since this
// file. Call it after the rename, in its own transaction. If it never runs
// (the process is killed first), the next delta repeats this one's changes
// rather than losing them. The state before is kept, so that a rerun on
// the same inputs writes this same file again.
func PlaceCategories(ctx context.Context, x interface {
	Querier
	Execer
}, m Manifest) error {
	again, err := sameAsPlaced(ctx, x, m.RunID, m.AsOf)
	if err != nil {
		return err
	}
	steps := []string{"ClearPrevCategoryState", "SavePrevCategoryState", "ClearCategoryState", "PlaceCategoryState", "ClearPendingCategoryState", "ClearPlaced"}
	if again {
		steps = steps[2:]
	}
	for _, q := range steps {
		if _, err := x.ExecContext(ctx, custsql.Query(q)); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	_, err = x.ExecContext(ctx, custsql.Query("SavePlaced"), m.RunID, m.AsOf)
	return err
}

// categoryRows reads the rows of CategoryRows, every cell text, as an Arrow
// stream: through database/sql, scanning 50,000 customers of 25 cells took
// 0.75 s of a nightly run.
func categoryRows(ctx context.Context, c *sql.Conn, args ...any) ([]categoryRow, error) {
	var rows []categoryRow
	err := pipeline.WithArrow(c, func(ar *duckdb.Arrow, _ driver.Conn) error {
		rr, err := ar.QueryContext(ctx, custsql.Query("CategoryRows"), args...)
		if err != nil {
			return err
		}
		defer rr.Release()
		for rr.Next() {
			rec := rr.RecordBatch()
			cols := make([]*array.String, rec.NumCols())
			for i := range cols {
				s, ok := rec.Column(i).(*array.String)
				if !ok {
					return fmt.Errorf("column %s is %s, not text", rec.ColumnName(i), rec.Column(i).DataType())
				}
				cols[i] = s
			}
			for r := range int(rec.NumRows()) {
				row := categoryRow{cells: make([]string, len(cols)-1)}
				for i, col := range cols {
					if col.IsNull(r) {
						return fmt.Errorf("read row %d: column %s is NULL", len(rows)+1, rec.ColumnName(i))
					}
					// The value points into the record, which is released.
					v := strings.Clone(col.Value(r))
					if i == 0 {
						row.key = v
					} else {
						row.cells[i-1] = v
					}
				}
				rows = append(rows, row)
			}
		}
		return rr.Err()
	})
	return rows, err
}

// sameAsPlaced says whether the category file in place was made from the
// inputs of run runID as of asOf.
func sameAsPlaced(ctx context.Context, q Querier, runID int64, asOf string) (bool, error) {
	rows, err := q.QueryContext(ctx, custsql.Query("SameAsPlaced"), runID, asOf)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var again bool
	if rows.Next() {
		if err := rows.Scan(&again); err != nil {
			return false, err
		}
	}
	return again, rows.Err()
}

// encodeCategories writes rows as CSV in the columns, delimiter, line end
// and encoding of opt. A value the encoding cannot hold is an error naming
// its customer: a silent '?' would import as a wrong name.
func encodeCategories(rows []categoryRow, cols []pipeline.CategoryColumn, opt pipeline.CategoryOutput) ([]byte, error) {
	index := map[string]int{}
	for i, f := range CategoryColumns {
		index[f] = i
	}
	for _, c := range cols {
		if _, ok := index[c.Field]; !ok {
			return nil, fmt.Errorf("%w: field %q", ErrUnknownLayout, c.Field)
		}
	}
	var enc *encoding.Encoder
	var out bytes.Buffer
	switch opt.Encoding {
	case "utf-8-bom", "":
		out.WriteString("\ufeff")
	case "utf-8":
	case "gbk":
		enc = simplifiedchinese.GBK.NewEncoder()
	case "gb18030":
		enc = simplifiedchinese.GB18030.NewEncoder()
	default:
		return nil, fmt.Errorf("%w: encoding %q", ErrUnknownLayout, opt.Encoding)
	}
	var line bytes.Buffer
	w := csv.NewWriter(&line)
	if opt.Delimiter != "" {
		w.Comma = []rune(opt.Delimiter)[0]
	}
	w.UseCRLF = opt.LineEnd != "lf"
	// put writes one record through the encoder; who names the record in errors.
	put := func(record []string, who string) error {
		line.Reset()
		if err := w.Write(record); err != nil {
			return err
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		if enc == nil {
			out.Write(line.Bytes())
			return nil
		}
		b, err := enc.Bytes(line.Bytes())
		if err == nil {
			out.Write(b)
			return nil
		}
		for i, v := range record {
			if _, err := enc.String(v); err != nil {
				return fmt.Errorf("%s, column %s: %q: %w %s; remove the character, or write outputs.categories.encoding: gb18030 or utf-8-bom",
					who, cols[i].Header, v, ErrUnencodable, opt.Encoding)
			}
		}
		return fmt.Errorf("%s: %w %s", who, err, opt.Encoding)
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Header
	}
	if err := put(header, "header"); err != nil {
		return nil, err
	}
	record := make([]string, len(cols))
	for _, r := range rows {
		for i, c := range cols {
			record[i] = neutralise(c.Field, r.cells[index[c.Field]])
		}
		if err := put(record, "customer "+r.cells[index["customer_code"]]); err != nil {
			return nil, err
		}
	}
	return out.Bytes(), nil
}

// neutralise keeps a spreadsheet from reading a cell as a formula (CSV
// injection): a leading = + - @ tab or carriage return gets a quote before
// it, except a number in a numeric column, whose minus is a sign.
func neutralise(field, v string) string {
	if v == "" {
		return v
	}
	switch v[0] {
	case '=', '+', '-', '@', '\t', '\r':
	default:
		return v
	}
	if numericFields[field] {
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return v
		}
	}
	return "'" + v
}

// StaleCategoryFile warns of a category file of the other format left in
// out by runs before the config changed: an import job may still read it.
func StaleCategoryFile(out, file string) string {
	other := map[string]string{"categories.csv": "categories.xlsx", "categories.xlsx": "categories.csv"}[file]
	if other == "" {
		return ""
	}
	if _, err := os.Stat(filepath.Join(out, other)); err != nil {
		return ""
	}
	return fmt.Sprintf("%s in the out folder is from runs before the category file became %s; delete it, so that no import reads it", other, file)
}
