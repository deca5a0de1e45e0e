package pipeline

import (
	"database/sql"
	"fmt"
	"io"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// parquetReader yields the rows of a Parquet file as records of text
// cells, the column names first, so that Parquet exports go through the
// same header mapping, parsing and reject rules as CSV. DuckDB reads the
// file on a database of its own in memory, apart from the store's
// transaction, and writes each value as text: dates as 2024-10-07,
// timestamps as 2024-10-07 08:26:00, decimals in full.
type parquetReader struct {
	db    *sql.DB
	rows  *sql.Rows
	names []string
	line  int
	vals  []sql.NullString
	ptrs  []any
}

func openParquet(path string) (*parquetReader, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("open parquet reader: %w", err)
	}
	r := &parquetReader{db: sql.OpenDB(connector)}
	// COLUMNS(*) keeps each column's name while casting its values.
	r.rows, err = r.db.Query("SELECT COLUMNS(*)::VARCHAR FROM read_parquet(?)", path)
	if err != nil {
		r.db.Close()
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	if r.names, err = r.rows.Columns(); err != nil {
		r.Close()
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	r.vals = make([]sql.NullString, len(r.names))
	r.ptrs = make([]any, len(r.names))
	for i := range r.vals {
		r.ptrs[i] = &r.vals[i]
	}
	return r, nil
}

// Format says how the file is being read, for the files table and the summary.
func (r *parquetReader) Format() string { return "parquet" }

func (r *parquetReader) Close() error {
	if r.rows != nil {
		r.rows.Close()
	}
	return r.db.Close()
}

// Next returns the column names as line 1, then row n as line n+1; io.EOF
// at the end. NULL reads as a blank cell.
func (r *parquetReader) Next() (record, error) {
	r.line++
	if r.line == 1 {
		cells := append([]string(nil), r.names...)
		return record{Line: 1, Cells: cells, Raw: strings.Join(cells, "\t")}, nil
	}
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return record{}, fmt.Errorf("read parquet row %d: %w", r.line-1, err)
		}
		return record{}, io.EOF
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		return record{}, fmt.Errorf("read parquet row %d: %w", r.line-1, err)
	}
	cells := make([]string, len(r.vals))
	for i, v := range r.vals {
		cells[i] = v.String
	}
	return record{Line: r.line, Cells: cells, Raw: strings.Join(cells, "\t")}, nil
}
