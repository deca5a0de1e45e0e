package reports

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"

	custsql "custcat/sql"
)

// CategoryColumns are the columns of categories.csv, in order.
var CategoryColumns = []string{"customer_code", "customer_name", "segment_code", "segment_name", "erp_code",
	"tags", "r_score", "f_score", "m_score", "abc_class", "recency_days", "frequency", "monetary",
	"active_months", "tenure_days", "avg_order_value", "returns_share", "top_category",
	"top_category_share", "trend_ratio", "prev_segment", "segment_since"}

// RejectColumns are the columns of rejects.csv.
var RejectColumns = []string{"file", "line", "reason", "raw"}

// Categories renders categories.csv for the snapshot of asOf: UTF-8 with a
// byte order mark, so that Excel opens Chinese text right.
func Categories(ctx context.Context, q Querier, asOf string) ([]byte, int, error) {
	return textTable(ctx, q, CategoryColumns, custsql.Query("CategoryRows"), asOf)
}

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
		if err := w.Write(cells); err != nil {
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
