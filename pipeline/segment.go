package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	custsql "custcat/sql"
)

// Segment computes the snapshot of as-of date asOf: features, cut points,
// scores, segments and tags, stored in snapshots and snapshot_cuts.
// It runs on c inside the caller's transaction.
func Segment(ctx context.Context, c *sql.Conn, cfg *Config, asOf string, runID int64) error {
	if _, err := c.ExecContext(ctx, custsql.Query("Features"), asOf, cfg.WindowDays); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	if err := computeCuts(ctx, c, cfg); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, custsql.Query("Scores"), cfg.Scoring.Pareto.A, cfg.Scoring.Pareto.B); err != nil {
		return fmt.Errorf("scores: %w", err)
	}
	if err := applyRules(ctx, c, cfg); err != nil {
		return err
	}
	// The snapshot's warnings are replaced with it; the manual file's come first.
	if _, err := c.ExecContext(ctx, custsql.Query("DeleteNotes"), asOf); err != nil {
		return err
	}
	if err := applyManual(ctx, c, cfg, asOf); err != nil {
		return err
	}
	steps := []struct {
		name string
		args []any
	}{
		{"Effective", []any{asOf, cfg.DowngradeAfterRuns}},
		{"DeleteCuts", []any{asOf}},
		{"SaveCuts", []any{asOf, cfg.Scoring.Method}},
		{"OldSnapshot", []any{asOf}},
		{"DeleteSnapshot", []any{asOf}},
		{"SaveSnapshot", []any{asOf, runID}},
		{"KeepSnapshotRun", []any{asOf, runID}},
		{"SaveCutNotes", []any{asOf}},
		{"SaveManualNotes", []any{asOf}},
	}
	for _, s := range steps {
		if _, err := c.ExecContext(ctx, custsql.Query(s.name), s.args...); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// applyManual loads the manual lines in force on asOf into the temp table
// manual_entries, and keeps a note per line that could not be used.
func applyManual(ctx context.Context, c *sql.Conn, cfg *Config, asOf string) error {
	entries, problems, err := ReadManual(cfg)
	if err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, custsql.Query("ManualEntries")); err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Active(asOf) {
			continue
		}
		if _, err := c.ExecContext(ctx, custsql.Query("InsertManualEntry"), e.Line, e.Customer, nullString(e.Tag), nullString(e.Segment)); err != nil {
			return fmt.Errorf("manual entry line %d: %w", e.Line, err)
		}
	}
	for _, p := range problems {
		if _, err := c.ExecContext(ctx, custsql.Query("InsertNote"), asOf, "manual_bad_line", filepath.Base(cfg.Manual), p); err != nil {
			return err
		}
	}
	return nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Note is a warning of a snapshot: collapsed cut points, a manual line
// that could not be applied.
type Note struct {
	Kind    string
	Subject string
	Detail  string
}

// String says the note in one line for the run summary.
func (n Note) String() string {
	switch n.Kind {
	case "collapsed_cuts":
		return fmt.Sprintf("cut points of %s collapsed (many customers share a value): %s; equal cut points merge score bins", n.Subject, n.Detail)
	case "no_scored_customers":
		return "no customer could be scored: " + n.Detail
	case "manual_unknown_customer":
		return fmt.Sprintf("manual file: customer %s (%s) is not a known customer; its line is not applied", n.Subject, n.Detail)
	default:
		return n.Detail
	}
}

// Notes returns the warnings of the snapshot of asOf.
func Notes(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, asOf string) ([]Note, error) {
	rows, err := q.QueryContext(ctx, custsql.Query("SnapshotNotes"), asOf)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Note
	for rows.Next() {
		var n Note
		if err := rows.Scan(&n.Kind, &n.Subject, &n.Detail); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func computeCuts(ctx context.Context, c *sql.Conn, cfg *Config) error {
	var err error
	switch cfg.Scoring.Method {
	case "thresholds":
		t := cfg.Scoring.Thresholds
		_, err = c.ExecContext(ctx, custsql.Query("ThresholdCuts"), listLiteral(t.RecencyDays), listLiteral(t.Frequency), listLiteral(t.Monetary))
	default:
		qs := make([]float64, cfg.Scoring.Bins-1)
		for i := range qs {
			qs[i] = float64(i+1) / float64(cfg.Scoring.Bins)
		}
		_, err = c.ExecContext(ctx, custsql.Query("QuantileCuts"), listLiteral(qs))
	}
	if err != nil {
		return fmt.Errorf("cut points: %w", err)
	}
	return nil
}

// listLiteral binds a list of numbers as the text of a DuckDB list, which
// the statements cast with ::DOUBLE[].
func listLiteral(xs []float64) string {
	b, _ := json.Marshal(xs)
	return string(b)
}

// applyRules assigns each customer its segment (the first rule that holds)
// and its tags. The rule expressions are the config's own SQL, checked by
// CheckRules and run in a sandbox (rules_sandbox.go); everything else is bound.
func applyRules(ctx context.Context, c *sql.Conn, cfg *Config) error {
	if _, err := c.ExecContext(ctx, custsql.Query("SegmentDefs")); err != nil {
		return err
	}
	for i, s := range cfg.Segments {
		if _, err := c.ExecContext(ctx, custsql.Query("InsertSegmentDef"), i, s.Code, s.Name, s.ERPCode); err != nil {
			return err
		}
	}
	q, args := rulesQuery(cfg)
	if err := applyRulesSandboxed(ctx, c, q, args); err != nil {
		return fmt.Errorf("segment rules: %w", err)
	}
	return nil
}

// rulesQuery builds the statement that applies the segment and tag rules
// to the scores table.
func rulesQuery(cfg *Config) (string, []any) {
	var b strings.Builder
	b.WriteString("CREATE OR REPLACE TEMP TABLE segmented AS\nSELECT s.*,\n    CASE")
	for i, seg := range cfg.Segments {
		fmt.Fprintf(&b, "\n        WHEN (%s) THEN %d", seg.When, i)
	}
	b.WriteString("\n    END AS rule_index,\n    list_filter([")
	names := make([]string, len(cfg.Tags))
	for i, t := range cfg.Tags {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "\n        CASE WHEN (%s) THEN $%d END", t.When, i+3)
		names[i] = t.Name
	}
	b.WriteString("\n    ] || [CASE WHEN s.top_category_share >= $1 AND $1 > 0 THEN $2 || s.top_category END], lambda t: t IS NOT NULL)::VARCHAR[] AS tags\n")
	b.WriteString("FROM scores s")
	args := []any{cfg.Preference.Share, cfg.Preference.Prefix}
	for _, n := range names {
		args = append(args, n)
	}
	return b.String(), args
}
