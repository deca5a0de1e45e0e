package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKillWhileReadingLeavesNoTempFile kills custcat (SIGKILL) while it
// reads a large export, at several points, and finds TMPDIR as empty as
// it was: the reader keeps nothing of an export outside the database.
// (The old fast path wrote the body of each export to TMPDIR and left
// 140 MB there after 8 of 9 kills.) The rerun then loads the export.
func TestKillWhileReadingLeavesNoTempFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs custcat as a process several times")
	}
	var b strings.Builder
	b.WriteString("日期,单据编号,客户编码,客户名称,商品名称,数量,含税单价,价税合计\n")
	for i := range 150_000 {
		fmt.Fprintf(&b, "2024-%02d-%02d,XS%07d,C%04d,客户%d,商品%d,%d,%d.50,\n", 1+i%12, 1+i%28, i/3, i%3000, i%3000, i%200, 1+i%5, 10+i%90)
	}
	export := b.String()
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	os.MkdirAll(filepath.Join(dir, "inbox"), 0o755)
	os.MkdirAll(tmp, 0o755)
	os.WriteFile(filepath.Join(dir, "custcat.yaml"), []byte("store: {memory_limit: 256MB}\n"), 0o644)
	command := func() *exec.Cmd {
		cmd := exec.Command(os.Args[0], "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31", "-v")
		cmd.Env = append(os.Environ(), "CUSTCAT_TEST_MAIN=1", "TMPDIR="+tmp)
		return cmd
	}
	killed := 0
	for i, delay := range []time.Duration{0, 50 * time.Millisecond, 200 * time.Millisecond, 600 * time.Millisecond} {
		os.WriteFile(filepath.Join(dir, "inbox", "sales.csv"), []byte(export), 0o644)
		cmd := command()
		stderr, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill once the load has begun, after the delay.
		loading := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			sent := false
			for sc.Scan() {
				if !sent && strings.Contains(sc.Text(), "msg=load") {
					loading <- true
					sent = true
				}
			}
			if !sent {
				loading <- false
			}
		}()
		if <-loading {
			time.Sleep(delay)
			if cmd.Process.Kill() == nil {
				killed++
			}
		}
		cmd.Wait()
		if st := cmd.ProcessState; st != nil && st.Exited() {
			t.Logf("kill %d (+%v): the run ended before the kill (exit %d)", i, delay, st.ExitCode())
			killed--
		}
		if left, _ := os.ReadDir(tmp); len(left) > 0 {
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			t.Errorf("kill %d (+%v): TMPDIR holds %s", i, delay, strings.Join(names, ", "))
		}
		if _, err := os.Stat(filepath.Join(dir, "inbox", "sales.csv")); err != nil {
			break // that run committed and moved the export
		}
	}
	if killed == 0 {
		t.Fatal("no kill hit a running process")
	}
	// The rerun finishes the work.
	out, err := command().CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("after the rerun TMPDIR holds %d entries", len(left))
	}
	t.Logf("%d kills while reading", killed)
}
