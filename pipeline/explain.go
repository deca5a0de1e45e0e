package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	custsql "custcat/sql"
)

// ErrNoCustomer means explain found no snapshot of the customer asked for.
var ErrNoCustomer = errors.New("no such customer")

// Explanation is why a customer holds its segment and tags on one as-of
// date: its features, the cut points and scores, each rule tried, and its
// history.
type Explanation struct {
	Key, Code, Name string
	AsOf            string
	Values          map[string]string // the snapshot's columns as text; "" for NULL
	Tags            []string
	Cuts            []CutPoints
	Segments        []RuleResult // the segment rules in order; Tried false after the first match
	Fired           int          // index into Segments of the first match; -1 when none
	TagRules        []RuleResult
	Manual          []ManualEntry // the manual file's lines for this customer
	History         []HistoryRow
}

// CutPoints are the cut points of one metric in a snapshot.
type CutPoints struct {
	Metric    string
	Method    string
	Cuts      []float64
	Collapsed bool
}

// RuleResult is one rule condition evaluated for the customer.
type RuleResult struct {
	Code, Name, When string
	Tried            bool
	Result           sql.NullBool // NULL when a value it reads is empty
}

// HistoryRow is the customer's segment in one snapshot.
type HistoryRow struct {
	AsOf, Segment, RuleSegment string
	Manual                     bool
	BelowRuns                  int
	Prev, Since, Trigger       string
}

// Explain reads the snapshot of customer (its code, key or name) as of
// asOf (the latest snapshot when empty) and evaluates the config's rules
// on it again. The rule conditions must have passed CheckRules.
func Explain(ctx context.Context, c *sql.Conn, cfg *Config, customer, asOf string) (*Explanation, error) {
	e := &Explanation{Fired: -1, Values: map[string]string{}}
	rows, err := c.QueryContext(ctx, custsql.Query("ExplainFind"), customer)
	if err != nil {
		return nil, err
	}
	var found [][3]string
	for rows.Next() {
		var f [3]string
		if err := rows.Scan(&f[0], &f[1], &f[2]); err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, f)
	}
	rows.Close()
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%w: no snapshot holds a customer with code, key or name %q", ErrNoCustomer, customer)
	case 1:
	default:
		var keys []string
		for _, f := range found {
			keys = append(keys, f[0])
		}
		return nil, fmt.Errorf("%q names %d customers (%s); give the customer code", customer, len(found), strings.Join(keys, ", "))
	}
	e.Key, e.Code, e.Name = found[0][0], found[0][1], found[0][2]
	if asOf == "" {
		if err := c.QueryRowContext(ctx, custsql.Query("ExplainLatest"), e.Key).Scan(&asOf); err != nil {
			return nil, err
		}
	}
	e.AsOf = asOf
	if err := e.readSnapshot(ctx, c); err != nil {
		return nil, err
	}
	if err := e.readCuts(ctx, c); err != nil {
		return nil, err
	}
	if err := e.evaluate(ctx, c, cfg); err != nil {
		return nil, err
	}
	manual, _, err := ReadManual(cfg)
	if err != nil {
		return nil, err
	}
	for _, m := range manual {
		if m.Customer == e.Key {
			e.Manual = append(e.Manual, m)
		}
	}
	return e, e.readHistory(ctx, c)
}

func (e *Explanation) readSnapshot(ctx context.Context, c *sql.Conn) error {
	rows, err := c.QueryContext(ctx, custsql.Query("ExplainSnapshot"), e.AsOf, e.Key)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("%w: customer %s has no snapshot as of %s", ErrNoCustomer, e.Key, e.AsOf)
	}
	vals := make([]sql.NullString, len(cols)-1)
	var tags []any
	ptrs := make([]any, 0, len(cols))
	for i := range vals {
		ptrs = append(ptrs, &vals[i])
	}
	ptrs = append(ptrs, &tags)
	if err := rows.Scan(ptrs...); err != nil {
		return err
	}
	for i, v := range vals {
		e.Values[cols[i]] = v.String
	}
	for _, t := range tags {
		e.Tags = append(e.Tags, fmt.Sprint(t))
	}
	return rows.Err()
}

func (e *Explanation) readCuts(ctx context.Context, c *sql.Conn) error {
	rows, err := c.QueryContext(ctx, custsql.Query("ExplainCuts"), e.AsOf)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var cp CutPoints
		var cuts []any
		if err := rows.Scan(&cp.Metric, &cp.Method, &cuts, &cp.Collapsed); err != nil {
			return err
		}
		for _, x := range cuts {
			if f, ok := x.(float64); ok {
				cp.Cuts = append(cp.Cuts, f)
			}
		}
		e.Cuts = append(e.Cuts, cp)
	}
	return rows.Err()
}

// evaluate tries each segment rule in order, as the run did, and every tag
// rule, in the rule sandbox on a copy of the customer's scores.
func (e *Explanation) evaluate(ctx context.Context, c *sql.Conn, cfg *Config) error {
	if _, err := c.ExecContext(ctx, custsql.Query("ExplainScores"), e.AsOf, e.Key); err != nil {
		return err
	}
	rules := cfg.Rules()
	var q strings.Builder
	q.WriteString("CREATE OR REPLACE TEMP TABLE segmented AS SELECT s.*")
	for i, r := range rules {
		fmt.Fprintf(&q, ",\n    CAST((%s) AS BOOLEAN) AS rule_%d", r.When, i)
	}
	q.WriteString("\nFROM scores s")
	if err := applyRulesSandboxed(ctx, c, q.String(), nil, ruleLimits(cfg)); err != nil {
		return fmt.Errorf("evaluate the rules: %w", err)
	}
	results := make([]sql.NullBool, len(rules))
	ptrs := make([]any, len(rules))
	cols := make([]string, len(rules))
	for i := range results {
		ptrs[i] = &results[i]
		cols[i] = fmt.Sprintf("rule_%d", i)
	}
	if err := c.QueryRowContext(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM segmented").Scan(ptrs...); err != nil {
		return err
	}
	for i, s := range cfg.Segments {
		r := RuleResult{Code: s.Code, Name: s.Name, When: s.When}
		if e.Fired < 0 {
			r.Tried, r.Result = true, results[i]
			if r.Result.Valid && r.Result.Bool {
				e.Fired = len(e.Segments)
			}
		}
		e.Segments = append(e.Segments, r)
	}
	for i, t := range cfg.Tags {
		e.TagRules = append(e.TagRules, RuleResult{Name: t.Name, When: t.When, Tried: true, Result: results[len(cfg.Segments)+i]})
	}
	return nil
}

func (e *Explanation) readHistory(ctx context.Context, c *sql.Conn) error {
	rows, err := c.QueryContext(ctx, custsql.Query("ExplainHistory"), e.Key)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var h HistoryRow
		if err := rows.Scan(&h.AsOf, &h.Segment, &h.RuleSegment, &h.Manual, &h.BelowRuns, &h.Prev, &h.Since, &h.Trigger); err != nil {
			return err
		}
		e.History = append(e.History, h)
	}
	return rows.Err()
}
