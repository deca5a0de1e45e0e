package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// inboxCase writes a config and exports into a temp folder.
func inboxCase(t *testing.T, config string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "inbox"), 0o755)
	os.WriteFile(filepath.Join(dir, "custcat.yaml"), []byte(config), 0o644)
	for name, text := range files {
		os.WriteFile(filepath.Join(dir, "inbox", name), []byte(text), 0o644)
	}
	return dir
}

const smallExport = "日期,单据编号,客户编码,客户名称,价税合计\n2024-03-01,S1,C1,甲,100\n2024-04-01,S2,C2,乙,50\n"

func TestSameContentLoadsOnce(t *testing.T) {
	dir := inboxCase(t, "", map[string]string{"a.csv": smallExport})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	os.WriteFile(filepath.Join(dir, "inbox", "a-again.csv"), []byte(smallExport), 0o644)
	code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	if code != 0 || !strings.Contains(out, "a-again.csv skipped: same content loaded before") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	db := openDB(t, filepath.Join(dir, "var", "custcat.duckdb"))
	var n int
	db.QueryRow(`SELECT count(*) FROM sales_lines`).Scan(&n)
	if n != 2 {
		t.Errorf("sales_lines holds %d lines, want 2", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "inbox", "a-again.csv")); !os.IsNotExist(err) {
		t.Errorf("the skipped file is still in the inbox")
	}

	// A file of the same size with other lines loads; the same content
	// twice in one run loads once.
	other := strings.Replace(smallExport, "S2,C2,乙,50", "S3,C3,丙,70", 1)
	if len(other) != len(smallExport) {
		t.Fatal("the other export must have the same size")
	}
	db.Close()
	os.WriteFile(filepath.Join(dir, "inbox", "b.csv"), []byte(other), 0o644)
	os.WriteFile(filepath.Join(dir, "inbox", "b-copy.csv"), []byte(other), 0o644)
	code, out, errOut = custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	if code != 0 || strings.Count(out, "skipped: same content loaded before") != 1 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	db = openDB(t, filepath.Join(dir, "var", "custcat.duckdb"))
	db.QueryRow(`SELECT count(*) FROM sales_lines`).Scan(&n)
	if n != 3 { // S1 comes again and replaces its earlier line; S3 is new
		t.Errorf("sales_lines holds %d lines, want 3", n)
	}
}

func TestBadFileFailsOthersLoad(t *testing.T) {
	bad := "日期,客户编码,价税合计\n2024-03-01,C9,10\nnot a date,C9,10\n2024-03-02,,10\n"
	dir := inboxCase(t, "", map[string]string{"good.csv": smallExport, "bad.csv": bad})
	code, out, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	reason, err := os.ReadFile(filepath.Join(dir, "failed", "bad.csv.reason.txt"))
	if err != nil || !strings.Contains(string(reason), "2 of 3 lines rejected") {
		t.Errorf("reason file: %q, %v", reason, err)
	}
	if !strings.Contains(out, "lines: 5 read = 2 loaded + 2 rejected + 0 duplicate + 0 summary + 1 held back") {
		t.Errorf("summary does not add up the lines:\n%s", out)
	}
	rejects := readFile(t, filepath.Join(dir, "out", "rejects.csv"))
	for _, want := range []string{"bad.csv,3,", "date: not a date", "bad.csv,4,no customer code"} {
		if !strings.Contains(rejects, want) {
			t.Errorf("rejects.csv lacks %q:\n%s", want, rejects)
		}
	}
	if rows := csvRows(t, filepath.Join(dir, "out", "categories.csv")); len(rows) != 2 || rows["C9"] != nil {
		t.Errorf("categories hold %v, want C1 and C2 only", rows)
	}
}

// TestFailedRunChangesNothing makes a run fail while it loads (DuckDB runs
// out of memory: a rule that would fail on a customer no longer passes
// custcat check): the database, the outputs and the inbox stay as they
// were.
func TestFailedRunChangesNothing(t *testing.T) {
	dir := inboxCase(t, "", map[string]string{"a.csv": smallExport})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	before := readFile(t, filepath.Join(dir, "out", "categories.csv"))
	os.WriteFile(filepath.Join(dir, "inbox", "b.csv"), []byte("日期,客户编码,客户名称,价税合计\n2024-05-01,C3,丙,70\n"), 0o644)
	os.WriteFile(cfg, []byte("store: {memory_limit: 16MB}\n"), 0o644)
	code, _, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	if code != exitFailed || !strings.Contains(errOut, "the database is unchanged") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := readFile(t, filepath.Join(dir, "out", "categories.csv")); got != before {
		t.Errorf("categories.csv changed by a failed run")
	}
	if _, err := os.Stat(filepath.Join(dir, "inbox", "b.csv")); err != nil {
		t.Errorf("b.csv left the inbox: %v", err)
	}
	db := openDB(t, filepath.Join(dir, "var", "custcat.duckdb"))
	var lines, files, failedRuns int
	db.QueryRow(`SELECT count(*) FROM sales_lines`).Scan(&lines)
	db.QueryRow(`SELECT count(*) FROM files`).Scan(&files)
	db.QueryRow(`SELECT count(*) FROM runs WHERE status = 'failed' AND error LIKE '%Out of Memory%'`).Scan(&failedRuns)
	if lines != 2 || files != 1 || failedRuns != 1 {
		t.Errorf("after a failed run: %d lines, %d files, %d failed runs recorded; want 2, 1, 1", lines, files, failedRuns)
	}
}

func TestCheckNamesTheBadRule(t *testing.T) {
	dir := inboxCase(t, `segments:
  - {code: A, when: "m_scor >= 4"}
  - {code: B, when: "1; DROP TABLE sales_lines"}
  - {code: X, when: "(SELECT count(*) FROM sales_lines) > 0"}
  - {code: Y, when: "m_score >>= 4"}
  - {code: Z, when: "f_score >= 3"}
  - {code: C, when: "true"}
`, map[string]string{"a.csv": smallExport})
	code, _, errOut := custcat(t, "check", "-c", filepath.Join(dir, "custcat.yaml"))
	if code != exitConfig {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"segment A: when \"m_scor >= 4\"", "m_scor", "segment B:", "segment X:", "subquery", "segment Y:", "uses >>=, which a rule may not"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("check output lacks %q:\n%s", want, errOut)
		}
	}
	// A rule that fails must not be blamed on the rules after it.
	if strings.Contains(errOut, "segment C") || strings.Contains(errOut, "segment Z") {
		t.Errorf("check blames a good rule:\n%s", errOut)
	}
}

func TestCheckShowsTheInbox(t *testing.T) {
	dir := inboxCase(t, "", map[string]string{"a.csv": "销售明细\n" + smallExport})
	// As of today its 2024 lines would score no one, and the run be held.
	if code, out, _ := custcat(t, "check", "-c", filepath.Join(dir, "custcat.yaml")); code != exitHeld || !strings.Contains(out, "would be held (exit 5)") {
		t.Errorf("check as of today: exit %d\n%s", code, out)
	}
	code, out, errOut := custcat(t, "check", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"a.csv (source default): csv utf-8 comma, header on line 2", "amount=价税合计", "date=日期"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadConfigNamesTheKey(t *testing.T) {
	dir := inboxCase(t, "window_dayz: 30\n", nil)
	code, _, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"))
	if code != exitConfig || !strings.Contains(errOut, `line 1: unknown key "window_dayz"; did you mean "window_days"?`) {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// A config that is not there is a config error that says how to give one.
func TestMissingConfigSaysWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "custcat.yaml")
	code, _, errOut := custcat(t, "run", "-c", path)
	if code != exitConfig || !strings.Contains(errOut, "config "+path+" does not exist: give the config with -c FILE, or write one there") ||
		!strings.Contains(errOut, "an empty file takes every default") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// A bad --as-of is a usage error, told before anything runs.
func TestRunBadAsOf(t *testing.T) {
	dir := inboxCase(t, "", map[string]string{"a.csv": smallExport})
	code, _, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "31.12.2024")
	if code != exitUsage || !strings.Contains(errOut, `--as-of "31.12.2024" is not a date; write YYYY-MM-DD`) {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "var")); !os.IsNotExist(err) {
		t.Errorf("the database was made: %v", err)
	}
}

// check reads every line as a run would: a header alone, and a file past
// max_reject_ratio, would fail, so check exits 1 and says why.
func TestCheckPredictsFailures(t *testing.T) {
	bad := "日期,单据编号,客户编码,价税合计\n2024-03-01,S1,C1,10\n2024-03-02,S2,C2,十\n"
	dir := inboxCase(t, "", map[string]string{"header.csv": "日期,单据编号,客户编码,价税合计\n", "bad.csv": bad, "good.csv": smallExport})
	code, out, errOut := custcat(t, "check", "-c", filepath.Join(dir, "custcat.yaml"))
	if code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"header.csv (source default): csv utf-8 comma, header on line 1", "would FAIL: header only: no data lines",
		"bad.csv (source default): csv utf-8 comma, header on line 1",
		"would FAIL: 1 of 2 lines rejected (50.0%), more than max_reject_ratio 1.0%",
		`rejected 1: amount: not a number (first: line 3: 2024-03-02,S2,C2,十)`,
		"good.csv (source default):", "would load\n  lines: 2 read = 2 load + 0 rejected",
		"2 file(s) would fail",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "var")); !os.IsNotExist(err) {
		t.Errorf("check made a database: %v", err)
	}
	if n, _ := os.ReadDir(filepath.Join(dir, "inbox")); len(n) != 3 {
		t.Errorf("check moved inbox files: %d left", len(n))
	}
}
