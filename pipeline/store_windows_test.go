package pipeline

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// fileHeld tells a database that another process holds from one that is
// free, whatever language the system gives its error in; processStart
// finds when a running process started.
func TestLockProbeWindows(t *testing.T) {
	path := filepath.Join(tempDir(t), "客户 分类.duckdb")
	if fileHeld(path) {
		t.Errorf("a file that does not exist is held")
	}
	os.WriteFile(path, []byte("x"), 0o644)
	if fileHeld(path) {
		t.Errorf("a file no one has open is held")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if !fileHeld(path) {
		t.Errorf("a file open elsewhere is not held")
	}
	f.Close()
	since, ok := processStart(strconv.Itoa(os.Getpid()))
	if !ok || time.Since(since) < 0 || time.Since(since) > time.Hour {
		t.Errorf("processStart(own pid) = %v, %v", since, ok)
	}
	if _, ok := processStart("4294967"); ok {
		t.Errorf("processStart of no process says it runs")
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
