package pipeline

import (
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
	path := filepath.Join(t.TempDir(), "客户 分类.duckdb")
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
