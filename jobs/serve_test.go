package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"custcat/pipeline"
)

// A job that cannot open the database is tried again after its backoff,
// and after the last try the webhook hears of it.
func TestRetriesThenWebhook(t *testing.T) {
	var mu sync.Mutex
	var notices []Notice
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notice
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("webhook got %s %s", r.Method, r.Header.Get("Content-Type"))
		}
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		notices = append(notices, n)
		mu.Unlock()
	}))
	defer hook.Close()
	cfg := outputsStore(t, fmt.Sprintf("webhook: %s\njobs: [{name: nightly, schedule: \"@daily\", retries: 2, backoff: 10ms}]\n", hook.URL),
		map[string]string{"sales1.csv": salesExport})
	// A folder where the database should be: every open fails. (The lock
	// of another process is tested with two processes in cmd/custcat.)
	if err := os.MkdirAll(cfg.Path(cfg.Store.Path), 0o755); err != nil {
		t.Fatal(err)
	}
	scheds, _ := Schedules(cfg)
	d := newDaemon(cfg, scheds, ServeOptions{Now: time.Now, Log: testLog(t)})
	d.runJob(context.Background(), scheds[0])
	d.notices.Wait()
	if len(notices) != 1 {
		t.Fatalf("webhook got %d notices, want 1", len(notices))
	}
	n := notices[0]
	if n.Job != "nightly" || n.Trigger != "schedule" || n.Status != "failed" || n.Attempts != 3 || !strings.Contains(n.Error, "open database") {
		t.Errorf("notice %+v", n)
	}
	if _, err := os.Stat(filepath.Join(cfg.Path(cfg.Inbox), "sales1.csv")); err != nil {
		t.Errorf("the export left the inbox of a failed run: %v", err)
	}
}

// A source with a URL is downloaded before the run; an unchanged export
// (ETag) is not fetched again; a download cut short never reaches the inbox.
func TestFetchSource(t *testing.T) {
	var mu sync.Mutex
	var full, notModified int
	short := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` && !short {
			notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Tue, 10 Mar 2026 01:00:00 GMT")
		if short {
			// Announce the whole, send half, and hang up.
			w.Header().Set("Content-Length", fmt.Sprint(len(salesExport)))
			w.Write([]byte(salesExport[:len(salesExport)/2]))
			panic(http.ErrAbortHandler)
		}
		full++
		w.Write([]byte(salesExport))
	}))
	defer srv.Close()
	cfg := outputsStore(t, "", nil)
	cfg.Sources[0].URL = srv.URL + "/export/sales.csv"
	inbox := cfg.Path(cfg.Inbox)

	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Settle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if full != 1 || res.Load.Totals().Loaded != 5 || res.Moved["sales.csv"] == "" {
		t.Fatalf("first run: %d downloads, %+v, moved %v", full, res.Load.Totals(), res.Moved)
	}
	res, err = Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	if full != 1 || notModified != 1 || len(res.Load.Files) != 0 {
		t.Errorf("second run: %d downloads, %d not modified, files %v", full, notModified, res.Load.Files)
	}
	mu.Lock()
	short = true
	mu.Unlock()
	_, err = Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if err == nil || !strings.Contains(err.Error(), "fetch source erp") {
		t.Errorf("a cut download: %v", err)
	}
	if entries, _ := os.ReadDir(inbox); len(entries) != 0 {
		t.Errorf("a cut download left %v in the inbox", entries)
	}
}

// A job loads only the files of its sources; a file being written waits.
func TestRunSourcesAndSettle(t *testing.T) {
	cfg := outputsStore(t, "", map[string]string{"a-1.csv": salesExport, "b-1.csv": salesExport, "a-2.csv": salesExport})
	cfg.Sources = []pipeline.Source{
		{Name: "a", Ledger: "a", Files: "a-*", Encoding: "auto", Delimiter: ",", Header: "auto"},
		{Name: "b", Ledger: "b", Files: "b-*", Encoding: "auto", Delimiter: ",", Header: "auto"},
	}
	inbox := cfg.Path(cfg.Inbox)
	old := time.Now().Add(-time.Minute)
	for _, n := range []string{"a-1.csv", "b-1.csv"} {
		os.Chtimes(filepath.Join(inbox, n), old, old)
	}
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Sources: []string{"a"}, Settle: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Load.Files) != 1 || res.Load.Files[0].Name != "a-1.csv" {
		t.Errorf("loaded %v, want only a-1.csv", res.Load.Files)
	}
	if strings.Join(res.Waiting, ",") != "a-2.csv" {
		t.Errorf("waiting %v, want a-2.csv (just written)", res.Waiting)
	}
	for _, n := range []string{"b-1.csv", "a-2.csv"} {
		if _, err := os.Stat(filepath.Join(inbox, n)); err != nil {
			t.Errorf("%s left the inbox: %v", n, err)
		}
	}
}

// With catch_up, a job whose time passed while the daemon was down runs
// once at start; without it, the daemon waits for the next time.
func TestServeCatchUp(t *testing.T) {
	for _, catchUp := range []bool{true, false} {
		t.Run(fmt.Sprint("catch_up ", catchUp), func(t *testing.T) {
			cfg := outputsStore(t, fmt.Sprintf("jobs: [{name: hourly, schedule: \"@hourly\"}]\nserve: {listen: \"off\", catch_up: %v}\n", catchUp), nil)
			twoHoursAgo := func() time.Time { return time.Now().Add(-2 * time.Hour) }
			if _, err := Run(context.Background(), cfg, RunOptions{Job: "hourly", Trigger: "schedule", Now: twoHoursAgo}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			logged := &messages{seen: make(chan string, 100)}
			done := make(chan error)
			go func() { done <- Serve(ctx, cfg, ServeOptions{Log: slog.New(logged)}) }()
			// The history is read after the daemon stops: in this process a
			// read-only open beside the daemon's would stop its write.
			timeout := time.After(5 * time.Second)
			if !catchUp {
				timeout = time.After(time.Second)
			}
		wait:
			for {
				select {
				case m := <-logged.seen:
					if m == "done" || m == "run failed" {
						break wait
					}
				case <-timeout:
					break wait
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			runs, _ := History(context.Background(), cfg, 10)
			want := 1
			if catchUp {
				want = 2
			}
			if len(runs) != want || runs[0].Job != "hourly" || runs[0].Trigger != "schedule" || runs[0].Status != "ok" {
				t.Errorf("runs %+v, want %d", runs, want)
			}
		})
	}
}

// messages is a slog handler that passes on the message of each record.
type messages struct{ seen chan string }

func (m *messages) Enabled(context.Context, slog.Level) bool { return true }
func (m *messages) Handle(_ context.Context, r slog.Record) error {
	m.seen <- r.Message
	return nil
}
func (m *messages) WithAttrs([]slog.Attr) slog.Handler { return m }
func (m *messages) WithGroup(string) slog.Handler      { return m }

var _ slog.Handler = (*messages)(nil)

// growing is told when the load starts a file, and writes more to the
// export: an ERP still writing it under its final name.
type growing struct{ path, line string }

func (g growing) Start(string, int64) {
	f, err := os.OpenFile(g.path, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		f.WriteString(g.line)
		f.Close()
	}
}
func (growing) Read(int64)   {}
func (growing) Phase(string) {}

var _ pipeline.Progress = growing{}

// A file that grows while the run reads it stays in the inbox, and the
// next run reads it whole.
func TestFileChangedDuringRunStays(t *testing.T) {
	cfg := outputsStore(t, "", map[string]string{"sales1.csv": salesExport})
	path := filepath.Join(cfg.Path(cfg.Inbox), "sales1.csv")
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Progress: growing{path, "2026-03-05,XS006,C005,新客户,300\n"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil || !strings.Contains(strings.Join(res.Waiting, ","), "sales1.csv") {
		t.Fatalf("the growing file did not stay: %v, waiting %v", err, res.Waiting)
	}
	res, err = Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Moved["sales1.csv"] == "" || res.Customers != 5 {
		t.Errorf("second run: moved %v, %d customers, want the file archived and 5 customers", res.Moved, res.Customers)
	}
}
