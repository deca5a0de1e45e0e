package jobs

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"custcat/pipeline"
)

// demoCase copies the demo (its exports and master into an inbox, its
// config and manual file beside) as make demo does, and loads it with a
// run as of 2024-12-31 under memory limit limit.
func demoCase(t *testing.T, limit string) *pipeline.Config {
	t.Helper()
	dir := t.TempDir()
	demo := filepath.Join("..", "data", "demo")
	for _, pattern := range []string{"exports/*", "master/*", "custcat.yaml", "manual.csv"} {
		files, _ := filepath.Glob(filepath.Join(demo, pattern))
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
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg, err := pipeline.LoadConfig(filepath.Join(dir, "custcat.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.MemoryLimit = limit
	cfg.Store.Threads = 1
	mustRun(t, &cfg, "2024-12-31")
	return &cfg
}

// allSnapshots returns every column but run_id of the snapshots of dates,
// a line per customer in key order.
func allSnapshots(t *testing.T, cfg *pipeline.Config, dates []string) map[string][]string {
	t.Helper()
	db, err := sql.Open("duckdb", cfg.Path(cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]string{}
	for _, d := range dates {
		rows, err := db.Query(`SELECT CAST(s AS VARCHAR) FROM (SELECT * EXCLUDE (run_id) FROM snapshots WHERE as_of = $1) s
			ORDER BY s.customer_key`, d)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			out[d] = append(out[d], line)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func countBackfillRuns(t *testing.T, cfg *pipeline.Config) int {
	t.Helper()
	db, err := sql.Open("duckdb", cfg.Path(cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM runs WHERE trigger = 'backfill'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A long weekly backfill of the demo fits a small memory limit: in one
// transaction for all dates, each date's temp tables and rows stayed in
// memory until the commit (about 5 MiB a date), and the five years of
// weeks of the demo ran out of the default 512MB. A second backfill gives
// the same snapshots.
func TestBackfillLongWeeklyInSmallMemory(t *testing.T) {
	cfg := demoCase(t, "64MB")
	dates, err := BackfillDates("2024-06-30", "2024-12-29", "week")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Backfill(context.Background(), cfg, dates, RunOptions{})
	if err != nil {
		t.Fatalf("backfill of %d weeks under a memory limit of 64MB: %v", len(dates), err)
	}
	if len(res) != len(dates) {
		t.Fatalf("%d results for %d dates", len(res), len(dates))
	}
	first := allSnapshots(t, cfg, dates)
	for _, d := range dates {
		if len(first[d]) < 80 {
			t.Errorf("snapshot %s holds %d customers, want the demo's 80 or more", d, len(first[d]))
		}
	}
	if _, err := Backfill(context.Background(), cfg, dates, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, allSnapshots(t, cfg, dates)); diff != "" {
		t.Errorf("a second backfill changed the snapshots (-first +second):\n%s", diff)
	}
}

// Each date commits on its own: a backfill stopped at a date keeps the
// dates before it, leaves no run or snapshot of that date or later, and
// says where it stopped; run again from there, it ends with the snapshots
// of a backfill that never stopped.
func TestBackfillStoppedCompletesOnRerun(t *testing.T) {
	dates, err := BackfillDates("2024-09-01", "2024-11-24", "week")
	if err != nil {
		t.Fatal(err)
	}
	whole := demoCase(t, "64MB")
	if _, err := Backfill(context.Background(), whole, dates, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	want := allSnapshots(t, whole, dates)

	cfg := demoCase(t, "64MB")
	// Stop the backfill as the fifth date starts: each date asks the
	// time once as it starts and once as it ends.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	now := func() time.Time {
		calls++
		if calls == 2*4+1 {
			cancel()
		}
		return time.Now()
	}
	res, err := Backfill(ctx, cfg, dates, RunOptions{Now: now})
	var stopped *BackfillError
	if !errors.As(err, &stopped) || !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped backfill: got %v, want a BackfillError of the cancel", err)
	}
	if stopped.AsOf != dates[4] || stopped.Saved != 4 || len(res) != 4 {
		t.Fatalf("stopped as of %s with %d saved and %d results, want as of %s with 4 of each", stopped.AsOf, stopped.Saved, len(res), dates[4])
	}
	if n := countBackfillRuns(t, cfg); n != 4 {
		t.Errorf("%d backfill runs recorded, want the 4 saved", n)
	}
	got := allSnapshots(t, cfg, dates)
	for i, d := range dates {
		if i < 4 && !cmp.Equal(want[d], got[d]) {
			t.Errorf("saved snapshot %s differs from the whole backfill's:\n%s", d, cmp.Diff(want[d], got[d]))
		}
		if i >= 4 && len(got[d]) > 0 {
			t.Errorf("snapshot %s saved after the stop", d)
		}
	}

	if _, err := Backfill(context.Background(), cfg, dates[4:], RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, allSnapshots(t, cfg, dates)); diff != "" {
		t.Errorf("stopped then completed differs from one whole backfill (-whole +completed):\n%s", diff)
	}
}
