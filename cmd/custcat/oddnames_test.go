package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Odd entries of an inbox each get a word: a symbolic link fails with its
// reason and is never followed, a name with no extension fails saying so,
// and a name with a line break loads and keeps the summary table whole.
func TestOddInboxNames(t *testing.T) {
	dir := inboxCase(t, "", map[string]string{"export": "日期,客户编码,价税合计\n2024-03-01,C7,10\n", "a\nb.csv": smallExport})
	outside := filepath.Join(t.TempDir(), "outside.csv")
	os.WriteFile(outside, []byte(smallExport), 0o644)
	if err := os.Symlink(outside, filepath.Join(dir, "inbox", "link.csv")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{
		"link.csv failed: a symbolic link, not a file: custcat reads only files that are in the inbox themselves",
		"export failed: unsupported file type: the name has no extension; custcat reads .csv",
		`  "a\nb.csv"  loaded`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "type: ;") {
		t.Errorf("the summary names an empty extension:\n%s", out)
	}
	// Every row of the file table is one line with all its columns.
	table := out[strings.Index(out, "  file "):strings.Index(out, "\nlines:")]
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		if n := len(strings.Fields(line)); n < 7 {
			t.Errorf("a broken row in the file table: %q", line)
		}
	}
	if st, err := os.Lstat(filepath.Join(dir, "failed", "link.csv")); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link is not in failed/: %v", err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("the link's target moved: %v", err)
	}
	if got := dbState(t, dir); !strings.HasPrefix(got, "2 lines, 3 files") {
		t.Errorf("database: %s", got)
	}
}
