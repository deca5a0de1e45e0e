package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// In a real terminal (tmux), a run over a large export shows the file's
// share read with its size and time, then the steps after the reading;
// the line is gone when the summary prints.
func TestProgressInTerminal(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is needed for this test (Debian package tmux): %v", err)
	}
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	os.MkdirAll(inbox, 0o755)
	var b strings.Builder
	b.WriteString("日期,单据编号,客户编码,客户名称,数量,单价,价税合计\n")
	const lines = 1_500_000 // long enough to read that the bar, redrawn every 200 ms, moves
	for i := range lines {
		name := fmt.Sprintf("客户%d", i%5000)
		if i == 7 {
			name = `"客户, 引号"`
		}
		fmt.Fprintf(&b, "2024-%02d-%02d,D%d,C%04d,%s,%d,12.50,%d.50\n", 1+i%12, 1+i%28, i/3, i%5000, name, 1+i%7, 12*(1+i%7))
	}
	os.WriteFile(filepath.Join(inbox, "sales.csv"), []byte(b.String()), 0o644)
	cfg := filepath.Join(dir, "custcat.yaml")
	os.WriteFile(cfg, []byte("window_days: 0\n"), 0o644)

	sock := fmt.Sprintf("custcat-progress-%d", os.Getpid())
	tmux := func(args ...string) string {
		out, err := exec.Command("tmux", append([]string{"-L", sock}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("tmux %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	shell := fmt.Sprintf("CUSTCAT_TEST_MAIN=1 %q run -c %q --as-of 2024-12-31; echo EXIT=$?; sleep 60", os.Args[0], cfg)
	tmux("new-session", "-d", "-s", "run", "-x", "200", "-y", "30", shell)
	t.Cleanup(func() { exec.Command("tmux", "-L", sock, "kill-server").Run() })

	share := regexp.MustCompile(`reading sales\.csv\s+(\d+)% .*\(\d+(?:\.\d+)?/\d+(?:\.\d+)? MB.*\[\d+s:`)
	steps := regexp.MustCompile(`(loading|segmenting|checking customer data|writing outputs|putting outputs in place) .*\[\d+s\]`)
	shares := map[string]bool{}
	var step, last string
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		screen := tmux("capture-pane", "-p", "-t", "run")
		if m := share.FindStringSubmatch(screen); m != nil {
			shares[m[1]] = true
		}
		if m := steps.FindString(screen); m != "" {
			step = m
		}
		if strings.Contains(screen, "EXIT=") {
			last = screen
			break
		}
		time.Sleep(40 * time.Millisecond)
	}
	if !strings.Contains(last, "EXIT=0") {
		t.Fatalf("the run did not end with exit 0 in time:\n%s", last)
	}
	if len(shares) < 2 {
		t.Errorf("the share read was shown %d time(s) (%v), want it to move", len(shares), shares)
	}
	if step == "" {
		t.Errorf("no step after the reading was shown")
	}
	if strings.Contains(last, "reading sales.csv") || steps.MatchString(last) {
		t.Errorf("the progress line stayed after the run:\n%s", last)
	}
	if !strings.Contains(last, "categories.csv") {
		t.Errorf("the summary is not on the screen:\n%s", last)
	}
	t.Logf("shares seen %v; a step: %q", shares, step)
}
