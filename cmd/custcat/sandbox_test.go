package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunRefusesBadRules: check and run both refuse a rule that reaches
// beyond the customer's features, name it, and change nothing. (The
// sandbox that the rules run in is tested in pipeline.)
func TestRunRefusesBadRules(t *testing.T) {
	for _, c := range []struct{ rule, config string }{
		{"segment X", `segments: [{code: X, when: "customer_name IN (SELECT * FROM read_csv('secret.csv'))"}, {code: C, when: "true"}]`},
		{"tag t", `tags: [{name: t, when: "true; COPY (SELECT 1) TO 'written.csv'"}]`},
		{"tag t", `tags: [{name: t, when: "true; ATTACH 'x.duckdb'"}]`},
		{"segment X", `segments: [{code: X, when: "true; INSTALL httpfs; LOAD httpfs"}, {code: C, when: "true"}]`},
		{"segment X", `segments: [{code: X, when: "true; SET enable_external_access = false"}, {code: C, when: "true"}]`},
		{"tag t", `tags: [{name: t, when: "(SELECT count(*) FROM sales_lines) > 0"}]`},
	} {
		dir := inboxCase(t, c.config+"\n", map[string]string{"a.csv": smallExport})
		os.WriteFile(filepath.Join(dir, "secret.csv"), []byte("甲\n"), 0o644)
		for _, cmd := range []string{"check", "run"} {
			code, out, errOut := custcat(t, cmd, "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
			if cmd == "check" {
				code, out, errOut = custcat(t, cmd, "-c", filepath.Join(dir, "custcat.yaml"))
			}
			if code != exitConfig || !strings.Contains(errOut, "1 bad rule(s)") || !strings.Contains(errOut, c.rule+": when") {
				t.Errorf("%s with %s: exit %d, want %d naming %s\n%s%s", cmd, c.config, code, exitConfig, c.rule, out, errOut)
			}
		}
		for _, p := range []string{"written.csv", "x.duckdb", "out", "var/custcat.duckdb"} {
			if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
				t.Errorf("%s: %s exists", c.config, p)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "inbox", "a.csv")); err != nil {
			t.Errorf("%s: a.csv left the inbox", c.config)
		}
	}
}
