package pipeline

import (
	"context"
	"database/sql"
	"fmt"

	custsql "custcat/sql"
)

// QualityCount is how many findings one check of the customer data made.
type QualityCount struct {
	Check       string // the name in quality.csv, such as missing_phone
	About       string // what it finds, in words
	NeedsMaster bool   // it checks the master, so it finds nothing without one
	Customers   int64
}

// Quality is what the review of the customer data found as of a date.
type Quality struct {
	MasterLoaded bool           // false: the checks against the master were skipped
	Counts       []QualityCount // every check but no_master, in order
}

// CheckQuality reviews the customer data as of asOf (sql/quality.sql):
// the master's missing contacts, phones and addresses, malformed phone
// numbers, names under several codes, customers with sales missing from
// the master, and master categories that differ from the snapshot's
// segments. It stores the findings in quality_issues, replacing those of
// an earlier run for the date. Run it after Segment, on c inside the
// caller's transaction.
func CheckQuality(ctx context.Context, c *sql.Conn, asOf string, runID int64) (*Quality, error) {
	steps := []struct {
		name string
		args []any
	}{
		{"QualityMacros", nil},
		{"DeleteQuality", []any{asOf}},
		{"DeleteQualityReview", []any{asOf}},
		{"SaveQuality", []any{asOf, runID}},
		{"SaveQualityReview", []any{asOf, runID}},
	}
	for _, s := range steps {
		if _, err := c.ExecContext(ctx, custsql.Query(s.name), s.args...); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	rows, err := c.QueryContext(ctx, custsql.Query("QualityCounts"), asOf)
	if err != nil {
		return nil, fmt.Errorf("quality counts: %w", err)
	}
	defer rows.Close()
	q := &Quality{MasterLoaded: true}
	for rows.Next() {
		var n QualityCount
		if err := rows.Scan(&n.Check, &n.About, &n.NeedsMaster, &n.Customers); err != nil {
			return nil, err
		}
		if n.Check == "no_master" {
			q.MasterLoaded = n.Customers == 0
			continue
		}
		q.Counts = append(q.Counts, n)
	}
	return q, rows.Err()
}
