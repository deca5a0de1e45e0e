package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	custsql "custcat/sql"
)

// Segment computes the snapshot of as-of date asOf: features, cut points,
// scores, segments and tags, stored in snapshots and snapshot_cuts.
// It runs on c inside the caller's transaction.
func Segment(ctx context.Context, c *sql.Conn, cfg *Config, asOf string, runID int64) error {
	if err := computeFeatures(ctx, c, asOf, cfg.WindowDays); err != nil {
		return err
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

// featureBytesPerLine is the memory_limit that Features may take per line
// of one part. Its memory grows with the documents it groups (at 10M lines
// in one part it needed 48-64MB), so the customers are split into parts of
// at most memory_limit / featureBytesPerLine lines each: one part at 10M
// lines with 512MB, seven at 100M. A part costs a scan of the lines (about
// 0.3 s at 10M lines), so the budget is generous.
const featureBytesPerLine = 32

// computeFeatures fills the temp table features as of asOf over a window of
// window days (Features), in as many parts as featureParts asks.
func computeFeatures(ctx context.Context, c *sql.Conn, asOf string, window int) error {
	var lines int64
	var limit string
	if err := c.QueryRowContext(ctx, custsql.Query("FeatureParts")).Scan(&lines, &limit); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	return fillFeatures(ctx, c, asOf, window, featureParts(lines, limit))
}

// fillFeatures fills the temp table features with Features run once for
// each of parts parts of the customers.
func fillFeatures(ctx context.Context, c *sql.Conn, asOf string, window, parts int) error {
	if _, err := c.ExecContext(ctx, custsql.Query("CreateFeatures")); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	for part := range parts {
		if _, err := c.ExecContext(ctx, custsql.Query("Features"), asOf, window, parts, part); err != nil {
			if parts > 1 {
				return fmt.Errorf("features, part %d of %d: %w", part+1, parts, err)
			}
			return fmt.Errorf("features: %w", err)
		}
	}
	return nil
}

// featureParts is the number of parts Features splits the customers into
// for lines sales lines under DuckDB's memory_limit as DuckDB shows it
// ("488.2 MiB"). A limit it cannot read gives one part: the parts change how
// much memory Features needs, never its result.
func featureParts(lines int64, limit string) int {
	bytes, ok := parseDuckDBBytes(limit)
	if !ok || bytes <= 0 {
		return 1
	}
	parts := math.Ceil(float64(lines) * featureBytesPerLine / bytes)
	if parts < 1 {
		return 1
	}
	return int(parts)
}

// parseDuckDBBytes reads an amount of memory as DuckDB prints its settings:
// a number, a space and a unit of 1024s (bytes, KiB, MiB, GiB, TiB, PiB), or
// of 1000s (KB, MB, ...).
func parseDuckDBBytes(s string) (float64, bool) {
	num, unit, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	units := map[string]float64{"bytes": 1, "b": 1,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15}
	m, ok := units[strings.ToLower(strings.TrimSpace(unit))]
	if !ok {
		return 0, false
	}
	return x * m, true
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
	if err := applyRulesSandboxed(ctx, c, q, args, ruleLimits(cfg)); err != nil {
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
