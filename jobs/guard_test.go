package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"custcat/pipeline"
	"custcat/reports"
)

// guardSales is a night with ten customers, each with two orders.
func guardSales() string {
	var b strings.Builder
	b.WriteString("单据日期,单据编号,客户编码,客户名称,价税合计\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "2026-02-%02d,A%02d,C%02d,客户%02d,%d\n", i, i, i, i, 100*i)
		fmt.Fprintf(&b, "2026-03-%02d,B%02d,C%02d,客户%02d,%d\n", i, i, i, i, 50*i)
	}
	return b.String()
}

// guardReturns is a night whose export holds only returns: every customer
// nets below zero and drops to the last segment.
func guardReturns() string {
	var b strings.Builder
	b.WriteString("单据日期,单据编号,客户编码,客户名称,价税合计\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&b, "2026-03-20,R%02d,C%02d,客户%02d,-%d\n", i, i, i, 1000*i)
	}
	return b.String()
}

func guardStore(t *testing.T, extra string, files map[string]string) *pipeline.Config {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "custcat.yaml")
	base := "store: {path: var/custcat.duckdb, threads: 1, memory_limit: 256MB}\nsources: [{name: erp, delimiter: comma}]\n"
	if err := os.WriteFile(path, []byte(base+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	addInbox(t, &cfg, files)
	return &cfg
}

func readGuardManifest(t *testing.T, path string) reports.Manifest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m reports.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func lastStatus(t *testing.T, cfg *pipeline.Config) (string, string) {
	t.Helper()
	runs, err := History(context.Background(), cfg, 1)
	if err != nil || len(runs) == 0 {
		t.Fatalf("history: %v %v", runs, err)
	}
	return runs[0].Status, runs[0].Error
}

// A night of returns only would move every customer: it is held, the ERP's
// file stays, the report says why, and accept puts the held file in place.
func TestGuardHoldsThenAccept(t *testing.T) {
	cfg := guardStore(t, "", map[string]string{"night1.csv": guardSales()})
	out := cfg.Path(cfg.Out)
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Job: "test"})
	if err != nil {
		t.Fatalf("first night: %v", err)
	}
	if m := readGuardManifest(t, filepath.Join(out, "manifest.json")); m.Status != "ok" || len(m.Reasons) != 0 {
		t.Errorf("first manifest: status %q reasons %q", m.Status, m.Reasons)
	}
	before, _ := os.ReadFile(filepath.Join(out, "categories.csv"))

	addInbox(t, cfg, map[string]string{"night2.csv": guardReturns()})
	res, err = Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Job: "test"})
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) {
		t.Fatalf("returns night: err = %v, want held", err)
	}
	want := "8 of the 10 customers in the file in place (80 %) would change ERP category, more than guard.max_moved 20 %"
	if len(held.Reasons) != 1 || held.Reasons[0] != want {
		t.Errorf("held reasons = %v, want %q", held.Reasons, want)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "categories.csv")); string(after) != string(before) {
		t.Error("a held run replaced categories.csv")
	}
	if m := readGuardManifest(t, filepath.Join(out, "manifest.json")); m.Status != "ok" {
		t.Errorf("the manifest in place changed to %q", m.Status)
	}
	m := readGuardManifest(t, filepath.Join(out, "held", "manifest.json"))
	if m.Status != "held" || m.HeldRun != res.RunID || len(m.Reasons) != len(held.Reasons) {
		t.Errorf("held manifest: %+v", m)
	}
	html, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(html), "categories.csv 未替换，ERP 仍使用之前的文件") ||
		!strings.Contains(string(html), "原因：现用文件的 10 位客户中有 8 位（80 %）的 ERP 类别将改变，超过 guard.max_moved 20 %") {
		t.Error("the report has no banner saying in Chinese what was held and why")
	}
	if status, why := lastStatus(t, cfg); status != "held" || !strings.Contains(why, want) {
		t.Errorf("history: %s %q", status, why)
	}
	if _, err := os.Stat(filepath.Join(cfg.Path(cfg.Inbox), "night2.csv")); !os.IsNotExist(err) {
		t.Errorf("the export of a held run stays in the inbox: it is loaded (%v)", err)
	}

	acc, err := Accept(context.Background(), cfg)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	if acc.RunID != res.RunID {
		t.Errorf("accepted run %d, want %d", acc.RunID, res.RunID)
	}
	heldData, _ := os.ReadFile(filepath.Join(out, "categories.csv"))
	if string(heldData) == string(before) {
		t.Error("accept did not replace categories.csv")
	}
	if m := readGuardManifest(t, filepath.Join(out, "manifest.json")); m.Status != "accepted" || m.HeldRun != res.RunID {
		t.Errorf("accepted manifest: %+v", m)
	}
	if _, err := os.Stat(filepath.Join(out, "held")); !os.IsNotExist(err) {
		t.Errorf("out/held stays after accept: %v", err)
	}
	if status, _ := lastStatus(t, cfg); status != "accepted" {
		t.Errorf("history after accept: %s", status)
	}
	if _, err := Accept(context.Background(), cfg); !errors.Is(err, ErrNothingHeld) {
		t.Errorf("second accept: %v, want ErrNothingHeld", err)
	}
	// The ERP now has the accepted file: the same data again is no change.
	if _, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Job: "test"}); err != nil {
		t.Errorf("the night after accept: %v", err)
	}
}

func TestGuardLimits(t *testing.T) {
	cases := []struct {
		name, config string
		held         string // a reason of the second run; "" = not held
	}{
		{"off", "guard: off\n", ""},
		{"moved", "guard: {max_scored_change: 1}\n", "8 of the 10 customers in the file in place (80 %) would change ERP category, more than guard.max_moved 20 %"},
		{"moved, raised", "guard: {max_moved: 0.8}\n", ""},
		{"scored", "guard: {max_moved: 1}\n", "the scored customers would change from 10 to 40 (300 %), more than guard.max_scored_change 50 %"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := guardStore(t, c.config, map[string]string{"night1.csv": guardSales()})
			if _, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"}); err != nil {
				t.Fatal(err)
			}
			night2 := guardReturns()
			if c.name == "scored" { // thirty new customers
				var b strings.Builder
				b.WriteString("单据日期,单据编号,客户编码,客户名称,价税合计\n")
				for i := 11; i <= 40; i++ {
					fmt.Fprintf(&b, "2026-03-25,N%02d,C%02d,新客户%02d,%d\n", i, i, i, 10*i)
				}
				night2 = b.String()
			}
			addInbox(t, cfg, map[string]string{"night2.csv": night2})
			_, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
			switch {
			case c.held == "" && err != nil:
				t.Errorf("guard off: %v", err)
			case c.held != "" && (!errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), c.held)):
				t.Errorf("err = %v, want held: %q", err, c.held)
			}
		})
	}
}

// A first run whose every sales file fails writes no category file at all.
func TestGuardEveryFileFailed(t *testing.T) {
	cfg := guardStore(t, "", map[string]string{"bad.csv": "单据日期,客户编码,价税合计\nyesterday,C1,10\nlast week,C2,20\n"})
	_, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "every sales file of the run failed (1)") {
		t.Fatalf("err = %v, want held: every sales file failed", err)
	}
	out := cfg.Path(cfg.Out)
	if _, err := os.Stat(filepath.Join(out, "categories.csv")); !os.IsNotExist(err) {
		t.Errorf("categories.csv written: %v", err)
	}
	m := readGuardManifest(t, filepath.Join(out, "held", "manifest.json"))
	if m.Status != "held" || m.RunID != 1 || m.HeldRun != 1 {
		t.Errorf("held manifest: status %q, run %d, held run %d; want held by run 1", m.Status, m.RunID, m.HeldRun)
	}
	// The outputs are run 1's, there being no snapshot of another run to
	// show; the next run finds nothing to repair.
	if got := runCopies(t, out, "2026-03-31"); len(got) != 1 || got[0] != "1" {
		t.Errorf("copies of the outputs under runs/2026-03-31/: %v, want [1]", got)
	}
	addInbox(t, cfg, map[string]string{"good.csv": guardSales()})
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if err != nil && !errors.Is(err, ErrFilesFailed) {
		t.Fatalf("the run after: %v", err)
	}
	if len(res.Repaired) > 0 {
		t.Errorf("the run after a held run repaired: %s", pipeline.TornSummary(res.Repaired))
	}
	if got := runCopies(t, out, "2026-03-31"); len(got) != 2 || got[1] != "2" {
		t.Errorf("copies of the outputs under runs/2026-03-31/: %v, want [1 2]", got)
	}
}

// A first run over an empty inbox is held and names itself in its outputs;
// the next one repairs nothing.
func TestGuardEmptyFirstRun(t *testing.T) {
	cfg := guardStore(t, "", nil)
	addInbox(t, cfg, nil)
	out := cfg.Path(cfg.Out)
	for run := int64(1); run <= 2; run++ {
		res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
		if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "no sales lines are loaded") {
			t.Fatalf("run %d: err = %v, want held: no sales lines", run, err)
		}
		if res.RunID != run || res.Shown != run || len(res.Repaired) > 0 {
			t.Errorf("run %d: id %d, outputs of run %d, repaired %v", run, res.RunID, res.Shown, res.Repaired)
		}
		if m := readGuardManifest(t, filepath.Join(out, "held", "manifest.json")); m.RunID != run {
			t.Errorf("run %d: the held manifest names run %d", run, m.RunID)
		}
	}
	if got := runCopies(t, out, "2026-03-31"); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Errorf("copies of the outputs under runs/2026-03-31/: %v, want [1 2]", got)
	}
}

// runCopies are the names of the folders under out/runs/asOf/, sorted.
func runCopies(t *testing.T, out, asOf string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(out, "runs", asOf))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// No --as-of over data that ended long ago: held, with the data's range
// and the --as-of to use.
func TestGuardOldDataSuggestsAsOf(t *testing.T) {
	cfg := guardStore(t, "", map[string]string{"old.csv": guardSales()})
	now := func() time.Time { return time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC) }
	_, err := Run(context.Background(), cfg, RunOptions{Now: now})
	want := "the data runs from 2026-02-01 to 2026-03-10: to score it, run with --as-of 2026-03-10"
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// An inbox that is not there fails the run before anything is written.
func TestMissingInboxFails(t *testing.T) {
	cfg := guardStore(t, "", nil)
	cfg.Inbox = "/nonexistent/erp/exports"
	_, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if !errors.Is(err, pipeline.ErrNoInbox) || !strings.Contains(err.Error(), "/nonexistent/erp/exports does not exist") {
		t.Fatalf("err = %v, want ErrNoInbox", err)
	}
	if _, err := os.Stat(cfg.Path(cfg.Out)); !os.IsNotExist(err) {
		t.Errorf("outputs written: %v", err)
	}
	if status, why := lastStatus(t, cfg); status != "failed" || !strings.Contains(why, "does not exist") {
		t.Errorf("history: %s %q", status, why)
	}
}

// Under serve, a held scheduled run makes /healthz unhealthy and fires the
// webhook with status held; it is not retried.
func TestGuardUnderServe(t *testing.T) {
	var mu sync.Mutex
	var notices []Notice
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notice
		json.NewDecoder(r.Body).Decode(&n)
		mu.Lock()
		notices = append(notices, n)
		mu.Unlock()
	}))
	defer hook.Close()
	cfg := guardStore(t, fmt.Sprintf("webhook: %s\njobs: [{name: nightly, schedule: \"@daily\", retries: 2, backoff: 10ms}]\nserve: {listen: \"off\"}\n", hook.URL),
		map[string]string{"night1.csv": guardSales()})
	if _, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Job: "nightly", Trigger: "schedule"}); err != nil {
		t.Fatal(err)
	}
	addInbox(t, cfg, map[string]string{"night2.csv": guardReturns()})
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(cfg.Path(cfg.Inbox), "night2.csv"), old, old)
	scheds, _ := Schedules(cfg)
	now := time.Now()
	d := newDaemon(cfg, scheds, ServeOptions{Now: time.Now, Log: testLog(t)})
	d.started = now.Add(-time.Hour)
	d.runJob(context.Background(), scheds[0])
	d.notices.Wait()
	if len(notices) != 1 || notices[0].Status != "held" || notices[0].Attempts != 1 || !strings.Contains(notices[0].Error, "categories.csv not replaced") {
		t.Fatalf("notices = %+v, want one held notice after one attempt", notices)
	}
	var reasons []string
	for _, r := range d.health(now) {
		reasons = append(reasons, r("en"))
	}
	if len(reasons) != 1 || !strings.Contains(reasons[0], "ended held: 8 of the 10 customers in the file in place (80 %) would change ERP category") {
		t.Errorf("health = %q, want the held run", reasons)
	}
}

// The guard holds an .xlsx import form the same way, and accept puts that file in place.
func TestGuardHoldsXLSX(t *testing.T) {
	cfg := guardStore(t, "outputs: {categories: {preset: kingdee-cloud}}\n", map[string]string{"night1.csv": guardSales()})
	out := cfg.Path(cfg.Out)
	if _, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(out, "categories.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	addInbox(t, cfg, map[string]string{"night2.csv": guardReturns()})
	_, err = Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "categories.xlsx not replaced") {
		t.Fatalf("err = %v, want held", err)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "categories.xlsx")); !bytes.Equal(after, before) {
		t.Error("a held run replaced categories.xlsx")
	}
	held, err := os.ReadFile(filepath.Join(out, "held", "categories.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Accept(context.Background(), cfg); err != nil {
		t.Fatalf("accept: %v", err)
	}
	if now, _ := os.ReadFile(filepath.Join(out, "categories.xlsx")); !bytes.Equal(now, held) {
		t.Error("accept did not put the held categories.xlsx in place")
	}
}
