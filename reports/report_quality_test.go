package reports_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"custcat/jobs"
	"custcat/pipeline"
	"custcat/reports"
)

// The report shows the customer data checks of its date, and says so
// when a snapshot was made without them (as a backfill would).
func TestReportCustomerData(t *testing.T) {
	dir := t.TempDir()
	cfg, problems := pipeline.ParseConfig([]byte(fmt.Sprintf(`store: {path: %[1]s/custcat.duckdb, threads: 1}
inbox: %[1]s/inbox
archive: %[1]s/archive
out: %[1]s/out
sources:
  - {name: master, kind: customers, files: "master*", delimiter: comma}
  - {name: erp, delimiter: comma}
`, dir)))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	files := map[string]string{
		"sales.csv":  "单据日期,单据编号,客户编码,客户名称,价税合计\n2026-01-05,XS001,C001,甲,600\n2026-02-05,XS002,C002,乙,300\n",
		"master.csv": "客户编码,客户名称,地址,联系人,电话\nC001,甲,上海,王,\nC003,丙,北京,李,13812345678\n",
	}
	if err := os.MkdirAll(filepath.Join(dir, "inbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, "inbox", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	if _, err := jobs.Run(ctx, &cfg, jobs.RunOptions{AsOf: "2026-03-31"}); err != nil {
		t.Fatal(err)
	}
	store, err := pipeline.OpenStore(ctx, cfg.Store, cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		return pipeline.Segment(ctx, c, &cfg, "2026-02-28", 99)
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		asOf string
		want []string
		not  []string
	}{
		{"2026-03-31", []string{
			`<th>Customers</th><td class="n">3</td>`,
			`<th>In the customer master</th><td class="n">2</td>`,
			`<th>No phone</th><td class="n">1</td>`,
			`<th>Sales but not in the master</th><td class="n">1</td>`,
			`<th>Malformed phone</th><td class="n">0</td>`,
		}, []string{"not reviewed", "No customer master loaded"}},
		{"2026-02-28", []string{"The customer data was not reviewed as of this date"}, []string{"No phone"}},
	}
	for _, c := range cases {
		html, err := reports.Report(ctx, store.DB, reports.ReportOptions{AsOf: c.asOf, WindowDays: 365, Lang: "en"})
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(html), w) {
				t.Errorf("the report as of %s lacks %s", c.asOf, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(string(html), n) {
				t.Errorf("the report as of %s holds %s", c.asOf, n)
			}
		}
	}
}
