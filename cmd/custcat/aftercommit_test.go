package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A step after the commit that fails (here the inbox files cannot move:
// archive is a file) must not say the database is unchanged: the data is
// loaded. The message says so, what failed and what to do; the run history
// records it; and once the archive is fixed, a rerun moves the file.
func TestAfterCommitFailureSaysDataLoaded(t *testing.T) {
	dir := inboxCase(t, "", map[string]string{"a.csv": smallExport})
	cfg := filepath.Join(dir, "custcat.yaml")
	if err := os.WriteFile(filepath.Join(dir, "archive"), []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	if strings.Contains(errOut, "unchanged") {
		t.Errorf("the message says the database is unchanged:\n%s", errOut)
	}
	for _, want := range []string{"the run committed and its data is loaded, but move inbox files failed", "move a.csv", "run again"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the message does not say %q:\n%s", want, errOut)
		}
	}
	if got := dbState(t, dir); !strings.HasPrefix(got, "2 lines, 1 files") {
		t.Errorf("database: %s", got)
	}
	_, runs, _ := custcat(t, "runs", "-c", cfg)
	if !strings.Contains(runs, "partial") || !strings.Contains(runs, "move inbox files failed") {
		t.Errorf("the run history does not record the failed move:\n%s", runs)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "categories.csv")); err != nil {
		t.Errorf("the outputs are not in place: %v", err)
	}

	os.Remove(filepath.Join(dir, "archive"))
	code, out, errOut = custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	if code != exitOK || !strings.Contains(out, "a.csv skipped") {
		t.Fatalf("rerun: exit %d\n%s%s", code, out, errOut)
	}
	if n := countFiles(filepath.Join(dir, "archive")); n != 1 {
		t.Errorf("archive holds %d files, want 1", n)
	}
	if got := dbState(t, dir); !strings.HasPrefix(got, "2 lines, 1 files") {
		t.Errorf("database after the rerun: %s", got)
	}
}
