package pipeline

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

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
// The rules of a run that take longer than RuleTimeLimit are interrupted.
// Their memory is bounded by what they may call: CheckRules admits only
// functions that give values no larger than their arguments and the rule's
// text (ruleFunctions), so the sandbox holds about the scores and no more.
// DuckDB's memory_limit is set there too, with no disk to spill to
// (max_temp_directory_size 0), but it bounds DuckDB's buffers only: in
// DuckDB 1.5.6 neither an in-memory table nor the value a function builds
// (a list of range(100000000) took 9 GB) counts against it.
const sandboxDSN = "?enable_external_access=false&autoinstall_known_extensions=false&autoload_known_extensions=false&allow_community_extensions=false&threads=1&max_temp_directory_size=0B&lock_configuration=true"

// RuleTimeLimit is how long applying the rules may take: all of them in a
// run, each in custcat check.
const RuleTimeLimit = time.Minute

// SandboxLimits bound the rule sandbox of one run.
type SandboxLimits struct {
	Memory string        // DuckDB's memory_limit in the sandbox
	Time   time.Duration // for applying all the rules
}

// ruleLimits are the bounds of the rules of a run: the memory the config
// gives the store, and RuleTimeLimit.
func ruleLimits(cfg *Config) SandboxLimits {
	mem := cfg.Store.MemoryLimit
	if mem == "" {
		mem = DefaultConfig().Store.MemoryLimit
	}
	return SandboxLimits{Memory: mem, Time: RuleTimeLimit}
}

// openSandbox opens the sandbox DuckDB.
func openSandbox(lim SandboxLimits) (*sql.DB, error) {
	dsn := sandboxDSN
	if lim.Memory != "" {
		dsn += "&memory_limit=" + url.QueryEscape(lim.Memory)
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("open rule sandbox: %w", err)
	}
	return sql.OpenDB(connector), nil
}

// applyRulesSandboxed runs query, which makes the temp table segmented
// from scores, in the sandbox on a copy of the scores table of c, and
// brings back what it added to each customer: segmented on c is then the
// scores with those columns.
func applyRulesSandboxed(ctx context.Context, c *sql.Conn, query string, args []any, lim SandboxLimits) error {
	err := applyRulesIn(ctx, c, query, args, lim)
	return limitError(err, ctx, lim)
}

// limitError says which bound of the sandbox a failed rule ran into.
func limitError(err error, ctx context.Context, lim SandboxLimits) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded),
		ctx.Err() == nil && strings.Contains(err.Error(), "INTERRUPT"):
		return fmt.Errorf("the segment and tag rules took longer than %v, the limit of a run; make them simpler: %w", lim.Time, err)
	case strings.Contains(err.Error(), "Out of Memory"):
		return fmt.Errorf("the segment and tag rules needed more memory than the %s of store.memory_limit; make them simpler: %s", lim.Memory, firstLine(err.Error()))
	}
	return err
}

func applyRulesIn(ctx context.Context, c *sql.Conn, query string, args []any, lim SandboxLimits) error {
	if lim.Time > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lim.Time)
		defer cancel()
	}
	box, err := openSandbox(lim)
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
