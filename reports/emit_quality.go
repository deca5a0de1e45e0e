package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"

	custsql "custcat/sql"
)

// QualityColumns are the columns of quality.csv.
var QualityColumns = []string{"check", "customer_code", "customer_name", "detail"}

// QualityFile renders quality.csv: what the review of the customer data
// found as of asOf, one row per finding, by check and customer. Like
// categories.csv it is UTF-8 with a BOM and CRLF line ends, for Excel, and
// no cell can start a formula.
func QualityFile(ctx context.Context, q Querier, asOf string) ([]byte, error) {
	rows, err := q.QueryContext(ctx, custsql.Query("QualityRows"), asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	if err := w.Write(QualityColumns); err != nil {
		return nil, err
	}
	cells := make([]string, len(QualityColumns))
	ptrs := make([]any, len(cells))
	for i := range cells {
		ptrs[i] = &cells[i]
	}
	for n := 1; rows.Next(); n++ {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read row %d: %w", n, err)
		}
		for i, v := range cells {
			cells[i] = neutralise(QualityColumns[i], v)
		}
		if err := w.Write(cells); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
