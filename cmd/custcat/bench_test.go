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

// The yardsticks beside the checkout (BENCH.md): the export generator,
// DuckDB alone, and the pandas script an analyst would write instead.
// BENCH_YARDSTICKS overrides where they are.
const yardsticks = "../../../shared/bench"

// measure is what one process took.
type measure struct {
	name   string
	lines  int64
	wall   time.Duration
	cpu    time.Duration // user + system
	maxRSS int64         // KiB
	vs     []string      // the names of the measures this one is a ratio to
	err    error
	note   string
}

// BenchmarkEndToEnd runs, as processes and in turn on the same files, the
// yardsticks ref_duckdb (file database) and ref_pandas.py and custcat on
// the plain export of the yardsticks' generator (seed 7) and on a
// real-shaped copy of the same lines (data/benchgen -reshape: GBK, a title
// line, continuation lines, quoted "1,234.50", a 合计 row), checks with
// cmp_categories.py that custcat's segments are the yardsticks', and prints
// wall time, CPU time, peak RSS and custcat's ratios to each yardstick.
// BENCH_SIZES picks the sizes ("1m", "10m", "100m"; 1m and 10m by
// default). The files are written once into the user's cache folder. It
// asserts no timing.
func BenchmarkEndToEnd(b *testing.B) {
	cache, err := os.UserCacheDir()
	if err != nil {
		b.Fatal(err)
	}
	data := filepath.Join(cache, "custcat", "bench")
	if err := os.MkdirAll(data, 0o755); err != nil {
		b.Fatal(err)
	}
	sticks := os.Getenv("BENCH_YARDSTICKS")
	if sticks == "" {
		sticks = yardsticks
	}
	sticks, _ = filepath.Abs(sticks)
	if _, err := os.Stat(filepath.Join(sticks, "ref_pandas.py")); err != nil {
		b.Fatalf("the yardsticks are not in %s (set BENCH_YARDSTICKS): %v", sticks, err)
	}
	python := "/usr/bin/python3"
	if out, err := exec.Command(python, "-c", "import pandas").CombinedOutput(); err != nil {
		b.Fatalf("ref_pandas.py needs Debian's python3-pandas (apt-get install python3-pandas): %v\n%s", err, out)
	}
	bin := b.TempDir()
	builds := []struct{ dir, pkg, name string }{
		{".", "custcat/cmd/custcat", "custcat"},
		{".", "custcat/data/benchgen", "benchgen"},
		{filepath.Join(sticks, "gen"), ".", "gen"},
		{filepath.Join(sticks, "ref_duckdb"), ".", "ref_duckdb"},
	}
	for _, p := range builds {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, p.name), p.pkg)
		cmd.Dir = p.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", p.name, err, out)
		}
	}
	sizes := strings.Fields(strings.ReplaceAll(os.Getenv("BENCH_SIZES"), ",", " "))
	if len(sizes) == 0 {
		sizes = []string{"1m", "10m"}
	}
	rows := map[string]int{"1m": 1_000_000, "10m": 10_000_000, "100m": 100_000_000}
	file := func(name string, make func(path string) *exec.Cmd) string {
		path := filepath.Join(data, name)
		if _, err := os.Stat(path); err == nil {
			return path
		}
		b.Logf("writing %s (once; it stays in %s)", name, data)
		if out, err := make(path).CombinedOutput(); err != nil {
			b.Fatalf("write %s: %v\n%s", name, err, out)
		}
		return path
	}
	gen := func(path string, n int) *exec.Cmd {
		// The generator writes the file whole only at the end: a .part first.
		return exec.Command("sh", "-c", fmt.Sprintf("%q --seed 7 --rows %d --encoding utf8 --out %q >/dev/null 2>&1 && mv %q %q",
			filepath.Join(bin, "gen"), n, path+".part", path+".part", path))
	}

	var all []measure
	for range b.N {
		all = all[:0]
		for _, size := range sizes {
			n, ok := rows[size]
			if !ok {
				b.Fatalf("BENCH_SIZES: %q is not one of 1m, 10m, 100m", size)
			}
			plain := file("lines_"+size+".csv", func(p string) *exec.Cmd { return gen(p, n) })
			var lines int64
			if size != "100m" {
				lines = countLines(b, plain) - 1
			} else {
				lines = int64(n)
			}
			if size == "100m" {
				// The scale run: custcat alone, under the default 512MB.
				m, _ := runCustcat(b, bin, "", plain, "2024-12-31", "")
				m.name, m.lines = "custcat 100m", lines
				all = append(all, m)
				continue
			}
			real := file("real_"+size+".csv", func(p string) *exec.Cmd {
				return exec.Command(filepath.Join(bin, "benchgen"), "-reshape", plain, "-o", p)
			})
			duck, duckOut := runRefDuckDB(b, bin, plain)
			duck.name, duck.lines = "ref_duckdb "+size, lines
			panda, pandaOut := runRefPandas(b, python, sticks, plain)
			panda.name, panda.lines = "ref_pandas "+size, lines
			vs := []string{duck.name, panda.name}
			full, dir := runCustcat(b, bin, "", plain, "2024-12-31", "")
			full.name, full.lines, full.vs = "custcat "+size, lines, vs
			full.note = sameSegments(b, sticks, dir, duckOut, pandaOut)
			shaped, sdir := runCustcat(b, bin, "", real, "2024-12-31", "")
			shaped.name, shaped.lines, shaped.vs = "custcat "+size+" real-shaped", lines, append([]string{full.name}, vs...)
			shaped.note = sameSegments(b, sticks, sdir, duckOut, pandaOut)
			all = append(all, duck, panda, full, shaped)
			if size == "10m" {
				nightly := file("nightly_10m.csv", func(p string) *exec.Cmd {
					return exec.Command(filepath.Join(bin, "benchgen"), "-lines", "30000", "-customers", "50000",
						"-from", "2025-01-01", "-to", "2025-01-01", "-docs", "90000000", "-seed", "8", "-o", p)
				})
				night, _ := runCustcat(b, bin, dir, nightly, "2025-01-01", "")
				night.name, night.lines, night.vs = "nightly into 10m", 30_000, []string{full.name}
				all = append(all, night)
			}
		}
		for _, r := range realData {
			m, _ := runCustcat(b, bin, "", filepath.Join("..", "..", "data", "public", r.file), r.asOf, r.config)
			m.name, m.lines = "public: "+r.name, r.lines
			all = append(all, m)
		}
	}
	printMeasures(all)
}

// The public data sets, as TestRealData reads them.
var realData = []struct {
	name, file, asOf, config string
	lines                    int64
}{
	{"cdnow", "cdnow/CDNOW_master.txt", "1998-06-30", "window_days: 0\nsources:\n  - {name: cdnow, header: none, columns: {customer_code: 1, date: 2, quantity: 3, amount: 4}}\n", 69_659},
	{"rfm", "rfm/rfm_data_orders.csv", "2006-12-31", "window_days: 0\n", 4_906},
	{"online retail", "online_retail/online_retail.csv.gz", "2011-12-09", "window_days: 0\nsources:\n  - {name: retail, max_reject_ratio: 0.3}\n", 541_909},
}

func countLines(b *testing.B, path string) int64 {
	b.Helper()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := f.Read(buf)
		for _, c := range buf[:k] {
			if c == '\n' {
				n++
			}
		}
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// sameSegments compares custcat's categories.csv in dir with the
// yardsticks' outputs: "" when both agree, else what differs.
func sameSegments(b *testing.B, sticks, dir string, refs ...string) string {
	b.Helper()
	var notes []string
	for _, ref := range refs {
		out, err := exec.Command("/usr/bin/python3", filepath.Join(sticks, "cmp_categories.py"), filepath.Join(dir, "out", "categories.csv"), ref).CombinedOutput()
		if err != nil {
			b.Errorf("the segments differ from %s: %v\n%s", filepath.Base(ref), err, out)
			notes = append(notes, "segments differ from "+filepath.Base(ref))
		}
	}
	if len(notes) == 0 {
		return "segments as both yardsticks"
	}
	return strings.Join(notes, "; ")
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

// runRefDuckDB runs the DuckDB yardstick with a database file; it returns
// the measure and its output.
func runRefDuckDB(b *testing.B, bin, export string) (measure, string) {
	b.Helper()
	dir := b.TempDir()
	out := filepath.Join(dir, "ref_duckdb.csv")
	return run(b, exec.Command(filepath.Join(bin, "ref_duckdb"), "--in", export, "--as-of", "2024-12-31",
		"--db", filepath.Join(dir, "ref.duckdb"), "--out", out)), out
}

func runRefPandas(b *testing.B, python, sticks, export string) (measure, string) {
	b.Helper()
	out := filepath.Join(b.TempDir(), "ref_pandas.csv")
	return run(b, exec.Command(python, filepath.Join(sticks, "ref_pandas.py"), "--in", export, "--as-of", "2024-12-31", "--out", out)), out
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
	fmt.Printf("\n| run | lines | wall s | CPU s | peak RSS MiB | peak RSS MB | lines/s | ratios (wall, CPU) | |\n|---|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, m := range all {
		var ratios []string
		for _, name := range m.vs {
			if v, ok := byName[name]; ok && v.wall > 0 {
				ratios = append(ratios, fmt.Sprintf("%.2f x, %.2f x %s", m.wall.Seconds()/v.wall.Seconds(), m.cpu.Seconds()/max(v.cpu.Seconds(), 1e-9), v.name))
			}
		}
		note := m.note
		if m.err != nil {
			note = "failed: " + m.err.Error()
		}
		// rusage gives KiB: the peak in MiB, and in MB (10^6 bytes) beside it.
		fmt.Printf("| %s | %d | %.2f | %.2f | %d | %d | %.0f | %s | %s |\n", m.name, m.lines, m.wall.Seconds(), m.cpu.Seconds(),
			m.maxRSS/1024, m.maxRSS*1024/1e6, float64(m.lines)/m.wall.Seconds(), strings.Join(ratios, "; "), note)
	}
	if a, c := byName["custcat 1m"], byName["custcat 10m"]; a.wall > 0 && c.wall > 0 {
		fmt.Printf("\ngrowth: the 10m run takes %.2f x the 1m run (CPU %.2f x)\n", c.wall.Seconds()/a.wall.Seconds(), c.cpu.Seconds()/a.cpu.Seconds())
	}
	fmt.Println()
}
