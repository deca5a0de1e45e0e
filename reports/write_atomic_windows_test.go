package reports

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// On Windows an output replaces the one before it in place, and one that
// another program holds open (Excel keeps the files it shows open without
// delete sharing, as os.Open does) is refused with what to do, after a
// short wait; the old file stays whole and the next Commit succeeds.
func TestCommitWindows(t *testing.T) {
	dir := filepath.Join(tempDir(t), "客户 分类", "out")
	path := filepath.Join(dir, "categories.csv")
	put := func(text string) error {
		t.Helper()
		p, err := WriteFile(path, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		err = p.Commit()
		if err != nil {
			p.Abort()
		}
		return err
	}
	if err := put("first\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := put("second\r\n"); err != nil {
		t.Fatalf("replace: %v", err)
	}
	mustRead(t, path, "second\r\n")

	held, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	err = put("third\r\n")
	if err == nil || !strings.Contains(err.Error(), "is open in another program") || !strings.Contains(err.Error(), "close it") {
		t.Errorf("commit over a file open elsewhere: %v, want the open-in-another-program error", err)
	}
	if took := time.Since(began); took < replaceBusyFor {
		t.Errorf("gave up after %v, want a wait of %v", took, replaceBusyFor)
	}
	mustRead(t, path, "second\r\n")

	// A holder that lets go within the wait (a virus scanner) is waited for.
	go func() { time.Sleep(300 * time.Millisecond); held.Close() }()
	if err := put("fourth\r\n"); err != nil {
		t.Errorf("commit while the holder lets go: %v", err)
	}
	mustRead(t, path, "fourth\r\n")
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("out holds %v, want categories.csv alone", names)
	}
}

func mustRead(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil || string(b) != want {
		t.Errorf("%s: %q, %v; want %q", filepath.Base(path), b, err, want)
	}
}

// tempDir is t.TempDir for tests that wine runs too: Go's os.RemoveAll on
// Windows uses a call that wine 8 does not have, so the folder is removed
// file by file.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "custcat-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var paths []string
		filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
			paths = append(paths, p)
			return nil
		})
		for i := len(paths) - 1; i >= 0; i-- {
			os.Remove(paths[i])
		}
	})
	return dir
}
