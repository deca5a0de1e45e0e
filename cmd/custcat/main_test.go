package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	_ "github.com/duckdb/duckdb-go/v2"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of the golden cases")

// workdir copies a case folder (custcat.yaml and inbox/) into a temp folder.
// Inbox files get modification times in name order: a run reads them oldest first.
func workdir(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	copyTree(t, from, dir)
	inbox := filepath.Join(dir, "inbox")
	entries, _ := os.ReadDir(inbox)
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	base := time.Now().Add(-time.Hour)
	for i, n := range names {
		ts := base.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(filepath.Join(inbox, n), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dest := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dest, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dest, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// custcat runs the command in-process and returns its exit code and output.
func custcat(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestGolden runs each case of testdata/golden/<case>/: custcat.yaml and
// inbox/ are copied to a temp folder; the steps file, if any, lists the
// commands, one a line ("run [night] [as-of]", "accept"), where night is a
// folder of nights/ whose files are dropped into the inbox first; without
// it the one step is "run" as of the date in as_of. want/ holds what the
// last step gave: its exit code, stdout and stderr, what check said just
// before it, the outputs, and whether it changed categories.csv.
func TestGolden(t *testing.T) {
	cases, err := filepath.Glob("testdata/golden/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, c := range cases {
		t.Run(filepath.Base(c), func(t *testing.T) {
			w := workdir(t, c)
			cfg := filepath.Join(w, "custcat.yaml")
			asOf, _ := os.ReadFile(filepath.Join(c, "as_of"))
			steps := []string{"run inbox " + strings.TrimSpace(string(asOf))}
			if b, err := os.ReadFile(filepath.Join(c, "steps")); err == nil {
				steps = strings.Split(strings.TrimSpace(string(b)), "\n")
			}
			var code, checkCode int
			var stdout, stderr, check, before string
			lastAsOf := ""
			for i, step := range steps {
				f := strings.Fields(step)
				if f[0] == "run" && len(f) > 2 {
					lastAsOf = f[2]
				}
				last := i == len(steps)-1
				if f[0] == "run" && len(f) > 1 && f[1] != "inbox" {
					dropNight(t, filepath.Join(c, "nights", f[1]), filepath.Join(w, "inbox"))
				}
				if last {
					var checkErr string
					// check predicts the run as of this step's date, or the last one given.
					checkArgs := []string{"check", "-c", cfg}
					if f[0] == "run" && len(f) > 2 {
						lastAsOf = f[2]
					}
					if lastAsOf != "" {
						checkArgs = append(checkArgs, "--as-of", lastAsOf)
					}
					checkCode, check, checkErr = custcat(t, checkArgs...)
					check += checkErr
					before = readFile(t, filepath.Join(w, "out", "categories.csv"))
				}
				args := []string{f[0], "-c", cfg}
				if f[0] == "run" && len(f) > 2 {
					args = append(args, "--as-of", f[2])
				}
				code, stdout, stderr = custcat(t, args...)
				if !last && code != exitOK && code != exitHeld {
					t.Fatalf("step %q: exit %d\n%s%s", step, code, stdout, stderr)
				}
			}
			after := readFile(t, filepath.Join(w, "out", "categories.csv"))
			changed := "unchanged"
			switch {
			case before == "" && after == "":
				changed = "absent"
			case before == "":
				changed = "created"
			case before != after:
				changed = "changed"
			}
			got := map[string]string{
				"exit_code":          fmt.Sprintf("%d\n", code),
				"summary.txt":        strings.ReplaceAll(stdout, w, "$WORK"),
				"stderr.txt":         strings.ReplaceAll(stderr, w, "$WORK"),
				"check.txt":          strings.ReplaceAll(check, w, "$WORK") + fmt.Sprintf("exit %d\n", checkCode),
				"categories_changed": changed + "\n",
				"categories.csv":     after,
				"rejects.csv":        readFile(t, filepath.Join(w, "out", "rejects.csv")),
				"quality.csv":        readFile(t, filepath.Join(w, "out", "quality.csv")),
			}
			for name, g := range got {
				wantPath := filepath.Join(c, "want", name)
				if *update {
					if err := os.WriteFile(wantPath, []byte(g), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want := readFile(t, wantPath)
				if diff := cmp.Diff(want, g); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			}
		})
	}
}

// dropNight copies the files of a night's folder into the inbox, dated
// after the files there, in name order.
func dropNight(t *testing.T, from, inbox string) {
	t.Helper()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	// A case whose first step is a night has no inbox/ of its own (git
	// keeps no empty folder): the night's files make it.
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-30 * time.Minute)
	for i, e := range entries {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(inbox, e.Name())
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ts := base.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, ts, ts)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// csvRows reads a CSV output into rows keyed by its first column.
func csvRows(t *testing.T, p string) map[string]map[string]string {
	t.Helper()
	text := strings.TrimPrefix(readFile(t, p), "\ufeff")
	lines := strings.Split(strings.TrimSpace(text), "\n")
	header := strings.Split(strings.TrimSpace(lines[0]), ",")
	out := map[string]map[string]string{}
	for _, l := range lines[1:] {
		cells := strings.Split(strings.TrimSpace(l), ",")
		row := map[string]string{}
		for i, h := range header {
			if i < len(cells) {
				row[h] = cells[i]
			}
		}
		out[cells[0]] = row
	}
	return out
}

// TestQuintilesByHand checks the golden case kingdee_gbk against figures
// worked out by hand from PRODUCT.md's definitions (see the comments).
func TestQuintilesByHand(t *testing.T) {
	w := workdir(t, "testdata/golden/kingdee_gbk")
	if code, _, stderr := custcat(t, "run", "-c", filepath.Join(w, "custcat.yaml"), "--as-of", "2024-12-31"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := csvRows(t, filepath.Join(w, "out", "categories.csv"))
	// frequency 4,1,1,2,1 -> cuts 1, 1, 1.4, 2.4; monetary 1650,1000,20,315,1000
	// -> cuts 256, 726, 1000, 1130; recency 1,334,274,121,41 -> cuts 33, 89, 182.2, 286.
	want := map[string]map[string]string{
		"C01": {"frequency": "4", "monetary": "1650.00", "recency_days": "1", "active_months": "4", "tenure_days": "361", "r_score": "5", "f_score": "5", "m_score": "5", "segment_code": "B", "abc_class": "A"},
		// XS004 holds a duplicate line (dropped) and XT001 returns half of it.
		"C02": {"frequency": "1", "monetary": "1000.00", "recency_days": "334", "returns_share": "0.5000", "r_score": "1", "f_score": "1", "m_score": "3", "segment_code": "B", "abc_class": "A", "tags": "退货|偏好:电子产品"},
		// XS005 has a bad date and is rejected.
		"C03": {"frequency": "1", "monetary": "20.00", "recency_days": "274", "r_score": "2", "f_score": "1", "m_score": "1", "segment_code": "C", "abc_class": "C"},
		// XS007 came again in H2 with 5 instead of 3: 225 replaces 135.
		"C04": {"frequency": "2", "monetary": "315.00", "recency_days": "121", "r_score": "3", "f_score": "4", "m_score": "2", "segment_code": "B", "abc_class": "B"},
		// XS011 is dated after the as-of date and is ignored.
		"C05": {"frequency": "1", "monetary": "1000.00", "recency_days": "41", "tenure_days": "41", "r_score": "4", "f_score": "1", "m_score": "3", "segment_code": "B", "abc_class": "A"},
	}
	if len(rows) != len(want) {
		t.Errorf("%d customers, want %d", len(rows), len(want))
	}
	for code, fields := range want {
		for f, v := range fields {
			if got := rows[code][f]; got != v {
				t.Errorf("%s %s = %q, want %q", code, f, got, v)
			}
		}
	}
}

// TestRealData loads the public data sets and checks their counts.
func TestRealData(t *testing.T) {
	shared := filepath.Join("..", "..", "data", "public")
	cases := []struct {
		name, file, config, asOf string
		read, loaded, rejected   int64
		duplicate                int64
		customers                int64
		reason                   string // the one reject reason expected, if any
	}{
		{
			name: "cdnow", file: "cdnow/CDNOW_master.txt", asOf: "1998-06-30",
			// No header, whitespace-aligned; no document numbers, so each line
			// is its own document and its 255 repeated lines are separate purchases.
			config: "window_days: 0\nsources:\n  - {name: cdnow, header: none, columns: {customer_code: 1, date: 2, quantity: 3, amount: 4}}\n",
			read:   69659, loaded: 69659, customers: 23570,
		},
		{
			name: "rfm", file: "rfm/rfm_data_orders.csv", asOf: "2006-12-31",
			config: "window_days: 0\n",
			read:   4906, loaded: 4906, customers: 995,
		},
		{
			name: "online retail", file: "online_retail/online_retail.csv.gz", asOf: "2011-12-09",
			// Lines without a customer cannot be attributed: rejected, so the
			// source allows that share. Cancellations load as returns and net.
			// The time of day is kept: 5,226 repeats by the day, 5,225 by the minute.
			config: "window_days: 0\nsources:\n  - {name: retail, max_reject_ratio: 0.3}\n",
			read:   541909, rejected: 135080, duplicate: 5225, loaded: 541909 - 135080 - 5225, customers: 4372,
			reason: "no customer code",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			inbox := filepath.Join(dir, "inbox")
			os.MkdirAll(inbox, 0o755)
			b, err := os.ReadFile(filepath.Join(shared, c.file))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(inbox, filepath.Base(c.file)), b, 0o644)
			os.WriteFile(filepath.Join(dir, "custcat.yaml"), []byte(c.config), 0o644)
			code, stdout, stderr := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", c.asOf)
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			db := openDB(t, filepath.Join(dir, "var", "custcat.duckdb"))
			var read, loaded, rejected, duplicate, summary, customers int64
			err = db.QueryRow(`SELECT lines_read, lines_loaded, lines_rejected, lines_duplicate, lines_summary, customers FROM runs`).
				Scan(&read, &loaded, &rejected, &duplicate, &summary, &customers)
			if err != nil {
				t.Fatal(err)
			}
			if read != c.read || loaded != c.loaded || rejected != c.rejected || duplicate != c.duplicate || summary != 0 || customers != c.customers {
				t.Errorf("read %d loaded %d rejected %d duplicate %d summary %d customers %d; want %d %d %d %d 0 %d",
					read, loaded, rejected, duplicate, summary, customers, c.read, c.loaded, c.rejected, c.duplicate, c.customers)
			}
			if read != loaded+rejected+duplicate+summary {
				t.Errorf("counts do not add up: %d != %d + %d + %d + %d", read, loaded, rejected, duplicate, summary)
			}
			var n int64
			db.QueryRow(`SELECT count(*) FROM sales_lines`).Scan(&n)
			if n != c.loaded {
				t.Errorf("sales_lines holds %d lines, want %d", n, c.loaded)
			}
			if c.reason != "" {
				var reasons int
				db.QueryRow(`SELECT count(DISTINCT reason) FROM rejects WHERE reason = ?`, c.reason).Scan(&reasons)
				db.QueryRow(`SELECT count(*) FROM rejects`).Scan(&n)
				if reasons != 1 || n != c.rejected {
					t.Errorf("rejects: %d lines, reason %q present %d; want %d lines", n, c.reason, reasons, c.rejected)
				}
			}
		})
	}
}

func openDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
