package pipeline

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// The segment and tag rules are the config's own SQL. CheckRules refuses
// anything but one expression over the customer's features, and the rules
// are applied in a sandbox besides: a DuckDB in memory that holds nothing
// but a copy of the scores, cannot read or write files or the network
// (enable_external_access), load extensions, or change its settings
// (lock_configuration). Whatever a rule might get past the check (a
// second statement, COPY, ATTACH, read_csv, INSTALL, SET) fails there and
// cannot reach the database of the run.
const sandboxDSN = "?enable_external_access=false&autoinstall_known_extensions=false&autoload_known_extensions=false&allow_community_extensions=false&threads=1&lock_configuration=true"

// openSandbox opens the sandbox DuckDB.
func openSandbox() (*sql.DB, error) {
	connector, err := duckdb.NewConnector(sandboxDSN, nil)
	if err != nil {
		return nil, fmt.Errorf("open rule sandbox: %w", err)
	}
	return sql.OpenDB(connector), nil
}

// applyRulesSandboxed runs query, which makes the temp table segmented
// from scores, in the sandbox on a copy of the scores table of c, and
// brings back what it added to each customer: segmented on c is then the
// scores with those columns.
func applyRulesSandboxed(ctx context.Context, c *sql.Conn, query string, args []any) error {
	box, err := openSandbox()
	if err != nil {
		return err
	}
	defer box.Close()
	bc, err := box.Conn(ctx)
	if err != nil {
		return err
	}
	defer bc.Close()

	// The scores travel as an Arrow stream, read once by the sandbox.
	err = WithArrow(c, func(store *duckdb.Arrow, _ driver.Conn) error {
		scores, err := store.QueryContext(ctx, "SELECT * FROM scores")
		if err != nil {
			return fmt.Errorf("read scores: %w", err)
		}
		defer scores.Release()
		return WithArrow(bc, func(sandbox *duckdb.Arrow, dc driver.Conn) error {
			release, err := sandbox.RegisterView(scores, "scores")
			if err != nil {
				return err
			}
			defer release()
			named := make([]driver.NamedValue, len(args))
			for i, a := range args {
				named[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
			}
			_, err = dc.(driver.ExecerContext).ExecContext(ctx, query, named)
			return err
		})
	})
	if err != nil {
		return err
	}

	added, err := addedColumns(ctx, c, bc)
	if err != nil {
		return err
	}
	return WithArrow(bc, func(sandbox *duckdb.Arrow, _ driver.Conn) error {
		results, err := sandbox.QueryContext(ctx, "SELECT customer_key, "+strings.Join(added, ", ")+" FROM segmented")
		if err != nil {
			return fmt.Errorf("read rule results: %w", err)
		}
		defer results.Release()
		return WithArrow(c, func(store *duckdb.Arrow, dc driver.Conn) error {
			release, err := store.RegisterView(results, "rule_results")
			if err != nil {
				return err
			}
			defer release()
			ex := dc.(driver.ExecerContext)
			if _, err := ex.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE segmented AS
				SELECT s.*, r.* EXCLUDE (customer_key)
				FROM scores s LEFT JOIN rule_results r ON r.customer_key = s.customer_key`, nil); err != nil {
				return err
			}
			_, err = ex.ExecContext(ctx, "DROP VIEW rule_results", nil)
			return err
		})
	})
}

// addedColumns lists, quoted, the columns of segmented in the sandbox that
// scores on c does not have.
func addedColumns(ctx context.Context, c, sandbox *sql.Conn) ([]string, error) {
	have := map[string]bool{}
	if err := eachName(ctx, c, "SELECT column_name FROM (DESCRIBE scores)", func(n string) { have[n] = true }); err != nil {
		return nil, err
	}
	var added []string
	err := eachName(ctx, sandbox, "SELECT column_name FROM (DESCRIBE segmented)", func(n string) {
		if !have[n] {
			added = append(added, `"`+strings.ReplaceAll(n, `"`, `""`)+`"`)
		}
	})
	if err == nil && len(added) == 0 {
		err = fmt.Errorf("the rules added no column to the scores")
	}
	return added, err
}

func eachName(ctx context.Context, c *sql.Conn, query string, fn func(string)) error {
	rows, err := c.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		fn(n)
	}
	return rows.Err()
}

// WithArrow calls fn with the Arrow interface and the driver connection of c.
func WithArrow(c *sql.Conn, fn func(*duckdb.Arrow, driver.Conn) error) error {
	return c.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		return fn(ar, dc.(driver.Conn))
	})
}
