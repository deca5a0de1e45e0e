package jobs

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"custcat/pipeline"
)

// A master and sales read in one run, worked by hand. Thresholds make the
// segments plain: C001 (11,000 over 2 orders: M 4, F 2) is B, every other
// customer C. The master lists C001 under a longer name, which wins; C003
// has that name too; C003, C004 and C005 have no sales; C009 buys but is
// not in the master; its line dated after the as-of date does not count as
// its last sale.
const qualityConfig = `
store: {path: var/custcat.duckdb, threads: 1, memory_limit: 256MB}
guard: off # the second run moves half of its six customers
sources:
  - {name: master, kind: customers, files: "客户*", delimiter: comma, max_reject_ratio: 0.5}
  - {name: erp, delimiter: comma}
scoring:
  method: thresholds
  thresholds:
    recency_days: [30, 90, 180, 365]
    frequency: [2, 3, 5, 8]
    monetary: [1000, 5000, 10000, 50000]
segments:
  - {code: A, name: 大客户, erp_code: "01", when: "m_score >= 4 AND f_score >= 4 AND active_months >= 6"}
  - {code: B, name: 一般客户, erp_code: "02", when: "m_score >= 3 OR f_score >= 3"}
  - {code: C, name: 潜在客户, erp_code: "03", when: "true"}
`

const qualitySales = `单据日期,单据编号,客户编码,客户名称,价税合计
2026-01-05,XS001,C001,华东贸易,6000
2026-02-10,XS002,C001,华东贸易,5000
2026-03-01,XS003,C002,华南商行,800
2026-03-02,XS004,C009,无名商店,300
2026-04-15,XS005,C009,无名商店,50
`

// Kingdee headers. Line 7 has no code; line 8 repeats line 5 exactly; line
// 9 gives C002 again with other data. The master category is matched with
// the segment's name (C001), code (C004) or ERP code (C005).
const qualityMaster = `客户编码,客户名称,通讯地址,联系人,联系电话,客户类别
C001,华东贸易有限公司,上海市浦东新区,王经理,021-58881234,一般客户
C002,华南商行,,李女士,13812345678,A
C003,华东贸易有限公司,杭州市,,0571-1234,
C004,北方实业,北京市,赵先生,,C
C005,南方百货,广州市,孙女士,+86 139 0000 0000 / 0571-87654321转8,03
,无码客户,北京市,钱先生,13900000000,C
C004,北方实业,北京市,赵先生,,C
C002,华南商行二号,广州市,李女士,13812345678,A
`

// A later master of the same ledger, with Yonyou U8 headers: the full
// list, so C003, C004 and C005 leave; C009 is now in it.
const qualityMaster2 = `客户编码,客户简称,地址,联系人,手机,所属分类
C001,华东贸易,上海市浦东新区,王经理,13511112222,02
C002,华南商行,广州市天河区,李女士,13812345678,03
C009,无名商店,深圳市,周先生,1381234567,03
`

func TestRunQualityByHand(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "custcat.yaml")
	if err := os.WriteFile(path, []byte(qualityConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	addInbox(t, &cfg, map[string]string{"sales.csv": qualitySales, "客户资料.csv": qualityMaster})
	res, err := Run(context.Background(), &cfg, RunOptions{AsOf: "2026-03-31", Job: "test"})
	if err != nil {
		t.Fatal(err)
	}

	var master pipeline.FileResult
	for _, f := range res.Load.Files {
		if f.Name == "客户资料.csv" {
			master = f
		}
	}
	if master.Status != "loaded" || master.Read != 8 || master.Loaded != 5 || master.Rejected != 2 || master.Duplicate != 1 {
		t.Errorf("master file = %+v; want 8 read = 5 loaded + 2 rejected + 1 duplicate", master)
	}
	if tot := res.Load.Totals(); tot.Read != tot.Loaded+tot.Rejected+tot.Duplicate+tot.Summary+tot.Held || tot.Read != 13 {
		t.Errorf("totals %+v do not add up to the 13 lines read", tot)
	}
	rejects := readCSV(t, filepath.Join(cfg.Path(cfg.Out), "rejects.csv"))
	wantRejects := [][]string{
		{"file", "line", "reason", "raw"},
		{"客户资料.csv", "7", "no customer code", ",无码客户,北京市,钱先生,13900000000,C"},
		{"客户资料.csv", "9", "customer C002 is on line 3 too, with other data", "C002,华南商行二号,广州市,李女士,13812345678,A"},
	}
	if diff := cmp.Diff(wantRejects, rejects); diff != "" {
		t.Errorf("rejects.csv (-want +got):\n%s", diff)
	}

	wantQuality := "\ufeffcheck,customer_code,customer_name,detail\r\n" +
		"missing_contact,C003,华东贸易有限公司,\r\n" +
		"missing_phone,C004,北方实业,\r\n" +
		"missing_address,C002,华南商行,\r\n" +
		"bad_phone,C003,华东贸易有限公司,0571-1234\r\n" +
		"duplicate_name,C001,华东贸易有限公司,also under C003\r\n" +
		"duplicate_name,C003,华东贸易有限公司,also under C001\r\n" +
		"not_in_master,C009,无名商店,last sale 2026-03-02\r\n" +
		"category_differs,C002,华南商行,\"master A, computed C 潜在客户 (ERP 03)\"\r\n"
	if diff := cmp.Diff(wantQuality, readText(t, filepath.Join(cfg.Path(cfg.Out), "quality.csv"))); diff != "" {
		t.Errorf("quality.csv (-want +got):\n%s", diff)
	}
	wantCounts := map[string]int64{"missing_contact": 1, "missing_phone": 1, "missing_address": 1, "bad_phone": 1,
		"duplicate_name": 2, "not_in_master": 1, "category_differs": 1}
	if diff := cmp.Diff(wantCounts, qualityCounts(res)); diff != "" || !res.Quality.MasterLoaded {
		t.Errorf("quality counts (-want +got):\n%s\nmaster loaded: %v", diff, res.Quality.MasterLoaded)
	}

	// Customers of the master without sales go through the rules with
	// NULL scores: C. The master's name wins over the sales line's.
	cats := map[string][]string{}
	recs, _, _ := readCategories(t, &cfg)
	for _, r := range recs[1:] {
		// name, segment, erp code, r, f and m scores, frequency
		cats[r[0]] = []string{r[1], r[2], r[4], r[6], r[7], r[8], r[11]}
	}
	wantCats := map[string][]string{
		"C001": {"华东贸易有限公司", "B", "02", "4", "2", "4", "2"},
		"C002": {"华南商行", "C", "03", "4", "1", "1", "1"},
		"C003": {"华东贸易有限公司", "C", "03", "", "", "", "0"},
		"C004": {"北方实业", "C", "03", "", "", "", "0"},
		"C005": {"南方百货", "C", "03", "", "", "", "0"},
		"C009": {"无名商店", "C", "03", "5", "1", "1", "1"},
	}
	if diff := cmp.Diff(wantCats, cats); diff != "" {
		t.Errorf("categories.csv (-want +got):\n%s", diff)
	}

	// The next master replaces this one: customers it no longer lists and
	// that never bought leave; C009 joins.
	addInbox(t, &cfg, map[string]string{"客户资料2.csv": qualityMaster2})
	res, err = Run(context.Background(), &cfg, RunOptions{AsOf: "2026-03-31", Job: "test"})
	if err != nil {
		t.Fatal(err)
	}
	wantQuality = "\ufeffcheck,customer_code,customer_name,detail\r\n" +
		"bad_phone,C009,无名商店,1381234567\r\n"
	if diff := cmp.Diff(wantQuality, readText(t, filepath.Join(cfg.Path(cfg.Out), "quality.csv"))); diff != "" {
		t.Errorf("quality.csv after the second master (-want +got):\n%s", diff)
	}
	if res.Customers != 3 {
		t.Errorf("customers after the second master = %d, want 3 (C001, C002, C009)", res.Customers)
	}
	recs, _, _ = readCategories(t, &cfg)
	if len(recs) != 4 || recs[1][1] != "华东贸易" {
		t.Errorf("categories.csv after the second master = %v; want C001 (now 华东贸易), C002, C009", recs)
	}
}

// Without a master, one finding says so, and no customer is called
// missing from a master that does not exist.
func TestRunQualityWithoutMaster(t *testing.T) {
	cfg := outputsStore(t, "", map[string]string{"sales1.csv": salesExport})
	if err := runAsOf(t, cfg); err != nil {
		t.Fatal(err)
	}
	want := "\ufeffcheck,customer_code,customer_name,detail\r\nno_master,,,no customer master loaded\r\n"
	if diff := cmp.Diff(want, readText(t, filepath.Join(cfg.Path(cfg.Out), "quality.csv"))); diff != "" {
		t.Errorf("quality.csv (-want +got):\n%s", diff)
	}
}

func qualityCounts(res *RunResult) map[string]int64 {
	out := map[string]int64{}
	for _, n := range res.Quality.Counts {
		if n.Customers > 0 {
			out[n.Check] = n.Customers
		}
	}
	return out
}

func readText(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readCSV(t *testing.T, p string) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix([]byte(readText(t, p)), []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", p, err)
	}
	return recs
}
