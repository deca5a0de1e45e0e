//go:build linux

// The small disk is a tmpfs of a fixed size mounted for the test: that
// takes Linux's mount(2), as root (CI runs as root) or as root of a user
// and mount namespace (unshare -rm) where the kernel allows those.

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// smallDiskSize is the size of the small disk. It holds everything of
// the install (config, inbox, database, DuckDB's temp folder, TMPDIR, out,
// archive), a copy of it for the sizing runs, and a filler file that
// leaves as much free as a case needs.
const smallDiskSize = 256 << 20

// TestSmallDisk runs custcat, as a process, with everything on one small
// file system: the database, DuckDB's temp folder beside it (its default),
// TMPDIR, the inbox and the outputs. A run that fits loads whole and leaves
// no temporary file anywhere. A run that does not fit, whether the disk
// fills as the lines are stored, as DuckDB spills what does not fit in
// memory_limit, or as the commit's checkpoint writes, fails saying that the
// disk is full and which folder; it leaves the database, the category file
// and the export as they were, and no temporary file. Once space is freed
// the same export loads and the counts add up.
//
// How much to leave free for each case is measured, not guessed: the run
// is made first on a copy of the install on the same disk, watching the
// disk's use, and the case leaves free what that run needed before the
// step it is about plus half of what the step took.
func TestSmallDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("runs custcat as a process seven times on a tmpfs")
	}
	disk := mountSmallDisk(t)
	if disk == "" {
		return // the test ran in a namespace of its own
	}
	start := time.Now()
	install := filepath.Join(disk, "custcat")
	for _, d := range []string{"inbox", "tmp"} {
		if err := os.MkdirAll(filepath.Join(install, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	database := filepath.Join(install, "var", "custcat.duckdb")
	categories := filepath.Join(install, "out", "categories.csv")

	// 1. An export that fits, at a memory_limit that makes DuckDB spill.
	const linesA, customersA = 100_000, 3_000
	writeExport(t, filepath.Join(install, "inbox", "a.csv"), linesA, 0, customersA)
	smallDiskConfig(t, install, "96MB")
	r := runOnDisk(t, disk, install)
	if r.code != exitOK {
		t.Fatalf("the export that fits: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r.spilled() == 0 {
		t.Fatalf("the first run did not spill to DuckDB's temp folder, so nothing here tests it: lower its memory_limit")
	}
	t.Logf("run 1, a.csv fits: %v, DuckDB spilled up to %s, database %s", r.took, mib(r.spilled()), mib(fileSize(t, database)))
	noLeftovers(t, install, "after the run that fits")
	want := fmt.Sprintf("%d lines, 1 files, 0 rejects, %d snapshot rows, %d category rows, 1 runs", linesA, customersA, customersA)
	if got := dbState(t, install); got != want {
		t.Fatalf("after the first run the database holds %s; want %s", got, want)
	}
	if n := len(csvRows(t, categories)); n != customersA {
		t.Fatalf("categories.csv lists %d customers, want %d", n, customersA)
	}
	goodCategories, goodDB := readFile(t, categories), dbState(t, install)

	// 2. An export that does not fit, in three ways; each run fails whole.
	const linesB, customersB = 400_000, 6_000
	writeExport(t, filepath.Join(install, "inbox", "b.csv"), linesB, 10_000_000, customersB)
	for _, c := range []struct {
		name   string
		memory string
		free   func(t *testing.T) int64 // what to leave free on the disk
		want   []string                 // in the error
	}{
		{
			// No spill at 512MB, and 1 MB free: the first row groups of
			// b.csv that DuckDB writes to the database file find no room.
			name: "the lines outgrow the disk", memory: "512MB",
			free: func(*testing.T) int64 { return 1 << 20 },
			want: []string{"load: b.csv: store lines:", "No space left on device",
				"the disk that holds the database " + database + " (store.path) is full", "free space on it"},
		},
		{
			// Room for all the run writes before its commit, and for half
			// of what the commit's checkpoint adds.
			name: "the commit outgrows the disk", memory: "512MB",
			free: func(t *testing.T) int64 {
				s := sizing(t, disk, install, "512MB")
				before, peak := s.usedAt("msg=commit"), s.peakAfter("msg=commit")
				if before < 0 || peak <= before {
					t.Fatalf("the sizing run wrote nothing measurable in its commit (used %s at it, %s at most after)", mib(before), mib(peak))
				}
				t.Logf("  sizing: %s before the commit, %s more at most in it", mib(before), mib(peak-before))
				return before + (peak-before)/2
			},
			want: []string{"commit:", "No space left on device",
				"the disk that holds the database " + database + " (store.path) is full", "free space on it"},
		},
		{
			// At 96MB DuckDB spills: room for all but half of the most it
			// spilled at once.
			name: "DuckDB's spill outgrows the disk", memory: "96MB",
			free: func(t *testing.T) int64 {
				s := sizing(t, disk, install, "96MB")
				used, spill := s.atPeakSpill()
				if spill < 4<<20 {
					t.Fatalf("the sizing run spilled %s at most: too little to fill the disk with; lower its memory_limit", mib(spill))
				}
				t.Logf("  sizing: %s spilled at most, with %s more in use", mib(spill), mib(used-spill))
				return used - spill/2
			},
			// DuckDB tells either that the temp folder reached its cap (90 %
			// of the space free when it began to spill) or that a write to
			// it found no room: custcat names the folder, as the config does
			// (store.path with .tmp) or as DuckDB does.
			want: []string{"the disk of DuckDB's temp folder ", "var" + string(filepath.Separator) + "custcat.duckdb.tmp is full",
				"free space on that disk", "raise store.memory_limit"},
		},
	} {
		free := c.free(t)
		smallDiskConfig(t, install, c.memory)
		fill(t, disk, free)
		r := runOnDisk(t, disk, install)
		t.Logf("%s (%s free): %v, exit %d, DuckDB spilled up to %s, database %s:\n%s", c.name, mib(free), r.took, r.code,
			mib(r.spilled()), mib(fileSize(t, database)), r.lastError())
		if r.code != exitFailed {
			t.Fatalf("%s: exit %d, want %d\n%s%s", c.name, r.code, exitFailed, r.stdout, r.stderr)
		}
		for _, w := range append([]string{"custcat: run failed, the database is unchanged: "}, c.want...) {
			if !strings.Contains(r.lastError(), w) {
				t.Errorf("%s: the message does not say %q", c.name, w)
			}
		}
		// What the run read is no load: its summary says it rolled back.
		if strings.Contains(r.stdout, "b.csv") && !strings.Contains(r.stdout, "FAILED, rolled back: nothing below is in the database") {
			t.Errorf("%s: the summary of the failed run does not say it rolled back:\n%s", c.name, r.stdout)
		}
		for _, not := range []string{"PRAGMA", "SET ", "DuckDB needed more memory"} {
			if strings.Contains(r.lastError(), not) {
				t.Errorf("%s: the message says %q", c.name, not)
			}
		}
		// The failed run is in the history where its record found room.
		if got := dbState(t, install); got != goodDB && !strings.HasPrefix(got, goodDB+", ") {
			t.Errorf("%s: the database holds %s; want %s, and the failed runs", c.name, got, goodDB)
		}
		if readFile(t, categories) != goodCategories {
			t.Errorf("%s: categories.csv is not the one of the run that fitted", c.name)
		}
		if _, err := os.Stat(filepath.Join(install, "inbox", "b.csv")); err != nil {
			t.Errorf("%s: b.csv left the inbox: %v", c.name, err)
		}
		if _, err := os.Stat(filepath.Join(install, "failed")); err == nil {
			t.Errorf("%s: a failed/ folder was made: the export is not at fault", c.name)
		}
		noLeftovers(t, install, "after "+c.name)
	}

	// 3. Space freed (the filler deleted), the same export loads.
	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	r = runOnDisk(t, disk, install)
	t.Logf("run after freeing space: %v, exit %d, DuckDB spilled up to %s, database %s", r.took, r.code, mib(r.spilled()), mib(fileSize(t, database)))
	if r.code != exitOK {
		t.Fatalf("after freeing space: exit %d: %s", r.code, r.lastError())
	}
	got := dbState(t, install)
	want = fmt.Sprintf("%d lines, 2 files, 0 rejects, %d snapshot rows, %d category rows, 2 runs", linesA+linesB, customersB, customersB)
	if got != want && !strings.HasPrefix(got, want+", ") {
		t.Errorf("after freeing space the database holds %s; want %s, and the failed runs", got, want)
	}
	if n := len(csvRows(t, categories)); n != customersB {
		t.Errorf("categories.csv lists %d customers, want %d", n, customersB)
	}
	if _, err := os.Stat(filepath.Join(install, "inbox", "b.csv")); err == nil {
		t.Error("b.csv is still in the inbox")
	}
	noLeftovers(t, install, "after the run that loaded b.csv")
	t.Logf("took %v in all; %s", time.Since(start).Round(time.Millisecond), got)
}

// smallDiskConfig writes the config of the install in dir: every path
// the default, relative to it; guard off, because the second export more
// than doubles the customers, which the guard would rightly hold.
func smallDiskConfig(t *testing.T, dir, memory string) {
	t.Helper()
	text := fmt.Sprintf("store: {memory_limit: %s, threads: 2}\nguard: off\n", memory)
	if err := os.WriteFile(filepath.Join(dir, "custcat.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sizing runs custcat on a copy of the install in disk, at memory, and
// returns the run, whose samples count from what the disk held before it
// (the copy included). The copy is removed after.
func sizing(t *testing.T, disk, install, memory string) runResult {
	t.Helper()
	dir := filepath.Join(disk, "sizing")
	os.RemoveAll(filepath.Join(disk, "filler"))
	// What a run reads and replaces: the database, the inbox, the outputs.
	for _, sub := range []string{"var", "inbox", "out"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(install, sub))); err != nil {
			t.Fatal(err)
		}
	}
	defer os.RemoveAll(dir)
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The config's paths are relative: the copy is an install of its own.
	smallDiskConfig(t, dir, memory)
	r := runOnDisk(t, disk, dir)
	if r.code != exitOK {
		t.Fatalf("the sizing run at %s: exit %d\n%s%s", memory, r.code, r.stdout, r.stderr)
	}
	return r
}

// mountSmallDisk mounts a tmpfs of smallDiskSize on a temp folder and
// returns it. Where mount(2) is not permitted (not root), it runs the test
// again as root of a new user and mount namespace, reports its result and
// returns "".
func mountSmallDisk(t *testing.T) string {
	t.Helper()
	disk := t.TempDir()
	err := syscall.Mount("tmpfs", disk, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", smallDiskSize))
	if errors.Is(err, syscall.EPERM) && os.Getenv("CUSTCAT_SMALL_DISK_NS") == "" {
		if out, err := exec.Command("unshare", "-rm", "true").CombinedOutput(); err != nil {
			t.Fatalf("this test mounts a small tmpfs: run it as root (CI runs as root), or where unprivileged user namespaces are allowed (unshare -rm true: %v %s)", err, out)
		}
		cmd := exec.Command("unshare", "-rm", os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), "CUSTCAT_SMALL_DISK_NS=1")
		out, err := cmd.CombinedOutput()
		t.Logf("as root of a user and mount namespace:\n%s", out)
		if err != nil || !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
			t.Fatalf("the test in the namespace: %v", err)
		}
		return ""
	}
	if err != nil {
		t.Fatalf("mount a %d MB tmpfs on %s: %v; this test needs root (CI runs as root) or unprivileged user namespaces", smallDiskSize>>20, disk, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(disk, 0); err != nil {
			t.Errorf("unmount %s: %v", disk, err)
			syscall.Unmount(disk, syscall.MNT_DETACH)
		}
	})
	return disk
}

// writeExport writes n sales lines, three to a document, of documents
// numbered from doc on, for customers C0000 to C<customers-1>, dated from
// 2024-01-02 to 2024-12-31 (inside the 365-day window of 2024-12-31).
// Every line is good and none repeats another.
func writeExport(t *testing.T, path string, n, doc, customers int) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("日期,单据编号,客户编码,客户名称,商品名称,数量,含税单价,价税合计\n")
	day0 := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	for i := range n {
		d := doc + i/3
		c := d % customers
		if i/3 < customers {
			c = i / 3 // every customer has a document
		}
		qty, cents := 1+i%37, 150+(i*7919)%99_000
		fmt.Fprintf(&b, "%s,XS%09d,C%04d,客户%04d有限公司,商品%03d 规格%d,%d,%d.%02d,%d.%02d\n",
			day0.AddDate(0, 0, (d*13)%364).Format(time.DateOnly), d, c, c, (i*31)%500, i%3, qty,
			cents/100, cents%100, qty*cents/100, qty*cents%100)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runResult is one custcat run on the small disk.
type runResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
	samples        []diskSample
	inTMPDIR       []string // what TMPDIR held at some moment of the run
}

// diskSample is what the disk held at one moment of a run: used counts from
// the start of the run, spill is what DuckDB's temp folder held, step the
// last log line's msg.
type diskSample struct {
	used, spill int64
	step        string
}

func (r runResult) spilled() int64 {
	var n int64
	for _, s := range r.samples {
		n = max(n, s.spill)
	}
	return n
}

// usedAt is what was in use when the run logged msg first; -1 if never.
func (r runResult) usedAt(msg string) int64 {
	for _, s := range r.samples {
		if s.step == msg {
			return s.used
		}
	}
	return -1
}

// peakAfter is the most in use from the log line msg on.
func (r runResult) peakAfter(msg string) int64 {
	n, on := int64(-1), false
	for _, s := range r.samples {
		on = on || s.step == msg
		if on {
			n = max(n, s.used)
		}
	}
	return n
}

// atPeakSpill is what was in use, and spilled, when the spill was largest.
func (r runResult) atPeakSpill() (used, spill int64) {
	for _, s := range r.samples {
		if s.spill > spill {
			used, spill = s.used, s.spill
		}
	}
	return used, spill
}

// lastError is the last line of stderr: custcat's error.
func (r runResult) lastError() string {
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	return lines[len(lines)-1]
}

// runOnDisk runs custcat run -v on the install in dir, with TMPDIR in it,
// and samples the disk's use and DuckDB's temp folder every few
// milliseconds meanwhile, with the step the log names; a file seen in
// TMPDIR meanwhile fails the test.
func runOnDisk(t *testing.T, disk, dir string) runResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31", "-v")
	cmd.Env = append(os.Environ(), "CUSTCAT_TEST_MAIN=1", "TMPDIR="+filepath.Join(dir, "tmp"))
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	base := diskUsed(t, disk)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		errOut   strings.Builder
		step     string
		samples  []diskSample
		inTMPDIR []string
	)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			mu.Lock()
			errOut.WriteString(sc.Text() + "\n")
			if m := logMsg.FindStringSubmatch(sc.Text()); m != nil {
				step = "msg=" + strings.Trim(m[1], `"`)
			}
			mu.Unlock()
		}
	}()
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			used, spill := diskUsed(t, disk)-base, dirSize(filepath.Join(dir, "var", "custcat.duckdb.tmp"))
			tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
			mu.Lock()
			samples = append(samples, diskSample{used, spill, step})
			for _, e := range tmp {
				if !slices.Contains(inTMPDIR, e.Name()) {
					inTMPDIR = append(inTMPDIR, e.Name())
				}
			}
			mu.Unlock()
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	<-scanned // stderr is read to its end before Wait closes it
	err = cmd.Wait()
	close(done)
	<-sampled
	r := runResult{stdout: out.String(), stderr: errOut.String(), took: time.Since(start).Round(time.Millisecond), samples: samples, inTMPDIR: inTMPDIR}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	if len(r.inTMPDIR) > 0 {
		t.Errorf("custcat wrote to TMPDIR while it ran: %s", strings.Join(r.inTMPDIR, ", "))
	}
	return r
}

// logMsg finds the msg of a log line.
var logMsg = regexp.MustCompile(`\bmsg=("[^"]*"|\S+)`)

// diskUsed is how many bytes are in use on the file system of dir.
func diskUsed(t *testing.T, dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Error(err)
		return 0
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize
}

// fill makes the file filler on disk as large as leaves free bytes free.
func fill(t *testing.T, disk string, free int64) {
	t.Helper()
	p := filepath.Join(disk, "filler")
	os.Remove(p)
	var st syscall.Statfs_t
	if err := syscall.Statfs(disk, &st); err != nil {
		t.Fatal(err)
	}
	size := int64(st.Bavail)*st.Bsize - free
	if size < 0 {
		t.Fatalf("only %s are free on the disk, less than the %s to leave", mib(int64(st.Bavail)*st.Bsize), mib(free))
	}
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for size > 0 {
		n := min(size, int64(len(chunk)))
		if _, err := f.Write(chunk[:n]); err != nil {
			t.Fatal(err)
		}
		size -= n
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// noLeftovers fails the test for each temporary file left on the disk:
// anything in TMPDIR or in DuckDB's temp folder, a WAL beside the
// database, an output's .tmp or an export's .part.
func noLeftovers(t *testing.T, disk, when string) {
	t.Helper()
	filepath.WalkDir(disk, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == disk {
			return nil
		}
		rel, _ := filepath.Rel(disk, p)
		rel = filepath.ToSlash(rel)
		switch {
		case strings.HasPrefix(rel, "tmp/"):
			t.Errorf("%s: TMPDIR holds %s", when, rel)
		case rel == "var/custcat.duckdb.tmp" && e.IsDir():
			// DuckDB may keep the folder; what is in it counts.
		case strings.HasPrefix(rel, "var/custcat.duckdb.tmp/"):
			t.Errorf("%s: DuckDB's temp folder holds %s", when, rel)
		case strings.HasSuffix(rel, ".tmp") || strings.HasSuffix(rel, ".part") || strings.HasSuffix(rel, ".wal"):
			t.Errorf("%s: a temporary file is left: %s", when, rel)
		}
		return nil
	})
}

// dirSize is how many bytes of the disk the files of dir take; 0 if it is
// missing.
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			if info, err := e.Info(); err == nil {
				// The blocks, not the length: DuckDB's temp files have holes.
				n += info.Sys().(*syscall.Stat_t).Blocks * 512
			}
		}
		return nil
	})
	return n
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
