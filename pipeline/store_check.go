package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	custsql "custcat/sql"
)

// Torn is a kind of row found at open that no committed run can leave,
// with how many there are.
type Torn struct {
	Table string // the table that holds them
	What  string // what they are, for the summary and the log
	Rows  int64
}

func (t Torn) String() string { return fmt.Sprintf("%d %s", t.Rows, t.What) }

// tornChecks are the rows a committed run cannot leave, in the order they
// are removed: a run that never finished before the files of runs that
// are not recorded, those before the rows of files that are not recorded,
// so that one pass removes what each removal leaves without its parent.
// Each names its count and its delete statement in sql/store_check.sql.
var tornChecks = []struct {
	table, what, name string
}{
	{"runs", "runs that never finished", "Runs"},
	{"files", "files of a run that is not recorded", "Files"},
	{"sales_lines", "sales lines of a file that is not recorded", "SalesLines"},
	{"rejects", "rejected lines of a file that is not recorded", "Rejects"},
	{"master_customers", "customer master rows of a file that is not recorded", "MasterCustomers"},
	{"snapshots", "snapshot rows of a run that is not recorded", "Snapshots"},
	{"quality_issues", "customer data findings of a run that is not recorded", "QualityIssues"},
	{"quality_reviews", "customer data reviews of a run that is not recorded", "QualityReviews"},
	{"category_exports", "category files of a run that is not recorded", "CategoryExports"},
	{"category_placed", "category files in place of a run that is not recorded", "CategoryPlaced"},
}

// sequenceState is the value a sequence gives next, read at open.
type sequenceState struct {
	name string
	next int64
}

// checkConsistency finds, at open, the rows that no committed run can
// leave. A kill inside COMMIT can leave them: DuckDB 1.5.6 may replay the
// row groups of the transaction from the WAL although the transaction
// never committed (DuckDB pull request 25931), so that, say, the lines of
// an export are there and its row in files is not, and the next run would
// load the export a second time. Repair removes them.
func (s *Store) checkConsistency(ctx context.Context) error {
	s.torn = nil
	for _, c := range tornChecks {
		var n int64
		if err := s.DB.QueryRowContext(ctx, custsql.Query("Torn"+c.name)).Scan(&n); err != nil {
			return fmt.Errorf("check %s: %w", c.table, err)
		}
		if n > 0 {
			s.torn = append(s.torn, Torn{Table: c.table, What: c.what, Rows: n})
		}
	}
	rows, err := s.DB.QueryContext(ctx, custsql.Query("SequenceState"))
	if err != nil {
		return fmt.Errorf("check sequences: %w", err)
	}
	defer rows.Close()
	s.sequences = nil
	for rows.Next() {
		var name string
		var start int64
		if err := rows.Scan(&name, &start); err != nil {
			return err
		}
		s.sequences = append(s.sequences, sequenceState{name: name, next: start})
	}
	return rows.Err()
}

// Torn lists what the check at open found that no committed run leaves;
// Repair removes it.
func (s *Store) Torn() []Torn { return s.torn }

// Repair removes, in the transaction on c, the rows the check at open
// found and those their removal leaves without their run or file, and lets the run and file numbers continue from the last ones in
// use, so that the run after a torn commit is numbered, and writes, as the
// killed one would have. It returns what it removed. Call it first in the
// transaction of a run, before any id is taken.
func (s *Store) Repair(ctx context.Context, c *sql.Conn) ([]Torn, error) {
	var removed []Torn
	for _, chk := range tornChecks {
		if len(s.torn) == 0 {
			break
		}
		res, err := c.ExecContext(ctx, custsql.Query("RemoveTorn"+chk.name))
		if err != nil {
			return nil, fmt.Errorf("remove %s: %w", chk.what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n > 0 {
			removed = append(removed, Torn{Table: chk.table, What: chk.what, Rows: n})
		}
	}
	for _, seq := range s.sequences {
		var maxID int64
		if err := c.QueryRowContext(ctx, custsql.Query("MaxID"), seq.name).Scan(&maxID); err != nil {
			return nil, fmt.Errorf("highest id of %s: %w", seq.name, err)
		}
		if seq.next <= maxID+1 {
			continue
		}
		// DuckDB has no setval: the sequence is made again. Only run code
		// takes its values (nextval in sql/), no column default.
		for _, q := range []string{
			"DROP SEQUENCE " + seq.name,
			fmt.Sprintf("CREATE SEQUENCE %s START %d", seq.name, maxID+1),
		} {
			if _, err := c.ExecContext(ctx, q); err != nil {
				return nil, fmt.Errorf("renumber %s: %w", seq.name, err)
			}
		}
	}
	s.torn, s.sequences = nil, nil
	return removed, nil
}

// TornSummary is the one line the summary and the log give for rows
// removed by Repair.
func TornSummary(removed []Torn) string {
	parts := make([]string, len(removed))
	for i, t := range removed {
		parts[i] = t.String()
	}
	return "removed rows that no committed run leaves (a run killed inside its commit): " + strings.Join(parts, ", ")
}

// Verify reads every column of every table on c, so that DuckDB checks
// the checksum of every block in use: a run reads only the blocks it
// needs, and a damaged block of data it does not need would go unnoticed
// until some later run does. It returns an ErrDamaged error naming the
// table.
func Verify(ctx context.Context, c *sql.Conn) error {
	rows, err := c.QueryContext(ctx, custsql.Query("UserTables"))
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, t := range tables {
		// The names come from the catalog, not from data; quoted all the same.
		// One sum of hashes per column: every value is read, none can be
		// answered from statistics or pruned.
		q := fmt.Sprintf(`SELECT sum(hash(COLUMNS(*)))::VARCHAR FROM "%s"`, strings.ReplaceAll(t, `"`, `""`))
		if err := scanAll(ctx, c, q); err != nil {
			if strings.Contains(err.Error(), "Corrupt database file") {
				return fmt.Errorf("%w: table %s: %v; custcat did not change it: restore the database file (store.path) from a backup, or move it aside and copy the exports from archive/ back into the inbox, so that a run loads them into a new database", ErrDamaged, t, err)
			}
			return fmt.Errorf("verify %s: %w", t, err)
		}
	}
	return nil
}

// scanAll runs q and reads its one row whole.
func scanAll(ctx context.Context, c *sql.Conn, q string) error {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(sql.NullString)
	}
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return err
		}
	}
	return rows.Err()
}
