package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// custcat retry puts failed files back in the inbox without their
// reasons: all of them, or those named; a name not in failed/ moves
// nothing and says what is there.
func TestRetry(t *testing.T) {
	// Every file of its run fails: guard off, so that the run is partial, not held.
	dir := inboxCase(t, "guard: off\n", map[string]string{"bad1.csv": badExport, "bad2.csv": badExport + "2024-01-01,S1,C1,甲,x\n"})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitFailed {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut := custcat(t, "retry", "-c", cfg, "bad1.csv", "nope.csv")
	if code != exitFailed || !strings.Contains(errOut, "nope.csv not in the failed folder") || !strings.Contains(errOut, "it holds bad1.csv, bad2.csv") {
		t.Errorf("retry of a name not there: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "failed", "bad1.csv")); err != nil {
		t.Errorf("a refused retry moved bad1.csv: %v", err)
	}
	code, out, errOut := custcat(t, "retry", "-c", cfg)
	if code != exitOK || !strings.Contains(out, "bad1.csv -> "+filepath.Join(dir, "inbox", "bad1.csv")) || !strings.Contains(out, "bad2.csv -> ") {
		t.Errorf("retry all: exit %d\n%s%s", code, out, errOut)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, "failed")); len(left) != 0 {
		t.Errorf("failed/ still holds %v", left)
	}
	if code, out, _ := custcat(t, "retry", "-c", cfg); code != exitOK || !strings.Contains(out, "no file waits in") {
		t.Errorf("retry of an empty failed/: exit %d\n%s", code, out)
	}
	// The next run reads them again.
	if code, out, _ := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitFailed || !strings.Contains(out, "bad1.csv failed") {
		t.Errorf("the run after the retry: exit %d\n%s", code, out)
	}
}
