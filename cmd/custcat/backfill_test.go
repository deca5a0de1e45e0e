package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cancelAt cancels a context as the n-th line holding mark is written.
type cancelAt struct {
	buf    bytes.Buffer
	mark   string
	n      int
	cancel context.CancelFunc
}

func (w *cancelAt) Write(p []byte) (int, error) {
	if w.n -= strings.Count(string(p), w.mark); w.n <= 0 {
		w.cancel()
	}
	return w.buf.Write(p)
}

// A backfill stopped at its third date (as by Ctrl-C) keeps the two dates
// before it, prints them, and says from which date to run it again; run
// again from there, it completes the range.
func TestBackfillStoppedSaysWhereToRerun(t *testing.T) {
	dir := t.TempDir()
	for _, pattern := range []string{"exports/*", "master/*", "custcat.yaml", "manual.csv"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "data", "demo", pattern))
		if len(files) == 0 {
			t.Fatalf("no demo file %s", pattern)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			to := filepath.Join(dir, filepath.Base(f))
			if strings.Contains(pattern, "/") {
				to = filepath.Join(dir, "inbox", filepath.Base(f))
			}
			os.MkdirAll(filepath.Dir(to), 0o755)
			if err := os.WriteFile(to, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errOut := &cancelAt{mark: "msg=backfill ", n: 3, cancel: cancel}
	var out bytes.Buffer
	code := Run(ctx, []string{"backfill", "-c", cfg, "--from", "2024-09-01", "--to", "2024-10-27", "--every", "week", "-v"}, &out, errOut)
	if code != exitFailed {
		t.Fatalf("stopped backfill: exit %d, want %d\n%s%s", code, exitFailed, out.String(), errOut.buf.String())
	}
	if !strings.HasPrefix(out.String(), "backfilled 2 snapshot(s), 2024-09-01 to 2024-09-08, every week\n") {
		t.Errorf("stdout does not list the 2 saved dates:\n%s", out.String())
	}
	for _, want := range []string{"backfill failed as of 2024-09-15", "the 2 date(s) before 2024-09-15 are saved", "run the backfill again with --from 2024-09-15"} {
		if !strings.Contains(errOut.buf.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut.buf.String())
		}
	}
	if n := backfillRuns(t, filepath.Join(dir, "custcat.duckdb")); n != 2 {
		t.Errorf("%d backfill runs in the database, want the 2 saved", n)
	}

	code, stdout, stderr := custcat(t, "backfill", "-c", cfg, "--from", "2024-09-15", "--to", "2024-10-27", "--every", "week")
	if code != exitOK || !strings.HasPrefix(stdout, "backfilled 7 snapshot(s), 2024-09-15 to 2024-10-27") {
		t.Fatalf("backfill again: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := backfillRuns(t, filepath.Join(dir, "custcat.duckdb")); n != 9 {
		t.Errorf("%d backfill runs in the database, want the 9 dates", n)
	}
}

func backfillRuns(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(DISTINCT as_of) FROM runs WHERE trigger = 'backfill' AND status = 'ok'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
