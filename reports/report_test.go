package reports_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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

// evilTag is a tag name that would run as script if the page set it as HTML.
const evilTag = "<img src=x onerror=alert(2)>"

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
  - name: "%[2]s"
    when: frequency >= 3 AND m_score <= 2
`, dir, evilTag)
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
	for _, want := range []string{`lang="zh-CN"`, "客户分类报告", "大客户", "没有载入客户主数据", "¥", "CSV · UTF-8 · 逗号分隔 · 表头在第 1 行", "已载入", "五分位", "日期无法识别", "上期无此客户"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// Outside the scripts, the Chinese report says nothing in English.
	visible := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>`).ReplaceAll(html, nil)
	for _, word := range []string{"loaded", "quintile", "csv utf", "csv gbk", "comma", "header@", "<td>date", "<td>amount", "<td>no customer code", ">new<"} {
		if i := bytes.Index(visible, []byte(word)); i >= 0 {
			t.Errorf("the Chinese report says %q: %s", word, visible[max(0, i-120):min(len(visible), i+60)])
		}
	}

	store, err := pipeline.OpenStore(context.Background(), cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	en, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: "2026-06-30", WindowDays: 365, Lang: "en", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	checkOffline(t, en)
	for _, want := range []string{`lang="en"`, "Customer segmentation report", "Since the snapshot of 2026-03-31", "Customers per segment",
		"A key accounts", "not in the previous snapshot", "As of: 2026-06-30", "CSV · UTF-8 · comma · header on line 1", "date not understood"} {
		if !bytes.Contains(en, []byte(want)) {
			t.Errorf("the English report lacks %q", want)
		}
	}
	// Outside the data (customer, tag and category names), the English
	// report has no Chinese words or full-width punctuation.
	enVisible := regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>`).ReplaceAll(en, nil)
	enVisible = regexp.MustCompile(`客户\d+有限公司|五金|电料|管材|涂料|工具|坏日期客户|流失风险|高频|偏好:`).ReplaceAll(enVisible, nil)
	if m := regexp.MustCompile(`[\p{Han}：（），。]+`).Find(enVisible); m != nil {
		i := bytes.Index(enVisible, m)
		t.Errorf("the English report says %q: %s", m, enVisible[max(0, i-100):min(len(enVisible), i+60)])
	}
	again, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: "2026-06-30", WindowDays: 365, Lang: "en", Config: cfg})
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

// The reports the browser tests open: the generated fixture (with a
// customer named like a script), the demo, the ten-segment RFM map of
// data/examples on the rfm data set, and 100,000 customers.

func openStore(t *testing.T, cfg *pipeline.Config) *pipeline.Store {
	t.Helper()
	store, err := pipeline.OpenStore(context.Background(), cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// explainer answers what custcat explain says about a customer, through pipeline.Explain.
func explainer(store *pipeline.Store, cfg *pipeline.Config, asOf string) func(t *testing.T, code string) explained {
	return func(t *testing.T, code string) explained {
		t.Helper()
		ctx := context.Background()
		conn, err := store.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		e, err := pipeline.Explain(ctx, conn, cfg, code, asOf)
		if err != nil {
			t.Fatalf("explain %s: %v", code, err)
		}
		v := e.Values
		x := explained{Features: map[string]string{}, Scores: map[string]string{}, Segment: v["segment_code"], Since: v["segment_since"], Tags: e.Tags}
		for _, k := range []string{"recency_days", "frequency", "monetary", "active_months", "tenure_days",
			"avg_order_value", "returns_share", "top_category", "top_category_share", "trend_ratio"} {
			x.Features[k] = v[k]
		}
		for _, k := range []string{"r_score", "f_score", "m_score", "abc_class"} {
			x.Scores[k] = v[k]
		}
		if e.Fired >= 0 {
			x.Fired = e.Segments[e.Fired].Code
		}
		for _, h := range e.History {
			x.History = append(x.History, [4]string{h.AsOf, h.Segment, h.RuleSegment, h.Since})
		}
		return x
	}
}

func generatedCase(t *testing.T) reportCase {
	cfg, out := reportFixture(t)
	store := openStore(t, cfg)
	return reportCase{name: "generated", path: filepath.Join(out, "report.html"), db: store.DB, asOf: "2026-06-30",
		explain: explainer(store, cfg, "2026-06-30"), segments: 3, shows: evilName}
}

// generatedEnCase is the generated fixture's report in English.
func generatedEnCase(t *testing.T) reportCase {
	cfg, _ := reportFixture(t)
	store := openStore(t, cfg)
	html, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: "2026-06-30", WindowDays: 365, Lang: "en", Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report-en.html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	return reportCase{name: "generated-en", path: path, db: store.DB, asOf: "2026-06-30",
		explain: explainer(store, cfg, "2026-06-30"), segments: 3, shows: "Download these customers (CSV)"}
}

// demoCase runs the demo as make demo does: the exports and the master,
// the month ends of 2024 backfilled, and the run again.
func demoCase(t *testing.T) reportCase {
	dir := t.TempDir()
	inbox := filepath.Join(dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join("..", "data", "demo")
	for _, sub := range []string{"exports", "master"} {
		files, _ := filepath.Glob(filepath.Join(demo, sub, "*"))
		for _, f := range files {
			copyFile(t, f, filepath.Join(inbox, filepath.Base(f)))
		}
	}
	copyFile(t, filepath.Join(demo, "custcat.yaml"), filepath.Join(dir, "custcat.yaml"))
	copyFile(t, filepath.Join(demo, "manual.csv"), filepath.Join(dir, "manual.csv"))
	cfg := loadConfig(t, filepath.Join(dir, "custcat.yaml"))
	runWithHistory(t, cfg, "2024-12-31", "2024-01-31", "2024-11-30")
	store := openStore(t, cfg)
	return reportCase{name: "demo", path: filepath.Join(cfg.Path(cfg.Out), "report.html"), db: store.DB, asOf: "2024-12-31",
		explain: explainer(store, cfg, "2024-12-31"), segments: 3}
}

// rfmCase is the eleven segments of data/examples/rfm-segments.yaml on the
// rfm data set, with half a year of month ends backfilled.
func rfmCase(t *testing.T) reportCase {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "inbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join("..", "data", "examples", "rfm-segments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "custcat.yaml"), append(yaml, "sources: [{name: rfm}]\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join("..", "data", "public", "rfm", "rfm_data_orders.csv"), filepath.Join(dir, "inbox", "orders.csv"))
	cfg := loadConfig(t, filepath.Join(dir, "custcat.yaml"))
	runWithHistory(t, cfg, "2006-12-31", "2006-06-30", "2006-11-30")
	store := openStore(t, cfg)
	return reportCase{name: "rfm-11-segments", path: filepath.Join(cfg.Path(cfg.Out), "report.html"), db: store.DB, asOf: "2006-12-31",
		explain: explainer(store, cfg, "2006-12-31"), segments: 9}
}

func bigCase(t *testing.T) reportCase {
	store, cfg := bigStore(t, 300_000)
	html, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: bigAsOf, WindowDays: cfg.WindowDays, RunID: 2, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, html, 0o644); err != nil {
		t.Fatal(err)
	}
	return reportCase{name: "100k", path: path, db: store.DB, asOf: bigAsOf, explain: explainer(store, cfg, bigAsOf), segments: 3}
}

// runWithHistory runs the job as of asOf, backfills the month ends from
// from to to, and runs again, so that the report has history and movement.
func runWithHistory(t *testing.T, cfg *pipeline.Config, asOf, from, to string) {
	t.Helper()
	ctx := context.Background()
	now, _ := time.Parse(time.DateOnly, asOf)
	opt := jobs.RunOptions{AsOf: asOf, Now: func() time.Time { return now.Add(24 * time.Hour) }}
	if _, err := jobs.Run(ctx, cfg, opt); err != nil {
		t.Fatalf("run as of %s: %v", asOf, err)
	}
	dates, err := jobs.BackfillDates(from, to, "month")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jobs.Backfill(ctx, cfg, dates, jobs.RunOptions{Now: opt.Now}); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if _, err := jobs.Run(ctx, cfg, opt); err != nil {
		t.Fatalf("run as of %s again: %v", asOf, err)
	}
}

func loadConfig(t *testing.T, path string) *pipeline.Config {
	t.Helper()
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return &cfg
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// packedCustomers reads the customer table out of a report as the page
// does: the JSON of the page data, base85, gzip.
func packedCustomers(t *testing.T, html []byte) map[string]any {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`).FindSubmatch(html)
	if m == nil {
		t.Fatal("the report has no page data")
	}
	var page struct{ Customers string }
	if err := json.Unmarshal(m[1], &page); err != nil {
		t.Fatalf("the page data is not JSON: %v", err)
	}
	const digits = "!#$%()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{"
	var raw []byte
	s := page.Customers
	for i := 0; i < len(s); i += 5 {
		n := min(5, len(s)-i)
		v := uint64(0)
		for j := 0; j < 5; j++ {
			d := 84
			if j < n {
				d = strings.IndexByte(digits, s[i+j])
				if d < 0 {
					t.Fatalf("the packed customers hold %q, not a base85 digit", s[i+j])
				}
			}
			v = v*85 + uint64(d)
		}
		for j := 0; j < n-1; j++ {
			raw = append(raw, byte(v>>(24-8*j)))
		}
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("the packed customers are not gzip: %v", err)
	}
	var table map[string]any
	if err := json.NewDecoder(zr).Decode(&table); err != nil {
		t.Fatalf("the packed customers are not JSON: %v", err)
	}
	return table
}

// Every customer of the snapshot is in the page, with its revenue to the
// cent and its name as it is (a name like a script stays a string).
func TestReportHoldsEveryCustomer(t *testing.T) {
	cfg, out := reportFixture(t)
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	table := packedCustomers(t, html)
	store := openStore(t, cfg)
	rows, err := store.DB.Query(`SELECT coalesce(customer_code, customer_key), customer_name, CAST(monetary * 100 AS BIGINT)
		FROM snapshots WHERE as_of = '2026-06-30' ORDER BY monetary DESC, customer_key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	codes, names, mon := table["code"].([]any), table["name"].([]any), table["mon"].([]any)
	i, cents := 0, int64(0)
	for rows.Next() {
		var code, name string
		var want int64
		if err := rows.Scan(&code, &name, &want); err != nil {
			t.Fatal(err)
		}
		if i >= len(codes) {
			t.Fatalf("the page holds %d customers; the snapshot has more", len(codes))
		}
		if i == 0 {
			cents = int64(mon[0].(float64))
		} else {
			cents -= int64(mon[i].(float64))
		}
		if codes[i] != code || names[i] != name || cents != want {
			t.Errorf("customer %d: the page holds %v %v %d cents, the snapshot %s %s %d", i, codes[i], names[i], cents, code, name, want)
		}
		i++
	}
	if int(table["n"].(float64)) != i || len(codes) != i {
		t.Errorf("the page holds %v customers, the snapshot %d", table["n"], i)
	}
	if !strings.Contains(fmt.Sprint(names), evilName) {
		t.Errorf("the page lost the customer named %q", evilName)
	}
}

// A report of the first snapshot says how to get history, and has no movement.
func TestReportFirstSnapshot(t *testing.T) {
	cfg, _ := reportFixture(t)
	store := openStore(t, cfg)
	html, err := reports.Report(context.Background(), store.DB, reports.ReportOptions{AsOf: "2026-03-31", WindowDays: 365, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"custcat backfill --from … --to 2026-03-31", "没有更早的快照"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the report of the first snapshot lacks %q", want)
		}
	}
}

// Every word the page shows is there in both languages: the keys of the
// template and of the page script, and each language the keys of the other.
func TestReportTexts(t *testing.T) {
	used := map[string]bool{}
	tmpl, err := os.ReadFile("report.html.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	// The section on the ERP file has words of its own (report_erp.go).
	tmpl = regexp.MustCompile(`(?s)\{\{- with \.ERPFile\}\}.*?\{\{- end\}\}`).ReplaceAll(tmpl, nil)
	for _, m := range regexp.MustCompile(`\.T\.([a-z_0-9]+)`).FindAllSubmatch(tmpl, -1) {
		used[string(m[1])] = true
	}
	js, err := os.ReadFile("report.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\btf?\("([a-z_0-9]+)"`).FindAllSubmatch(js, -1) {
		if !strings.HasSuffix(string(m[1]), "_") { // a prefix the script completes
			used[string(m[1])] = true
		}
	}
	// Keys the script keeps in lists: label: "col_code", ["", "move_all"].
	for _, m := range regexp.MustCompile(`"((?:col|move|h|f|ax)_[a-z_0-9]+)"`).FindAllSubmatch(js, -1) {
		if k := string(m[1]); k != "f_score" { // a column of the CSV
			used[k] = true
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d text keys in the template and the script", len(used))
	}
	for _, lang := range []string{"zh", "en"} {
		for k := range used {
			if !reports.HasText(lang, k) {
				t.Errorf("the %s texts lack %q", lang, k)
			}
		}
	}
	for _, k := range reports.TextKeys("zh") {
		if !strings.HasPrefix(k, "rej_") && !reports.HasText("en", k) {
			t.Errorf("the en texts lack %q", k)
		}
	}
	for _, k := range reports.TextKeys("en") {
		if !reports.HasText("zh", k) {
			t.Errorf("the zh texts lack %q", k)
		}
	}
}

// The palette tells at least 12 segments apart: no two colours near each other.
func TestReportPalette(t *testing.T) {
	p := reports.Palette()
	if len(p) < 12 {
		t.Fatalf("%d colours; 12 segments need 12", len(p))
	}
	rgb := func(s string) [3]float64 {
		var c [3]float64
		for i := range c {
			v, err := strconv.ParseUint(s[1+2*i:3+2*i], 16, 8)
			if err != nil {
				t.Fatalf("colour %q: %v", s, err)
			}
			c[i] = float64(v)
		}
		return c
	}
	for i := range p {
		for j := i + 1; j < len(p); j++ {
			a, b := rgb(p[i]), rgb(p[j])
			d := math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
			if d < 75 {
				t.Errorf("colours %d %s and %d %s are too close (%.0f)", i, p[i], j, p[j], d)
			}
		}
	}
}

func TestPinyinInitials(t *testing.T) {
	for in, want := range map[string]string{"北京客户A1": "bjkha1", "上海五金有限公司": "shwjyxgs", "客户07有限公司": "kh07yxgs", "Acme 贸易": "acmemy"} {
		if got := reports.PinyinInitials(in); got != want {
			t.Errorf("PinyinInitials(%q) = %q, want %q", in, got, want)
		}
	}
}
