package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"custcat/jobs"
	"custcat/pipeline"
	"custcat/reports"
)

// evilName is a customer name that would run as script if the report
// spliced data into markup.
const evilName = "<script>alert(1)</script>"

// reportFixture runs the whole job twice over generated exports, so that
// the store has two snapshots, moves between them, tags and a rejected
// line. It returns the config and the out folder.
func reportFixture(t *testing.T) (*pipeline.Config, string) {
	t.Helper()
	dir := t.TempDir()
	yaml := fmt.Sprintf(`store:
  path: %[1]s/var/custcat.duckdb
inbox: %[1]s/inbox
archive: %[1]s/archive
failed: %[1]s/failed
out: %[1]s/out
guard: off # the second run moves 40 %% of the customers on purpose, to fill the movement charts
tags:
  - name: 流失风险
    when: recency_days > 90
  - name: 高频
    when: f_score >= 4
`, dir)
	cfg, problems := pipeline.ParseConfig([]byte(yaml))
	if len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	runs := []struct {
		asOf  string
		file  string
		lines string
	}{
		{"2026-03-31", "sales-2025.csv", salesCSV(0, false)},
		{"2026-06-30", "sales-2026q2.csv", salesCSV(1, true)},
	}
	for _, r := range runs {
		if err := os.WriteFile(filepath.Join(inbox, r.file), []byte(r.lines), 0o644); err != nil {
			t.Fatal(err)
		}
		now, _ := time.Parse(time.DateOnly, r.asOf)
		_, err := jobs.Run(context.Background(), &cfg, jobs.RunOptions{AsOf: r.asOf, Now: func() time.Time { return now.Add(24 * time.Hour) }})
		if err != nil {
			t.Fatalf("run as of %s: %v", r.asOf, err)
		}
	}
	return &cfg, filepath.Join(dir, "out")
}

// salesCSV writes one export: 40 customers whose number and size of
// orders vary, so that every score and segment is used. Batch 1 holds the
// second quarter of 2026, where some customers buy much more and some stop.
func salesCSV(batch int, badLine bool) string {
	var b strings.Builder
	b.WriteString("单据日期,单据编号,客户编码,客户名称,商品名称,商品类别,数量,价税合计\n")
	cats := []string{"五金", "电料", "管材", "涂料", "工具"}
	doc := 0
	for c := 1; c <= 40; c++ {
		name := fmt.Sprintf("客户%02d有限公司", c)
		if c == 7 {
			name = evilName
		}
		orders := 1 + (c*7)%9
		months := 12
		start := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
		if batch == 1 {
			months, start = 3, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
			switch {
			case c%5 == 0:
				orders = 12 // jumps up
			case c%3 == 0:
				orders = 0 // fades
			default:
				orders = 1 + c%3
			}
		}
		for o := 0; o < orders; o++ {
			doc++
			day := start.AddDate(0, (o*months)/max(orders, 1), (c*3+o)%27)
			amount := float64(200*(c%11+1)) * float64(1+o%3)
			fmt.Fprintf(&b, "%s,SO%d-%05d,C%03d,%s,商品%d,%s,%d,%.2f\n",
				day.Format(time.DateOnly), batch, doc, c, name, o%4, cats[(c+o/3)%len(cats)], 1+o%5, amount)
		}
	}
	if badLine {
		b.WriteString("2026-13-45,SO1-99999,C999,坏日期客户,商品0,五金,1,10.00\n")
	}
	return b.String()
}

func TestReportOutputs(t *testing.T) {
	cfg, out := reportFixture(t)
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatalf("the run wrote no report: %v", err)
	}
	dated, err := os.ReadFile(filepath.Join(out, "reports", "report-2026-06-30.html"))
	if err != nil {
		t.Fatalf("the run kept no dated copy: %v", err)
	}
	if !bytes.Equal(html, dated) {
		t.Error("report.html and reports/report-2026-06-30.html differ")
	}
	checkOffline(t, html)
	if bytes.Contains(html, []byte(evilName)) {
		t.Errorf("the report holds %q unescaped", evilName)
	}
	for _, want := range []string{`lang="zh-CN"`, "客户分类报告", "&lt;script&gt;alert(1)&lt;/script&gt;", "大客户", "没有载入客户主数据"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}

	store, err := pipeline.OpenStore(context.Background(), cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	en, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: "2026-06-30", WindowDays: 365, Lang: "en", TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	checkOffline(t, en)
	for _, want := range []string{`lang="en"`, "Customer segmentation report", "Since the snapshot of 2026-03-31", "top 5 by revenue"} {
		if !bytes.Contains(en, []byte(want)) {
			t.Errorf("the English report lacks %q", want)
		}
	}
	again, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: "2026-06-30", WindowDays: 365, Lang: "en", TopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(en, again) {
		t.Error("two reports of the same data differ")
	}
}

var externalRef = regexp.MustCompile(`(?i)<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//`)

// checkOffline fails when the page would load anything from the network.
func checkOffline(t *testing.T, html []byte) {
	t.Helper()
	if m := externalRef.Find(html); m != nil {
		t.Errorf("the report refers to the network: %s", m)
	}
	if bytes.Contains(html, []byte("<script src")) {
		t.Error("the report loads a script from outside itself")
	}
	if !bytes.Contains(html, []byte("echarts")) || len(html) < 500_000 {
		t.Errorf("ECharts is not inline (the report is %d bytes)", len(html))
	}
}
