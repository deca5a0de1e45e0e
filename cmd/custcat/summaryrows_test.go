package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// Customers whose names start with a total word, or are one, load like any
// other; the real total rows are skipped, counted, and shown in the summary
// with their line, so that a user sees what was not loaded.
func TestTotalNamedCustomersLoad(t *testing.T) {
	export := "日期,单据编号,客户编码,客户名称,价税合计\n" +
		"2024-03-01,S1,C1,Total (China) Co.,100\n" +
		"2024-03-02,S2,C2,TOTAL 2000,100\n" +
		"2024-03-03,S3,C3,Total,100\n" +
		"2024-03-04,S4,C4,合计(含税)五金,100\n" +
		"2024-03-05,S5,C5,总计1号店,100\n" +
		"小计,,,,500\n" +
		"合计,,,,500\n"
	noDoc := "日期,客户名称,价税合计\n2024-03-01,Total,10\n2024-03-02,总计1号店,10\n合计,,20\n"
	dir := inboxCase(t, "", map[string]string{"a.csv": export, "b.csv": noDoc})
	code, out, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"lines: 10 read = 7 loaded + 0 rejected + 0 duplicate + 3 summary + 0 held back in failed files",
		"total rows skipped (counted as summary, not loaded):\n  a.csv line 7: 小计,,,,500\n  a.csv line 8: 合计,,,,500\n  b.csv line 4: 合计,,20\n",
		"customers: 7",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not say %q:\n%s", want, out)
		}
	}
	cats := readFile(t, filepath.Join(dir, "out", "categories.csv"))
	for _, name := range []string{"Total (China) Co.", "TOTAL 2000", ",Total,", "合计(含税)五金", "总计1号店"} {
		if !strings.Contains(cats, name) {
			t.Errorf("categories.csv has no customer %q", name)
		}
	}
}
