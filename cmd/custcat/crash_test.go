package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestCrashConsistency runs custcat as a process on an inbox of several
// exports (80,000 lines) and kills it (SIGKILL) at many points: on each
// phase it logs, while it reads, while it writes outputs (the first, the
// report, the parquet file), as outputs are put in place, as inbox files
// move, and at time offsets spread over a whole run. After each kill a
// rerun must give outputs byte for byte those of a run never killed,
// every export loaded once, and each export in exactly one place:
// archive/ or failed/.
func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times")
	}
	bin := buildCustcat(t)
	inbox := crashInbox(t)

	ref := newCrashDir(t, inbox, "")
	began := time.Now()
	refCode, refOut, refErr := ref.run(bin)
	full := time.Since(began)
	if refCode != exitFailed { // bad.csv fails; the others load
		t.Fatalf("reference run: exit %d\n%s%s", refCode, refOut, refErr)
	}
	want := ref.state(t)
	t.Logf("reference run: %v, %d outputs, %d lines loaded", full.Round(time.Millisecond), len(want.outputs), want.lines)

	points := []killPoint{
		{name: "log load", log: "msg=load"},
		{name: "log load + 1/10 of a run", log: "msg=load", after: full / 10},
		{name: "log load + 1/4 of a run", log: "msg=load", after: full / 4},
		{name: "log segment", log: "msg=segment"},
		{name: "log write outputs", log: `msg="write outputs"`},
		{name: "first temporary output", file: func(d string) bool { return hasTemp(filepath.Join(d, "out"), "") }},
		{name: "report.html being written", file: func(d string) bool { return hasTemp(filepath.Join(d, "out"), "report.html") }},
		{name: "customers.parquet being written", file: func(d string) bool { return hasTemp(filepath.Join(d, "out"), "customers.parquet") }},
		{name: "log put outputs in place", log: `msg="put outputs in place"`},
		{name: "categories.csv in place", file: exists("out", "categories.csv")},
		{name: "report.html in place", file: exists("out", "report.html")},
		{name: "log move inbox files", log: `msg="move inbox files"`},
		{name: "reason of bad.csv written", file: exists("failed", "bad.csv.reason.txt")},
		{name: "first file archived", file: func(d string) bool { return countFiles(filepath.Join(d, "archive")) > 0 }},
	}
	killed, committed := 0, 0
	for _, p := range points {
		d := newCrashDir(t, inbox, "")
		if !d.runAndKill(t, bin, p) {
			t.Logf("%s: the run ended before the kill", p.name)
		} else {
			killed++
			// The rerun fails as the reference did, unless the killed
			// run had already moved bad.csv to failed/.
			code, out, errOut := d.run(bin)
			if code != refCode && code != exitOK {
				t.Errorf("%s: rerun exit %d, want %d\n%s%s", p.name, code, refCode, out, errOut)
				continue
			}
			if !loadedAny.MatchString(out) {
				committed++ // the killed run had committed: the rerun only finishes it
			}
		}
		if diff := want.diff(d.state(t)); diff != "" {
			t.Errorf("%s: after the rerun:\n%s", p.name, diff)
		}
	}

	// Kills at time offsets, each in the rerun of the run killed before:
	// a chain of crashes, then a rerun that finishes.
	d := newCrashDir(t, inbox, "")
	chain := 0
	for i := 1; i <= 6; i++ {
		if d.runAndKill(t, bin, killPoint{after: full * time.Duration(i) / 7}) {
			chain++
		}
	}
	if code, out, errOut := d.run(bin); code != refCode && code != exitOK {
		t.Errorf("after a chain of %d kills: exit %d\n%s%s", chain, code, out, errOut)
	}
	if diff := want.diff(d.state(t)); diff != "" {
		t.Errorf("after a chain of %d kills:\n%s", chain, diff)
	}
	killed += chain

	t.Logf("%d kill points: %d killed a running process (%d of the single kills after its commit, %d in a chain)",
		len(points)+6, killed, committed, chain)
	if killed < (len(points)+6)*2/3 {
		t.Errorf("only %d of %d kill points hit a running process", killed, len(points)+6)
	}
	if committed == 0 || committed == killed-chain {
		t.Errorf("single kills after the commit: %d of %d; the points should fall on both sides", committed, killed-chain)
	}
}

// loadedAny finds a file loaded in a run summary.
var loadedAny = regexp.MustCompile(`(?m)^\s*\S+\.csv\s+loaded\s`)

// buildCustcat returns the program to run as custcat: this test binary,
// which runs main when CUSTCAT_TEST_MAIN=1 (see TestMain), so no second
// build is needed.
func buildCustcat(t *testing.T) string {
	t.Helper()
	return os.Args[0]
}

// With category files in delta mode, the ERP's state moves only once the
// file is in place: a run killed after its commit but before that must
// leave the next delta holding the same changes, so that the rerun writes
// the file the killed run never delivered, byte for byte.
func TestCrashConsistencyDelta(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary many times")
	}
	bin := buildCustcat(t)
	inbox := crashInbox(t)
	// The same for the ERP's .xlsx form (the U8 layout built in).
	for _, c := range []struct{ file, delta string }{
		{"categories.csv", "outputs: {categories: {mode: delta}}\n"},
		{"categories.xlsx", "outputs: {categories: {mode: delta, preset: yonyou-u8}}\n"},
	} {
		file, delta := c.file, c.delta
		ref := newCrashDir(t, inbox, delta)
		if code, out, errOut := ref.run(bin); code != exitFailed {
			t.Fatalf("%s: reference run: exit %d\n%s%s", file, code, out, errOut)
		}
		want := ref.state(t)
		if _, ok := want.outputs[file]; !ok {
			t.Fatalf("reference run wrote no %s", file)
		}
		for _, p := range []killPoint{
			{name: "log put outputs in place", log: `msg="put outputs in place"`},
			{name: file + " in place", file: exists("out", file)},
			{name: "log move inbox files", log: `msg="move inbox files"`},
		} {
			d := newCrashDir(t, inbox, delta)
			if !d.runAndKill(t, bin, p) {
				t.Logf("%s: the run ended before the kill", p.name)
			}
			d.run(bin)
			if diff := want.diff(d.state(t)); diff != "" {
				t.Errorf("%s: after the rerun:\n%s", p.name, diff)
			}
		}
	}
}

// crashInbox generates the exports of the crash test: four of 20,000
// lines (documents of several lines, a few bad lines, a total row; the
// third exports 300 documents of the first again, edited) and one that
// fails for its share of bad lines. Returns name -> content, in order.
func crashInbox(t *testing.T) []inboxFile {
	t.Helper()
	rng := rand.New(rand.NewPCG(8, 1))
	var files []inboxFile
	header := "日期,单据编号,客户编码,客户名称,商品类别,价税合计\n"
	cats := []string{"饮料", "零食", "日化", "粮油", "冷冻"}
	doc := 0
	for f := 1; f <= 4; f++ {
		var b strings.Builder
		b.WriteString(header)
		lines := 0
		if f == 3 {
			for d := 1; d <= 300; d++ { // documents of a.csv, exported again with other amounts
				fmt.Fprintf(&b, "2024-%02d-%02d,XS%06d,C%04d,客户%d,%s,%d.50\n", 1+d%12, 1+d%28, d, d%2000, d%2000, cats[d%5], 10+d)
				lines++
			}
		}
		for lines < 20000 {
			doc++
			cust := rng.IntN(2000)
			date := fmt.Sprintf("2024-%02d-%02d", 1+rng.IntN(12), 1+rng.IntN(28))
			for k := 0; k < 1+rng.IntN(4) && lines < 20000; k++ {
				if rng.IntN(1000) == 0 {
					fmt.Fprintf(&b, "%s,XS%06d,C%04d,客户%d,%s,not-a-number\n", date, doc, cust, cust, cats[k%5])
				} else {
					fmt.Fprintf(&b, "%s,XS%06d,C%04d,客户%d,%s,%d.%02d\n", date, doc, cust, cust, cats[rng.IntN(5)], 1+rng.IntN(5000), rng.IntN(100))
				}
				lines++
			}
		}
		b.WriteString("合计,,,,,1\n")
		files = append(files, inboxFile{fmt.Sprintf("%c.csv", 'a'+f-1), b.String()})
	}
	var bad strings.Builder
	bad.WriteString(header)
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			fmt.Fprintf(&bad, "2024-05-01,BAD%d,C0001,客户1,饮料,12.00\n", i)
		} else {
			fmt.Fprintf(&bad, "yesterday,BAD%d,C0001,客户1,饮料,12.00\n", i)
		}
	}
	files = append(files, inboxFile{"bad.csv", bad.String()})
	return files
}

type inboxFile struct{ name, text string }

// crashDir is one folder that custcat runs in: config, inbox, outputs.
type crashDir struct{ dir string }

func newCrashDir(t *testing.T, files []inboxFile, config string) crashDir {
	t.Helper()
	d := crashDir{t.TempDir()}
	inbox := filepath.Join(d.dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "custcat.yaml"), []byte("store: {threads: 2}\n"+config), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for i, f := range files {
		p := filepath.Join(inbox, f.name)
		if err := os.WriteFile(p, []byte(f.text), 0o644); err != nil {
			t.Fatal(err)
		}
		// The inbox is read oldest first: the same order in every folder.
		mt := old.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(p, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func (d crashDir) command(bin string) *exec.Cmd {
	cmd := exec.Command(bin, "run", "-c", filepath.Join(d.dir, "custcat.yaml"), "--as-of", "2024-12-31", "-v")
	cmd.Env = append(os.Environ(), "CUSTCAT_TEST_MAIN=1")
	return cmd
}

func (d crashDir) run(bin string) (int, string, string) {
	cmd := d.command(bin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		return -1, out.String(), err.Error()
	}
	return 0, out.String(), errOut.String()
}

// killPoint says when to kill: after a log line, after a file shows up
// (the folder is polled), or after a delay from the start; after (when
// log or file is set) delays the kill further.
type killPoint struct {
	name  string
	log   string
	file  func(dir string) bool
	after time.Duration
}

// runAndKill starts custcat and kills it at p. It reports whether the
// process was still running when it was killed.
func (d crashDir) runAndKill(t *testing.T, bin string, p killPoint) bool {
	t.Helper()
	cmd := d.command(bin)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	trigger := make(chan struct{})
	var once sync.Once
	fire := func() { once.Do(func() { close(trigger) }) }
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if p.log != "" && strings.Contains(sc.Text(), p.log) {
				fire()
			}
		}
	}()
	exited := make(chan struct{})
	go func() {
		<-scanned
		cmd.Wait()
		close(exited)
	}()
	switch {
	case p.file != nil:
		go func() {
			for {
				select {
				case <-exited:
					return
				default:
				}
				if p.file(d.dir) {
					fire()
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
	case p.log == "":
		fire()
	}
	select {
	case <-trigger:
	case <-exited:
		return false
	}
	if p.after > 0 {
		select {
		case <-time.After(p.after):
		case <-exited:
			return false
		}
	}
	hit := cmd.Process.Kill() == nil
	<-exited
	if st := cmd.ProcessState; st != nil && st.Exited() {
		hit = false // it finished before the signal
	}
	return hit
}

func exists(parts ...string) func(string) bool {
	return func(dir string) bool {
		_, err := os.Stat(filepath.Join(append([]string{dir}, parts...)...))
		return err == nil
	}
}

// hasTemp says whether dir holds a temporary file of the output name, or
// of any output if name is empty.
func hasTemp(dir, name string) bool {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "."+name) && strings.HasSuffix(e.Name(), ".tmp") {
			return true
		}
	}
	return false
}

func countFiles(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// crashState is what a finished run leaves: the outputs, where each
// export went, and what the database holds.
type crashState struct {
	outputs map[string][]byte // path under out/ -> content
	places  map[string]string // export name -> inbox | archive | failed (a list if several)
	reasons map[string][]byte // .reason.txt under failed/ -> content
	lines   int64
	db      string // counts from the database
}

func (d crashDir) state(t *testing.T) crashState {
	t.Helper()
	s := crashState{outputs: map[string][]byte{}, places: map[string]string{}, reasons: map[string][]byte{}}
	filepath.WalkDir(filepath.Join(d.dir, "out"), func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(d.dir, "out"), p)
			b, _ := os.ReadFile(p)
			s.outputs[rel] = b
		}
		return nil
	})
	for _, place := range []string{"inbox", "archive", "failed"} {
		filepath.WalkDir(filepath.Join(d.dir, place), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return nil
			}
			name := e.Name()
			if strings.HasSuffix(name, ".reason.txt") {
				b, _ := os.ReadFile(p)
				s.reasons[name] = b
				return nil
			}
			if s.places[name] != "" {
				s.places[name] += " and "
			}
			s.places[name] += place
			return nil
		})
	}
	db := openDB(t, filepath.Join(d.dir, "var", "custcat.duckdb"))
	var loadedTwice, files, rejects int64
	if err := db.QueryRow(`SELECT count(*) FROM sales_lines`).Scan(&s.lines); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT count(*) FROM (SELECT sha256 FROM files WHERE status = 'loaded' GROUP BY sha256 HAVING count(*) > 1)`).Scan(&loadedTwice)
	db.QueryRow(`SELECT count(*) FROM files`).Scan(&files)
	db.QueryRow(`SELECT count(*) FROM rejects`).Scan(&rejects)
	s.db = fmt.Sprintf("%d lines, %d files recorded, %d contents loaded twice, %d rejects", s.lines, files, loadedTwice, rejects)
	db.Close()
	return s
}

// diff says how got differs from s, the state of the run never killed.
func (s crashState) diff(got crashState) string {
	var b strings.Builder
	names := map[string]bool{}
	for n := range s.outputs {
		names[n] = true
	}
	for n := range got.outputs {
		names[n] = true
	}
	var sorted []string
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		w, okw := s.outputs[n]
		g, okg := got.outputs[n]
		switch {
		case !okg:
			fmt.Fprintf(&b, "  out/%s is missing\n", n)
		case !okw:
			fmt.Fprintf(&b, "  out/%s should not be there\n", n)
		case !bytes.Equal(w, g):
			fmt.Fprintf(&b, "  out/%s differs (%d bytes, want %d)%s\n", n, len(g), len(w), firstDiff(w, g))
		}
	}
	if fmt.Sprint(s.places) != fmt.Sprint(got.places) {
		fmt.Fprintf(&b, "  exports are in %v, want %v\n", got.places, s.places)
	}
	if fmt.Sprint(s.reasons) != fmt.Sprint(got.reasons) {
		fmt.Fprintf(&b, "  reasons %q, want %q\n", got.reasons, s.reasons)
	}
	if s.db != got.db {
		fmt.Fprintf(&b, "  database: %s, want %s\n", got.db, s.db)
	}
	return b.String()
}

func firstDiff(a, b []byte) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			lo := max(0, i-40)
			return fmt.Sprintf(": at byte %d, %q vs %q", i, b[lo:min(len(b), i+40)], a[lo:min(len(a), i+40)])
		}
	}
	return ""
}

// TestFailedFileAgain: a crash after the commit leaves a failed export in
// the inbox, and the rerun reads it again. The same content failing for
// the same reason is not recorded twice, so rejects.csv and the report
// still show the run that read it first, and its reason names that run.
func TestFailedFileAgain(t *testing.T) {
	bad := "日期,客户编码,价税合计\n2024-03-01,C9,10\nnot a date,C9,10\n2024-03-02,,10\n"
	dir := inboxCase(t, "", map[string]string{"good.csv": smallExport, "bad.csv": bad})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitFailed {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	outputs := snapshotDir(t, filepath.Join(dir, "out"))
	// As a crash before the move would have left it.
	if err := os.Rename(filepath.Join(dir, "failed", "bad.csv"), filepath.Join(dir, "inbox", "bad.csv")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "failed", "bad.csv.reason.txt"))
	code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	if code != exitFailed || !strings.Contains(out, "bad.csv failed: 2 of 3 lines rejected") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for name, b := range snapshotDir(t, filepath.Join(dir, "out")) {
		if !bytes.Equal(b, outputs[name]) {
			t.Errorf("%s changed", name)
		}
	}
	reason := readFile(t, filepath.Join(dir, "failed", "bad.csv.reason.txt"))
	if !strings.HasSuffix(reason, "\nrun 1\n") {
		t.Errorf("reason %q, want it to name run 1", reason)
	}
	if got := dbState(t, dir); got != "2 lines, 2 files, 2 rejects, 2 snapshot rows, 2 category rows, 2 runs" {
		t.Errorf("database: %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "failed", "bad.1.csv")); err == nil {
		t.Error("bad.csv is in failed/ twice")
	}
}
