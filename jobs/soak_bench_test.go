package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"custcat/pipeline"
)

// every is a schedule faster than cron's one second, for the soak.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

var _ cron.Schedule = every(0)

const soakConfig = `
store: {path: var/custcat.duckdb, threads: 1, memory_limit: 256MB}
sources: [{name: erp, delimiter: comma}]
serve: {listen: "off", settle: 0s}
jobs: [{name: soak, schedule: "@every 1s"}]
`

// soakExport is the i-th export: 20 lines of its own documents.
func soakExport(i int) string {
	var b strings.Builder
	b.WriteString("单据日期,单据编号,客户编码,客户名称,价税合计\n")
	for k := range 20 {
		fmt.Fprintf(&b, "2026-%02d-%02d,S%d-%d,C%03d,客户%d,%d.%02d\n", (i+k)%10+1, k%28+1, i, k, (i*7+k)%60, (i*7+k)%60, 100+i*k%900, k)
	}
	return b.String()
}

func soakConfigAt(b *testing.B) *pipeline.Config {
	b.Helper()
	dir := b.TempDir()
	path := filepath.Join(dir, "custcat.yaml")
	if err := os.WriteFile(path, []byte(soakConfig), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		b.Fatal(err)
	}
	os.MkdirAll(cfg.Path(cfg.Inbox), 0o755)
	return &cfg
}

func dropExport(b *testing.B, cfg *pipeline.Config, i int) {
	b.Helper()
	p := filepath.Join(cfg.Path(cfg.Inbox), fmt.Sprintf("sales-%03d.csv", i))
	if err := os.WriteFile(p+".tmp", []byte(soakExport(i)), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		b.Fatal(err)
	}
}

func openFDs() int {
	entries, _ := os.ReadDir("/proc/self/fd")
	return len(entries)
}

// rssMB is the resident memory of the process, DuckDB's included.
func rssMB() float64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb float64
			fmt.Sscanf(strings.TrimSpace(rest), "%f", &kb)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkSoak runs the daemon's loop for 200 scheduled runs in a row on
// a 100 ms schedule, an export arriving after each run, and checks that the
// totals equal those of one run over all the exports. It prints the
// goroutines, open files, Go heap and resident memory every 40 runs.
func BenchmarkSoak(b *testing.B) {
	const runs = 200
	for b.Loop() {
		cfg := soakConfigAt(b)
		scheds, err := Schedules(cfg)
		if err != nil {
			b.Fatal(err)
		}
		scheds[0].Cron = every(100 * time.Millisecond)
		logged := &messages{seen: make(chan string, 1024)}
		d := newDaemon(cfg, scheds, ServeOptions{Now: time.Now, Log: slog.New(logged)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		dropExport(b, cfg, 0)
		go func() { d.loop(ctx, scheds); close(done) }()
		var base struct{ goroutines, fds int }
		var baseHeap uint64
		var baseRSS float64
		var mem runtime.MemStats
		for n := 1; n <= runs; {
			switch <-logged.seen {
			case "run failed":
				b.Fatalf("run %d failed", n)
			case "done":
			default:
				continue
			}
			if n < runs {
				dropExport(b, cfg, n)
			}
			if n%40 == 0 || n == 1 || n == 20 {
				runtime.GC()
				runtime.ReadMemStats(&mem)
				g, f := runtime.NumGoroutine(), openFDs()
				if n == 20 {
					base.goroutines, base.fds, baseHeap, baseRSS = g, f, mem.HeapAlloc, rssMB()
				}
				b.Logf("run %3d: %d goroutines, %d open files, Go heap %.1f MB, resident %.0f MB", n, g, f, float64(mem.HeapAlloc)/(1<<20), rssMB())
				if n == runs {
					b.ReportMetric(float64(g-base.goroutines), "goroutines-grown")
					b.ReportMetric(float64(f-base.fds), "fds-grown")
					b.ReportMetric(float64(int64(mem.HeapAlloc)-int64(baseHeap))/(1<<20), "heap-MB-grown")
					b.ReportMetric(rssMB()-baseRSS, "resident-MB-grown")
				}
			}
			n++
		}
		cancel()
		<-done

		hist, err := History(context.Background(), cfg, runs+10)
		if err != nil {
			b.Fatal(err)
		}
		var loaded int64
		for _, r := range hist {
			loaded += r.LinesLoaded
		}
		last := hist[0]

		// One run over every export, in a fresh store, as of the same day.
		one := soakConfigAt(b)
		for i := range runs {
			dropExport(b, one, i)
		}
		res, err := Run(context.Background(), one, RunOptions{AsOf: last.AsOf})
		if err != nil {
			b.Fatal(err)
		}
		single := record("one", "manual", res, time.Time{}, time.Time{}, nil)
		if len(hist) != runs || loaded != single.LinesLoaded || last.Customers != single.Customers || fmt.Sprint(last.Segments) != fmt.Sprint(single.Segments) {
			b.Errorf("after %d runs (%d recorded): %d lines, %d customers, %v; one run: %d lines, %d customers, %v",
				runs, len(hist), loaded, last.Customers, last.Segments, single.LinesLoaded, single.Customers, single.Segments)
		}
		b.Logf("%d runs: %d lines loaded, %d customers, segments %v: the same as one run over all", runs, loaded, last.Customers, last.Segments)
	}
}
