package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	custsql "custcat/sql"
)

// errRollback ends a Unit without committing.
var errRollback = errors.New("roll back")

// breakout closes the CASE that a rule stands in, so that what follows
// runs as statements of their own, and opens a new CASE for the rest of
// the rules query: what a rule could do if the check let it through.
func breakout(stmts string) string {
	return "true) THEN 0 END AS rule_index, [] AS tags FROM scores s; " + stmts +
		"; CREATE OR REPLACE TEMP TABLE segmented AS SELECT s.*, CASE WHEN (true"
}

// TestRulesSandbox gives rules that try to reach beyond the customer's
// features. CheckRules refuses each, naming it. Then, as if the check had
// let it through, Segment applies it: it must fail or do no harm, while
// the same rules query run on the store itself does reach the file (so
// the payloads are real).
func TestRulesSandbox(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.csv")
	os.WriteFile(secret, []byte("甲公司\n"), 0o644) // a customer's name: a rule that reads it matches
	target := filepath.Join(dir, "written.csv")
	attached := filepath.Join(dir, "attached.duckdb")
	q := func(p string) string { return "'" + strings.ReplaceAll(p, "'", "''") + "'" }

	cases := []struct {
		name, when string
		reaches    func() bool // whether the rule reached outside, run unsandboxed
	}{
		{"second statement", "true; DROP TABLE sales_lines", nil},
		{"DDL", "true; CREATE TABLE owned (a INTEGER)", nil},
		{"subquery", "(SELECT count(*) FROM sales_lines) > 0", nil},
		{"read_csv", "customer_name IN (SELECT column0 FROM read_csv(" + q(secret) + ", header = false))", nil},
		{"read_text", "customer_name = (SELECT trim(content) FROM read_text(" + q(secret) + "))", nil},
		{"COPY", breakout("COPY (SELECT 'x') TO " + q(target)), exists(target)},
		{"ATTACH", breakout("ATTACH " + q(attached) + " AS x; CREATE TABLE x.t AS SELECT 1"), exists(attached)},
		{"INSTALL", breakout("INSTALL httpfs"), nil},
		{"LOAD", breakout("LOAD httpfs"), nil},
		{"SET", breakout("SET lock_configuration = false; SET memory_limit = '1GB'; COPY (SELECT 1) TO " + q(target)), exists(target)},
		{"drop a table of the store", breakout("DROP TABLE sales_lines"), nil},
	}
	base, store := rulesStore(t, "true")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(target)
			os.Remove(attached)
			cfg := *base
			cfg.Segments = []SegmentRule{{Code: "X", Name: "X", ERPCode: "X", When: c.when}, base.Segments[1]}
			ctx := context.Background()

			problems, err := CheckRules(ctx, &cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 1 || !strings.HasPrefix(problems[0], "segment X: ") {
				t.Errorf("check: %q, want one problem for segment X", problems)
			}

			// Applied anyway, in the sandbox.
			var segErr error
			var matched int
			store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
				segErr = Segment(ctx, c, &cfg, "2024-12-31", 2)
				if segErr == nil {
					c.QueryRowContext(ctx, `SELECT count(*) FROM snapshots WHERE segment_code = 'X'`).Scan(&matched)
				}
				return errRollback
			})
			if c.name == "read_csv" || c.name == "read_text" {
				if segErr == nil {
					t.Errorf("the rule ran in the sandbox and matched %d customers", matched)
				}
			}
			if exists(target)() || exists(attached)() {
				t.Errorf("the sandboxed rule wrote a file (segment error: %v)", segErr)
			}
			var lines int
			if err := store.DB.QueryRow(`SELECT count(*) FROM sales_lines`).Scan(&lines); err != nil || lines != 3 {
				t.Errorf("sales_lines: %d lines, %v; want 3", lines, err)
			}
			t.Logf("sandboxed: %v", segErr)

			// The same rules query on the store's own connection.
			if c.reaches == nil {
				return
			}
			store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
				scoreUnsandboxed(t, ctx, c)
				query, args := rulesQuery(&cfg)
				_, err := c.ExecContext(ctx, query, args...)
				t.Logf("unsandboxed: %v", err)
				return errRollback
			})
			if !c.reaches() {
				t.Errorf("the payload does not reach outside even unsandboxed: the test proves nothing")
			}
		})
	}

	// read_csv unsandboxed: the rule reads the file and matches 甲公司.
	cfg := *base
	cfg.Segments = []SegmentRule{{Code: "X", Name: "X", ERPCode: "X", When: cases[3].when}, base.Segments[1]}
	ctx := context.Background()
	var matched int
	store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		scoreUnsandboxed(t, ctx, c)
		query, args := rulesQuery(&cfg)
		if _, err := c.ExecContext(ctx, query, args...); err != nil {
			t.Fatal(err)
		}
		return c.QueryRowContext(ctx, `SELECT count(*) FROM segmented WHERE rule_index = 0`).Scan(&matched)
	})
	if matched != 1 {
		t.Errorf("unsandboxed, the read_csv rule matched %d customers, want 1: the test proves nothing", matched)
	}
}

// TestRulesSandboxKeepsGoodRules: rules over the features give the same
// segments and tags in the sandbox as they would on the store.
func TestRulesSandboxKeepsGoodRules(t *testing.T) {
	cfg, store := rulesStore(t, "customer_name LIKE '甲%' AND monetary > 0")
	cfg.Tags = []TagRule{{Name: "big", When: "monetary >= 100"}}
	ctx := context.Background()
	err := store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		return Segment(ctx, c, cfg, "2024-12-31", 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := queryRows(t, store.DB, `SELECT customer_key, segment_code, array_to_string(tags, ',') FROM snapshots ORDER BY customer_key`)
	want := []string{"C1|X|big", "C2|C|"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("snapshots %q, want %q", got, want)
	}
}

// rulesStore loads three lines of two customers into a store and gives a
// config whose segment X, before the catch-all C, has the rule when.
func rulesStore(t *testing.T, when string) (*Config, *Store) {
	t.Helper()
	dir := t.TempDir()
	export := "日期,单据编号,客户编码,客户名称,价税合计\n2024-03-01,S1,C1,甲公司,100\n2024-04-01,S2,C2,乙公司,50\n2024-05-01,S3,C1,甲公司,70\n"
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte(export), 0o644)
	_, store := loadInbox(t, dir, "")
	cfg := DefaultConfig()
	cfg.Segments = []SegmentRule{{Code: "X", Name: "X", ERPCode: "X", When: when}, {Code: "C", Name: "C", ERPCode: "C", When: "true"}}
	return &cfg, store
}

func exists(p string) func() bool {
	return func() bool { _, err := os.Stat(p); return err == nil }
}

// scoreUnsandboxed computes the features, quintile cuts and scores of the
// store on its own connection, for the rules query run without the sandbox.
func scoreUnsandboxed(t *testing.T, ctx context.Context, c *sql.Conn) {
	t.Helper()
	if err := computeFeatures(ctx, c, "2024-12-31", 365); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"QuantileCuts", "Scores"} {
		args := map[string][]any{"QuantileCuts": {"[0.2,0.4,0.6,0.8]"}, "Scores": {0.8, 0.95}}[s]
		if _, err := c.ExecContext(ctx, custsql.Query(s), args...); err != nil {
			t.Fatal(err)
		}
	}
}
