package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const explainConfig = `
store: {path: custcat.duckdb, threads: 1}
downgrade_after_runs: 2
scoring:
  method: thresholds
  thresholds: {recency_days: [30, 90], frequency: [2, 4], monetary: [100, 1000]}
segments:
  - {code: A, name: 重点, erp_code: "01", when: "r_score = 3 AND f_score = 3"}
  - {code: B, name: 一般, erp_code: "02", when: "m_score >= 2"}
  - {code: C, name: 其他, erp_code: "03", when: "true"}
tags:
  - {name: 沉睡, when: "recency_days > 60"}
  - {name: 大单, when: "monetary >= 1000"}
manual: manual.csv
`

// T1 bought four times up to 2024-12-21: A by the rules on 2024-12-31
// (R 3, F 3). On 2025-01-31 its last order is 41 days old (R 2), so rule A
// fails and B fires; with downgrade_after_runs 2 the downgrade waits and T1
// stays A.
const explainExport = `单据日期,单据编号,客户编码,客户名称,价税合计,商品类别
2024-10-01,D1,T1,甲公司,400,纸品
2024-11-01,D2,T1,甲公司,300,纸品
2024-12-01,D3,T1,甲公司,200,文具
2024-12-21,D4,T1,甲公司,100,纸品
2024-10-02,D5,T2,乙公司,100,文具
`

// Each line of explain's answer for T1 as of 2025-01-31 was checked by hand:
// recency 2025-01-31 - 2024-12-21 = 41 days; tenure from 2024-10-01 = 122 days;
// 纸品 800 of 1000 = 0.8; trend = (200 + 100) / (400 + 300) = 0.4286 (last 90 days
// against the 90 before); Pareto: T1 has 1000 of 1100, first, so A.
func TestExplainLineByLine(t *testing.T) {
	dir := inboxCase(t, explainConfig, map[string]string{"sales.csv": explainExport})
	os.WriteFile(filepath.Join(dir, "manual.csv"), []byte("客户编码,标签,分类,到期日\nT1,老客户,,\nT1,试用,,2024-12-31\n"), 0o644)
	cfg := filepath.Join(dir, "custcat.yaml")
	for _, d := range []string{"2024-12-31", "2025-01-31"} {
		if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", d); code != 0 {
			t.Fatalf("run %s: exit %d\n%s%s", d, code, out, errOut)
		}
	}
	code, out, errOut := custcat(t, "explain", "-c", cfg, "T1")
	if code != 0 {
		t.Fatalf("explain: exit %d\n%s", code, errOut)
	}
	want := strings.Split(`customer T1 甲公司, as of 2025-01-31 (run 2)

features
  recency_days        41
  frequency           4
  monetary            1000.00
  active_months       3
  tenure_days         122
  avg_order_value     250.00
  returns_share       0.0000
  top_category        纸品
  top_category_share  0.8000
  trend_ratio         0.4286

cut points and scores
  recency_days  thresholds [30, 90]     r_score 2  = 3 - 1: 41 is at or above 1 of 2 cut points
  frequency     thresholds [2, 4]       f_score 3  = 1 + 2: 4 is at or above 2 of 2 cut points
  monetary      thresholds [100, 1000]  m_score 3  = 1 + 2: 1000.00 is at or above 2 of 2 cut points
  abc_class A (Pareto: A until 80% of revenue, B until 95%)

segment rules, first match wins
  1. A 重点  r_score = 3 AND f_score = 3  false
  2. B 一般  m_score >= 2                 true  <- fired
  3. C 其他  true                         not tried

segment A 重点 (ERP code 01) since 2024-12-31, previous A
  downgrade waiting: the rules gave B in 1 of the 2 consecutive runs downgrade_after_runs asks for

tags: 大单, 偏好:纸品, 老客户
  沉睡           recency_days > 60                 false
  大单           monetary >= 1000                  true
  偏好:纸品      top category share 0.8000 >= 0.5  true
  manual line 2  tag 老客户                        in force
  manual line 3  tag 试用 until 2024-12-31         expired

history
  as of       segment  rules gave  since       trigger  note
  2024-12-31  A        A           2024-12-31  manual
  2025-01-31  A        B           2024-12-31  manual   downgrade waiting (1)
`, "\n")
	if diff := cmp.Diff(want, strings.Split(out, "\n")); diff != "" {
		t.Errorf("explain T1 (-want +got):\n%s", diff)
	}
}

// check reads the manual file and names each line a run would skip.
func TestCheckNamesBadManualLines(t *testing.T) {
	dir := inboxCase(t, explainConfig, nil)
	os.WriteFile(filepath.Join(dir, "manual.csv"), []byte("客户编码,标签,分类,到期日\nT1,老客户,,\nT2,,Z,\n,VIP,,\nT3,VIP,,2024-13-01\n"), 0o644)
	code, out, errOut := custcat(t, "check", "-c", filepath.Join(dir, "custcat.yaml"))
	if code != exitConfig {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitConfig, out, errOut)
	}
	for _, want := range []string{
		"manual file manual.csv: 1 line(s) in force today, 0 expired",
		`manual.csv line 3: segment "Z" is not a segment code of the config; write one of A, B, C`,
		"manual.csv line 4: no customer code",
		`manual.csv line 5: expiry date "2024-13-01"`,
	} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("check output lacks %q:\n%s%s", want, out, errOut)
		}
	}
}
