package reports

import (
	"context"
	"fmt"
	"strings"

	custsql "custcat/sql"
)

// CustomersParquet has DuckDB write the snapshot of asOf, every column with
// tags as a list and runID as its run, to a temporary file beside path, for BI tools. The file
// is put in place by Commit, after the run commits, like the other outputs.
func CustomersParquet(ctx context.Context, x Execer, asOf string, runID int64, path string) (*Pending, error) {
	p, err := Reserve(path)
	if err != nil {
		return nil, err
	}
	// COPY cannot bind its file name; the name is ours (a temp file in the
	// out folder), and doubling single quotes keeps it one string literal.
	target := strings.ReplaceAll(p.Temp(), "'", "''")
	// USE_TMP_FILE false: the target is our temporary file already, and a
	// process killed while DuckDB wrote its own "tmp_" copy beside it left
	// that copy behind, where no later run removed it.
	stmt := fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet, USE_TMP_FILE false)", custsql.Query("CustomerParquetRows"), target)
	if _, err := x.ExecContext(ctx, stmt, asOf, runID); err != nil {
		p.Abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := p.Adopt(); err != nil {
		p.Abort()
		return nil, err
	}
	return p, nil
}
