package reports

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"

	"custcat/pipeline"
	custsql "custcat/sql"
)

// CategoryColumns are the fields of the generic categories.csv, in order.
var CategoryColumns = pipeline.CategoryFields

// RejectColumns are the columns of rejects.csv.
var RejectColumns = []string{"file", "line", "reason", "raw"}

// Rejects renders rejects.csv: each rejected line with its file, line and reason.
func Rejects(ctx context.Context, q Querier) ([]byte, int, error) {
	return textTable(ctx, q, RejectColumns, custsql.Query("RejectRows"))
}

// Querier is what outputs read from: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func textTable(ctx context.Context, q Querier, header []string, query string, args ...any) ([]byte, int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	if err := w.Write(header); err != nil {
		return nil, 0, err
	}
	cells := make([]string, len(header))
	ptrs := make([]any, len(header))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, 0, fmt.Errorf("read row %d: %w", n+1, err)
		}
		out := make([]string, len(cells))
		for i, c := range cells {
			out[i] = neutralise(header[i], c) // raw lines and file names are text from outside
		}
		if err := w.Write(out); err != nil {
			return nil, 0, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	w.Flush()
	return buf.Bytes(), n, w.Error()
}
