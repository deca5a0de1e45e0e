package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputsReachTheOutputsSafely: text from an export that is markup,
// a spreadsheet formula, an emoji or a character GBK cannot hold goes
// through to the outputs as text: escaped in the report, quoted against
// formulas in the CSV files, and, where the category file's encoding
// cannot hold it, an error naming the customer. (The catalogue of bad
// input lines and files is pipeline's TestBadInputs.)
func TestBadInputsReachTheOutputsSafely(t *testing.T) {
	export := lines(badHeaderE2E,
		`2024-03-01,S1,C1,<script>alert("x")</script>,100`,
		`2024-03-02,S2,C2,"=HYPERLINK(""http://x"",""y"")",50`,
		`2024-03-03,S3,C3,😀客户,70`,
		`2024-03-04,S4,C4,𠀀公司,80`,
		`=1+2,S5,C5,乙,1`, // a bad date that is a formula: rejected, and quoted in rejects.csv
	)
	dir := inboxCase(t, "max_reject_ratio: 0.5\n", map[string]string{"a.csv": export})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	report := readFile(t, filepath.Join(dir, "out", "report.html"))
	if strings.Contains(report, `<script>alert("x")`) || strings.Contains(report, `<script>alert(\"x\")`) {
		t.Error("the report holds the customer's name as markup")
	}
	cats := readFile(t, filepath.Join(dir, "out", "categories.csv"))
	for _, want := range []string{`"'=HYPERLINK(""http://x"",""y"")"`, "😀客户", "𠀀公司", `<script>alert(""x"")</script>`} {
		if !strings.Contains(cats, want) {
			t.Errorf("categories.csv lacks %s:\n%s", want, cats)
		}
	}
	rejects := readFile(t, filepath.Join(dir, "out", "rejects.csv"))
	if !strings.Contains(rejects, "a.csv,6,") || !strings.Contains(rejects, `,"'=1+2,S5,C5,乙,1"`) {
		t.Errorf("rejects.csv does not quote the formula of line 6:\n%s", rejects)
	}

	// The ERP wants GBK: neither the emoji nor 𠀀 (GB18030 only) fits.
	for _, c := range []struct{ enc, customer string }{{"gbk", "customer C3"}, {"gb18030", ""}} {
		os.WriteFile(cfg, []byte("max_reject_ratio: 0.5\noutputs: {categories: {encoding: "+c.enc+"}}\n"), 0o644)
		code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
		if c.customer == "" {
			if code != 0 {
				t.Errorf("%s: exit %d\n%s%s", c.enc, code, out, errOut)
			}
			continue
		}
		if code != exitFailed || !strings.Contains(errOut, c.customer) || !strings.Contains(errOut, "the database is unchanged") {
			t.Errorf("%s: exit %d, want %d naming %s\n%s", c.enc, code, exitFailed, c.customer, errOut)
		}
	}
}

const badHeaderE2E = "日期,单据编号,客户编码,客户名称,价税合计"

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }
