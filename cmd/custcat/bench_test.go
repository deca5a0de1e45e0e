//go:build !windows

// BenchmarkEndToEnd measures processes with Unix calls (sync, rusage).

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The exports of the benchmark, written once by data/benchgen into the
// user's cache folder and reused: lines, customers, and how they are made.
var benchFiles = map[string][]string{
	"sales_1m.csv":     {"-lines", "1000000", "-customers", "5000"},
	"sales_1m_gbk.csv": {"-lines", "1000000", "-customers", "5000", "-gbk"},
	"sales_10m.csv":    {"-lines", "10000000", "-customers", "50000"},
	// One night of exports into the 10M database: 0.3 % of its lines, the
	// day after, documents numbered after the others.
	"nightly_10m.csv": {"-lines", "30000", "-customers", "50000", "-from", "2025-01-01", "-to", "2025-01-01", "-docs", "90000000", "-seed", "8"},
}

// measure is what one process took.
type measure struct {
	name   string
	lines  int64
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // KiB
	vs     string        // the name of the measure this one is a ratio to
	err    error
}

// BenchmarkEndToEnd runs the built custcat binary and the engine-only
// baseline (data/benchbase) as processes on the benchgen exports and the
// real data sets, and prints wall time, CPU time, peak RSS, lines per
// second and the ratios the targets are stated in (BENCH.md). BENCH_SIZES
// picks the sizes ("1m", "10m"; both by default). It asserts no timing.
func BenchmarkEndToEnd(b *testing.B) {
	cache, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	data := filepath.Join(cache, "custcat", "bench")
	if err := os.MkdirAll(data, 0o755); err != nil {
		b.Fatal(err)
	}
	bin := b.TempDir()
	for _, pkg := range []string{"custcat/cmd/custcat", "custcat/data/benchgen", "custcat/data/benchbase"} {
		out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
		if err != nil {
			b.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	sizes := strings.Fields(strings.ReplaceAll(os.Getenv("BENCH_SIZES"), ",", " "))
	if len(sizes) == 0 {
		sizes = []string{"1m", "10m"}
	}
	for name, args := range benchFiles {
		if !wanted(name, sizes) {
			continue
		}
		if _, err := os.Stat(filepath.Join(data, name)); err == nil {
			continue
		}
		b.Logf("writing %s (once; it stays in %s)", name, data)
		if out, err := exec.Command(filepath.Join(bin, "benchgen"), append(args, "-o", filepath.Join(data, name))...).CombinedOutput(); err != nil {
			b.Fatalf("benchgen %s: %v\n%s", name, err, out)
		}
	}

	var all []measure
	for range b.N {
		all = all[:0]
		for _, size := range sizes {
			lines := map[string]int64{"1m": 1_000_000, "10m": 10_000_000}[size]
			file := filepath.Join(data, "sales_"+size+".csv")
			base := runBaseline(b, bin, file, "")
			base.name, base.lines = "baseline "+size, lines
			full, dir := runCustcat(b, bin, "", file, "2024-12-31", "")
			full.name, full.lines, full.vs = "custcat "+size, lines, base.name
			all = append(all, base, full)
			switch size {
			case "1m":
				gbk, _ := runCustcat(b, bin, "", filepath.Join(data, "sales_1m_gbk.csv"), "2024-12-31", "")
				gbk.name, gbk.lines, gbk.vs = "custcat 1m GBK", lines, base.name
				all = append(all, gbk)
			case "10m":
				night, _ := runCustcat(b, bin, dir, filepath.Join(data, "nightly_10m.csv"), "2025-01-01", "")
				night.name, night.lines, night.vs = "nightly into 10m", 30_000, full.name
				// The default memory_limit is 512MB; the same run with twice that.
				big, _ := runCustcat(b, bin, "", file, "2024-12-31", "store: {memory_limit: 1GB}\n")
				big.name, big.lines, big.vs = "custcat 10m, 1GB", lines, base.name
				all = append(all, night, big)
			}
		}
		for _, r := range realData {
			m, _ := runCustcat(b, bin, "", filepath.Join("..", "..", "data", "public", r.file), r.asOf, r.config)
			m.name, m.lines = "real: "+r.name, r.lines
			all = append(all, m)
		}
	}
	printMeasures(all)
}

// The real data sets beside the checkout, as TestRealData reads them.
var realData = []struct {
	name, file, asOf, config string
	lines                    int64
}{
	{"cdnow", "cdnow/CDNOW_master.txt", "1998-06-30", "window_days: 0\nsources:\n  - {name: cdnow, header: none, columns: {customer_code: 1, date: 2, quantity: 3, amount: 4}}\n", 69_659},
	{"rfm", "rfm/rfm_data_orders.csv", "2006-12-31", "window_days: 0\n", 4_906},
	{"online retail", "online_retail/online_retail.csv.gz", "2011-12-09", "window_days: 0\nsources:\n  - {name: retail, max_reject_ratio: 0.3}\n", 541_909},
}

func wanted(file string, sizes []string) bool {
	for _, s := range sizes {
		if strings.Contains(file, "_"+s) {
			return true
		}
	}
	return false
}

// runCustcat runs `custcat run` in dir (a fresh folder when empty) with
// the export linked into its inbox, and returns the measure and the folder.
func runCustcat(b *testing.B, bin, dir, export, asOf, config string) (measure, string) {
	b.Helper()
	if dir == "" {
		dir = b.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "custcat.yaml"), []byte(config), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		b.Fatal(err)
	}
	dest := filepath.Join(inbox, filepath.Base(export))
	if err := os.Link(export, dest); err != nil {
		// Another file system: a copy (the run moves it to archive/).
		if err := copyFile(export, dest); err != nil {
			b.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour) // older than the inbox's settle time
	if err := os.Chtimes(dest, old, old); err != nil {
		b.Fatal(err)
	}
	m := run(b, exec.Command(filepath.Join(bin, "custcat"), "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", asOf))
	return m, dir
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func runBaseline(b *testing.B, bin, export, memory string) measure {
	b.Helper()
	dir := b.TempDir()
	args := []string{"-csv", export, "-db", filepath.Join(dir, "base.duckdb"), "-out", filepath.Join(dir, "base.csv")}
	if memory != "" {
		args = append(args, "-memory-limit", memory)
	}
	return run(b, exec.Command(filepath.Join(bin, "benchbase"), args...))
}

// run runs a process and measures it; the exit code of custcat 1 (some
// lines rejected) does not stop the benchmark, but a failure is printed.
func run(b *testing.B, cmd *exec.Cmd) measure {
	b.Helper()
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	// The files the run before wrote are still being written back to disk:
	// without this, each run pays for the last one's (a 10M run after the
	// baseline took 62-65 s, alone 53-54 s).
	syscall.Sync()
	start := time.Now()
	err := cmd.Run()
	m := measure{wall: time.Since(start), err: err}
	if err != nil {
		b.Errorf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.maxRSS = ru.Maxrss
	}
	return m
}

func printMeasures(all []measure) {
	byName := map[string]measure{}
	for _, m := range all {
		byName[m.name] = m
	}
	fmt.Printf("\n| run | lines | wall s | CPU s | peak RSS MB | lines/s | ratio |\n|---|---:|---:|---:|---:|---:|---|\n")
	for _, m := range all {
		ratio := ""
		if v, ok := byName[m.vs]; ok && v.wall > 0 {
			ratio = fmt.Sprintf("%.2f x %s (CPU %.2f x)", m.wall.Seconds()/v.wall.Seconds(), v.name, m.cpu.Seconds()/max(v.cpu.Seconds(), 1e-9))
		}
		if m.err != nil {
			ratio = "failed: " + m.err.Error()
		}
		fmt.Printf("| %s | %d | %.2f | %.2f | %d | %.0f | %s |\n", m.name, m.lines, m.wall.Seconds(), m.cpu.Seconds(),
			m.maxRSS/1024, float64(m.lines)/m.wall.Seconds(), ratio)
	}
	if a, c := byName["custcat 1m"], byName["custcat 10m"]; a.wall > 0 && c.wall > 0 {
		fmt.Printf("\ngrowth: the 10m run takes %.2f x the 1m run\n", c.wall.Seconds()/a.wall.Seconds())
	}
	fmt.Println()
}
