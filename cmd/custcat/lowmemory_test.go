package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// At a memory limit too low for the load, the run fails with advice that
// names the config keys to change, not DuckDB's SET statements.
func TestLowMemoryLimitAdvice(t *testing.T) {
	var b strings.Builder
	b.WriteString("日期,单据编号,客户编码,客户名称,价税合计\n")
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&b, "2024-%02d-%02d,S%d,C%d,客户%d,%d.00\n", 1+i%12, 1+i%28, i, i%30000, i%30000, 1+i%999)
	}
	dir := inboxCase(t, "store: {memory_limit: 4MB, threads: 2}\n", map[string]string{"a.csv": b.String()})
	code, out, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailed, out, errOut)
	}
	for _, want := range []string{"store.memory_limit (4MB)", "raise store.memory_limit in the config", "store.threads"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("the message does not say %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "SET ") {
		t.Errorf("the message names DuckDB's SET statements:\n%s", errOut)
	}
}
