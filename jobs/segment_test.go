package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"custcat/pipeline"
)

// segmentCase makes a folder with config text, an inbox holding files and
// any other files (such as a manual CSV) beside the config.
func segmentCase(t *testing.T, config string, inbox, beside map[string]string) *pipeline.Config {
	t.Helper()
	dir := t.TempDir()
	for name, text := range beside {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "custcat.yaml")
	// guard_test.go tests the guard; these cases move many of their few customers at once.
	base := "store: {path: custcat.duckdb, threads: 1, memory_limit: 256MB}\nsources: [{name: erp}]\nguard: off\n"
	if err := os.WriteFile(path, []byte(base+config), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	addInbox(t, &cfg, inbox)
	return &cfg
}

func mustRun(t *testing.T, cfg *pipeline.Config, asOf string) *RunResult {
	t.Helper()
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: asOf, Job: "test"})
	if err != nil {
		t.Fatalf("run as of %s: %v", asOf, err)
	}
	return res
}

// snapshotRows returns the columns cols of the snapshot of asOf, one line
// per customer in key order, values joined by spaces.
func snapshotRows(t *testing.T, cfg *pipeline.Config, asOf, cols string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", cfg.Path(cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT concat_ws(' ', "+cols+") FROM snapshots WHERE as_of = $1 ORDER BY customer_key", asOf)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func noteLines(res *RunResult) []string {
	var out []string
	for _, n := range res.Notes {
		out = append(out, n.Kind+" "+n.Subject+": "+n.Detail)
	}
	return out
}

// Threshold cuts are lower bounds: a value equal to a cut counts. Worked by
// hand, as of 2024-12-31:
//
//	T1: 4 documents, last 2024-12-21 (10 days), 1,000.00: R 3 (10 < 30), F 3 (4 >= 2, 4 >= 4), M 3 (>= 100, >= 1000)
//	T2: 1 document 2024-10-02 (90 days), 100.00: R 1 (90 >= 30, 90 >= 90), F 1, M 2 (100 >= 100)
//	T3: 2 documents, last 2024-12-02 (29 days), 99.99: R 3, F 2 (2 >= 2), M 1 (99.99 < 100)
//
// The manual file pins T2 to A until 2025-06-30, tags T3, holds an
// expired tag of T1, a line for an unknown customer and a bad segment.
func TestThresholdScoresAndManualFile(t *testing.T) {
	cfg := segmentCase(t, `
scoring:
  method: thresholds
  thresholds: {recency_days: [30, 90], frequency: [2, 4], monetary: [100, 1000]}
segments:
  - {code: A, name: 重点, when: "r_score = 3 AND f_score = 3"}
  - {code: B, name: 一般, when: "m_score >= 2"}
  - {code: C, name: 其他, when: "true"}
manual: manual.csv
`, map[string]string{"sales.csv": `单据日期,单据编号,客户编码,客户名称,价税合计
2024-10-01,D1,T1,甲,400
2024-11-01,D2,T1,甲,300
2024-12-01,D3,T1,甲,200
2024-12-21,D4,T1,甲,100
2024-10-02,D5,T2,乙,100
2024-12-01,D6,T3,丙,50
2024-12-02,D7,T3,丙,49.99
`}, map[string]string{"manual.csv": `客户编码,标签,分类,到期日
T3,重点跟进,,
T2,,A,2025-06-30
T1,旧标签,,2024-01-01
X9,VIP,,
T1,,Z,
`})
	res := mustRun(t, cfg, "2024-12-31")
	got := snapshotRows(t, cfg, "2024-12-31", "customer_key, recency_days, frequency, monetary, r_score, f_score, m_score, segment_code, rule_segment, manual, tags")
	want := []string{
		"T1 10 4 1000.00 3 3 3 A A false []",
		"T2 90 1 100.00 1 1 2 A B true []",
		"T3 29 2 99.99 3 2 1 C C false [重点跟进]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	wantNotes := []string{
		"manual_bad_line manual.csv: manual.csv line 6: segment \"Z\" is not a segment code of the config; write one of A, B, C",
		"manual_unknown_customer X9: line 5",
	}
	if diff := cmp.Diff(wantNotes, noteLines(res)); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	recs, m, _ := readCategories(t, cfg)
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, r := range recs[1:] {
		wantManual := map[string]string{"T1": "0", "T2": "1", "T3": "0"}[r[col["customer_code"]]]
		if r[col["manual"]] != wantManual {
			t.Errorf("categories.csv %s: manual %q, want %q", r[col["customer_code"]], r[col["manual"]], wantManual)
		}
	}
	if len(m.Warnings) != 2 || !strings.Contains(m.Warnings[1], "X9") {
		t.Errorf("manifest warnings = %q, want the two manual lines", m.Warnings)
	}
	// After the pin's expiry the rules' segment holds again, at once
	// (T2's order of 2024-10-02 is still in the window: B).
	mustRun(t, cfg, "2025-07-01")
	got = snapshotRows(t, cfg, "2025-07-01", "customer_key, segment_code, rule_segment, manual, prev_segment")
	if got[1] != "T2 B B false A" {
		t.Errorf("T2 after the pin expired: %q, want %q", got[1], "T2 B B false A")
	}
}

// Pareto classes by cumulative revenue share, ties broken by key: of
// 1,050.00, P1 (500) starts at 0 %, P2 (300) at 47.6 %, P3 (100) at 76.2 %:
// A; P4 (also 100) at 85.7 %: B; P5 (50) at 95.2 %: C. Without segments in
// the config, method pareto makes the class the segment.
func TestParetoClassesWithTies(t *testing.T) {
	cfg := segmentCase(t, "scoring: {method: pareto}\n", map[string]string{"sales.csv": `单据日期,单据编号,客户编码,客户名称,价税合计
2024-06-01,D1,P1,一,500
2024-06-01,D2,P2,二,300
2024-06-01,D3,P4,四,100
2024-06-01,D4,P3,三,100
2024-06-01,D5,P5,五,50
`}, nil)
	mustRun(t, cfg, "2024-12-31")
	got := snapshotRows(t, cfg, "2024-12-31", "customer_key, monetary, abc_class, segment_code")
	want := []string{"P1 500.00 A A", "P2 300.00 A A", "P3 100.00 A A", "P4 100.00 B B", "P5 50.00 C C"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pareto (-want +got):\n%s", diff)
	}
}

// One customer: every quantile cut point is its own value, so all three
// collapse; it scores R 5, F 1, M 1 (above no cut point) and the run warns
// rather than fails.
func TestOneCustomerCollapsedCuts(t *testing.T) {
	cfg := segmentCase(t, "", map[string]string{"sales.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2024-12-01,D1,S1,独,88\n"}, nil)
	res := mustRun(t, cfg, "2024-12-31")
	got := snapshotRows(t, cfg, "2024-12-31", "customer_key, r_score, f_score, m_score, segment_code")
	if diff := cmp.Diff([]string{"S1 5 1 1 C"}, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	want := []string{
		"collapsed_cuts frequency: [1.0, 1.0, 1.0, 1.0]",
		"collapsed_cuts monetary: [88.0, 88.0, 88.0, 88.0]",
		"collapsed_cuts recency_days: [30.0, 30.0, 30.0, 30.0]",
	}
	if diff := cmp.Diff(want, noteLines(res)); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	// The report's warning (not only its table of cut points) and the manifest's.
	for out, want := range map[string]string{"report.html": "的切点有重合 (88.0 / 88.0 / 88.0 / 88.0)",
		"manifest.json": "cut points of monetary collapsed (many customers share a value): [88.0, 88.0, 88.0, 88.0]"} {
		b, err := os.ReadFile(filepath.Join(cfg.Path(cfg.Out), out))
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("%s does not warn of the collapsed monetary cut points: %q (%v)", out, want, err)
		}
	}
}

// A customer whose only order is outside the window is not scored: empty
// cut lists, NULL scores, the last segment, and a warning.
func TestNoScoredCustomer(t *testing.T) {
	cfg := segmentCase(t, "window_days: 30\n", map[string]string{"sales.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2024-01-01,D1,S1,独,88\n"}, nil)
	res := mustRun(t, cfg, "2024-12-31")
	got := snapshotRows(t, cfg, "2024-12-31", "customer_key, frequency, coalesce(CAST(r_score AS VARCHAR), 'null'), segment_code")
	if diff := cmp.Diff([]string{"S1 0 null C"}, got); diff != "" {
		t.Errorf("snapshot (-want +got):\n%s", diff)
	}
	if len(res.Notes) != 1 || res.Notes[0].Kind != "no_scored_customers" {
		t.Errorf("notes = %v, want one no_scored_customers", res.Notes)
	}
}

const hysteresisConfig = `
window_days: 30
downgrade_after_runs: 2
scoring:
  method: thresholds
  thresholds: {recency_days: [30], frequency: [1], monetary: [100]}
segments:
  - {code: A, name: 大, when: "monetary >= 1000"}
  - {code: B, name: 中, when: "monetary >= 100"}
  - {code: C, name: 小, when: "true"}
`

// With downgrade_after_runs 2, a downgrade waits for the second run in a
// row below the segment; an upgrade takes effect at once. Month ends of
// 2024, 30-day window:
//
//	H1: 1000 on 01-15, 500 on 04-10. Rules: A, C, C, B. Held: A, A (1 below), C, B.
//	H2: 1000 on 01-20 and 03-20.     Rules: A, C, A, C. Held: A, A (1), A, A (1).
func TestDowngradeAfterRuns(t *testing.T) {
	cfg := segmentCase(t, hysteresisConfig, map[string]string{"sales.csv": `单据日期,单据编号,客户编码,客户名称,价税合计
2024-01-15,D1,H1,一,1000
2024-04-10,D2,H1,一,500
2024-01-20,D3,H2,二,1000
2024-03-20,D4,H2,二,1000
`}, nil)
	mustRun(t, cfg, "2024-01-31") // loads the inbox
	dates, err := BackfillDates("2024-01-31", "2024-04-30", "month")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"}, dates); diff != "" {
		t.Fatalf("dates (-want +got):\n%s", diff)
	}
	if _, err := Backfill(context.Background(), cfg, dates, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	const cols = "customer_key, segment_code, rule_segment, below_runs, coalesce(prev_segment, '-'), segment_since"
	want := map[string][]string{
		"2024-01-31": {"H1 A A 0 - 2024-01-31", "H2 A A 0 - 2024-01-31"},
		"2024-02-29": {"H1 A C 1 A 2024-01-31", "H2 A C 1 A 2024-01-31"},
		"2024-03-31": {"H1 C C 0 A 2024-03-31", "H2 A A 0 A 2024-01-31"},
		"2024-04-30": {"H1 B B 0 C 2024-04-30", "H2 A C 1 A 2024-01-31"},
	}
	all := func() map[string][]string {
		got := map[string][]string{}
		for _, d := range dates {
			got[d] = snapshotRows(t, cfg, d, cols)
		}
		return got
	}
	if diff := cmp.Diff(want, all()); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	// Backfill again, and run the last date again: the same snapshots.
	every := "customer_key, recency_days, frequency, monetary, active_months, tenure_days, r_score, f_score, m_score, abc_class, segment_code, rule_segment, rule_index, below_runs, prev_segment, segment_since, tags"
	before := map[string][]string{}
	for _, d := range dates {
		before[d] = snapshotRows(t, cfg, d, every)
	}
	if _, err := Backfill(context.Background(), cfg, dates, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	mustRun(t, cfg, "2024-04-30")
	for _, d := range dates {
		if diff := cmp.Diff(before[d], snapshotRows(t, cfg, d, every)); diff != "" {
			t.Errorf("snapshot %s changed on a second backfill (-first +second):\n%s", d, diff)
		}
	}
}

func TestBackfillDates(t *testing.T) {
	for _, c := range []struct {
		from, to, every string
		want            string
	}{
		{"2024-01-31", "2024-05-31", "month", "2024-01-31 2024-02-29 2024-03-31 2024-04-30 2024-05-31"},
		{"2024-01-15", "2024-03-31", "month", "2024-01-15 2024-02-15 2024-03-15"},
		{"2023-01-30", "2023-03-30", "month", "2023-01-30 2023-02-28 2023-03-30"},
		{"2024-01-01", "2024-01-29", "week", "2024-01-01 2024-01-08 2024-01-15 2024-01-22 2024-01-29"},
		{"2024-01-01", "2024-01-01", "week", "2024-01-01"},
	} {
		t.Run(fmt.Sprint(c.from, c.every), func(t *testing.T) {
			got, err := BackfillDates(c.from, c.to, c.every)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != c.want {
				t.Errorf("got %v, want %s", got, c.want)
			}
		})
	}
	for _, bad := range [][3]string{{"2024-02-01", "2024-01-01", "month"}, {"2024-01-01", "2024-02-01", "day"}, {"2024/01/01", "2024-02-01", "week"}} {
		if _, err := BackfillDates(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("BackfillDates%v: no error", bad)
		}
	}
}

// TestTopCategory: the top category is the one with the largest positive
// amount in the window; a tie goes to the first name; returns and lines
// before the window do not count.
func TestTopCategory(t *testing.T) {
	sales := `单据日期,单据编号,客户编码,客户名称,物料类别,价税合计
2026-03-01,XS001,C1,甲,乙类,100
2026-03-01,XS001,C1,甲,甲类,60
2026-03-02,XS002,C1,甲,甲类,40
2026-03-03,XS003,C1,甲,丙类,-500
2024-01-01,XS004,C1,甲,丁类,900
2026-03-01,XS005,C2,乙,,70
2026-03-01,XS006,C3,丙,丙类,10
2026-03-01,XS006,C3,丙,乙类,30
`
	cfg := segmentCase(t, "", map[string]string{"sales.csv": sales}, nil)
	mustRun(t, cfg, "2026-03-31")
	got := snapshotRows(t, cfg, "2026-03-31", "customer_key, coalesce(top_category, '-'), coalesce(CAST(round(top_category_share, 2) AS VARCHAR), '-')")
	want := []string{"C1 乙类 0.5", "C2 - -", "C3 乙类 0.75"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("top categories %q, want %q", got, want)
	}
}
