package jobs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"custcat/pipeline"
	"custcat/reports"
)

// Thresholds rather than quintiles, so that one customer's new order
// changes only that customer's scores and segment. The delimiter is given:
// sniffing it fails an export shorter than its 64-line sample with "EOF".
const outputsConfig = `
store: {path: var/custcat.duckdb, threads: 1, memory_limit: 256MB}
guard: off # these cases move many of their few customers at once; guard_test.go tests the guard
sources: [{name: erp, delimiter: comma}]
scoring:
  method: thresholds
  thresholds:
    recency_days: [30, 90, 180, 365]
    frequency: [2, 3, 5, 8]
    monetary: [1000, 5000, 10000, 50000]
tags:
  - {name: 大单, when: "monetary >= 10000"}
`

const salesExport = `单据日期,单据编号,客户编码,客户名称,价税合计
2026-01-05,XS001,C001,华东贸易,6000
2026-02-10,XS002,C001,华东贸易,5000
2026-02-11,XS003,C002,"=HYPERLINK(""http://x"",""y"")",800
2026-03-01,XS004,C003,@SUM(A1),1200
2026-03-02,XS005,C004,退货客户,-12.50
`

// outputsStore makes a folder with a config and an inbox holding files.
func outputsStore(t *testing.T, extra string, files map[string]string) *pipeline.Config {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "custcat.yaml")
	if err := os.WriteFile(path, []byte(outputsConfig+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := pipeline.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	addInbox(t, &cfg, files)
	return &cfg
}

func addInbox(t *testing.T, cfg *pipeline.Config, files map[string]string) {
	t.Helper()
	inbox := cfg.Path(cfg.Inbox)
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(inbox, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runAsOf(t *testing.T, cfg *pipeline.Config) error {
	t.Helper()
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Job: "test"})
	if res != nil && res.Load != nil {
		for _, f := range res.Load.Files {
			if f.Status == "failed" {
				t.Logf("%s failed: %s", f.Name, f.Reason)
			}
		}
	}
	return err
}

// readCategories returns the records of out/categories.csv and its manifest.
func readCategories(t *testing.T, cfg *pipeline.Config) ([][]string, reports.Manifest, []byte) {
	t.Helper()
	out := cfg.Path(cfg.Out)
	data, err := os.ReadFile(filepath.Join(out, "categories.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatalf("read categories.csv: %v", err)
	}
	var m reports.Manifest
	mj, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(mj, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return recs, m, data
}

func TestRunCategoriesDelta(t *testing.T) {
	cfg := outputsStore(t, "outputs: {categories: {preset: kingdee, mode: delta}}\n", map[string]string{"sales1.csv": salesExport})
	steps := []struct {
		name  string
		files map[string]string
		want  []string // customer codes in the file
	}{
		{"first delta holds every customer", nil, []string{"C001", "C002", "C003", "C004"}},
		// C002's big order gives it the tag 大单 and a new segment; nobody else changes.
		{"after a change only the changed customer", map[string]string{"sales2.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2026-03-20,XS010,C002,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",20000\n"},
			[]string{"C002"}},
		// A rerun on the same inputs (after a crash, say) writes the same
		// delta again: the ERP may not have read it yet.
		{"a rerun on the same inputs repeats the delta", nil, []string{"C002"}},
		// New inputs that change no category or tag: an empty delta.
		{"after no change no customer", map[string]string{"sales3.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2026-01-05,XS001,C001,华东贸易,6000\n"}, nil},
	}
	for _, s := range steps {
		addInbox(t, cfg, s.files)
		if err := runAsOf(t, cfg); err != nil {
			t.Fatalf("%s: run: %v", s.name, err)
		}
		recs, m, _ := readCategories(t, cfg)
		if got := strings.Join(recs[0], ","); got != "客户编码,客户名称,客户类别" {
			t.Errorf("%s: header %q", s.name, got)
		}
		var codes []string
		for _, r := range recs[1:] {
			codes = append(codes, r[0])
		}
		if strings.Join(codes, ",") != strings.Join(s.want, ",") {
			t.Errorf("%s: customers %v, want %v", s.name, codes, s.want)
		}
		if m.Rows != len(s.want) || m.Mode != "delta" {
			t.Errorf("%s: manifest rows %d mode %s, want %d delta", s.name, m.Rows, m.Mode, len(s.want))
		}
	}
}

func TestRunCategoriesSameDataSameBytes(t *testing.T) {
	var files [2][]byte
	for i := range files {
		cfg := outputsStore(t, "", map[string]string{"sales1.csv": salesExport})
		if err := runAsOf(t, cfg); err != nil {
			t.Fatal(err)
		}
		recs, m, data := readCategories(t, cfg)
		files[i] = data
		sum := sha256.Sum256(data)
		checks := []struct {
			name      string
			got, want any
		}{
			{"sha256", m.SHA256, hex.EncodeToString(sum[:])},
			{"rows", m.Rows, len(recs) - 1},
			{"as_of", m.AsOf, "2026-03-31"},
			{"run_id", m.RunID, int64(1)},
			{"columns", strings.Join(m.Columns, ","), strings.Join(reports.CategoryColumns, ",")},
			{"encoding", m.Encoding, "utf-8-bom"},
			{"preset", m.Preset, "generic"},
			{"mode", m.Mode, "full"},
			{"file", m.File, "categories.csv"},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("manifest %s = %v, want %v", c.name, c.got, c.want)
			}
		}
		// The formulas of the export reach the file harmless; a negative amount stays a number.
		byCode := map[string][]string{}
		for _, r := range recs[1:] {
			byCode[r[0]] = r
		}
		if got := byCode["C002"][1]; got != `'=HYPERLINK("http://x","y")` {
			t.Errorf("C002 name = %q", got)
		}
		if got := byCode["C003"][1]; got != "'@SUM(A1)" {
			t.Errorf("C003 name = %q", got)
		}
		if got := byCode["C004"][12]; got != "-12.50" {
			t.Errorf("C004 monetary = %q, want -12.50", got)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Errorf("two runs over the same data differ:\n%q\n%q", files[0], files[1])
	}
}

func TestRunCategoriesUnencodable(t *testing.T) {
	cfg := outputsStore(t, "outputs: {categories: {preset: yonyou, encoding: gbk}}\n", map[string]string{
		"sales1.csv": salesExport + "2026-03-03,XS006,C009,笑脸商店😀,300\n"})
	err := runAsOf(t, cfg)
	if !errors.Is(err, reports.ErrUnencodable) || !strings.Contains(err.Error(), "customer C009") {
		t.Fatalf("err = %v, want ErrUnencodable naming customer C009", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Path(cfg.Out), "categories.csv")); !os.IsNotExist(err) {
		t.Errorf("categories.csv written by a failed run: %v", err)
	}
}

func TestRunCustomersParquet(t *testing.T) {
	// A quote in the out folder must survive the COPY statement's file name.
	cfg := outputsStore(t, "out: \"o'ut\"\n", map[string]string{"sales1.csv": salesExport})
	if err := runAsOf(t, cfg); err != nil {
		t.Fatal(err)
	}
	f, err := file.OpenParquetFile(filepath.Join(cfg.Path(cfg.Out), "customers.parquet"), false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fr, err := pqarrow.NewFileReader(f, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 4 {
		t.Errorf("rows = %d, want 4", tbl.NumRows())
	}
	cols := map[string]int{}
	for i, fld := range tbl.Schema().Fields() {
		cols[fld.Name] = i
	}
	for _, name := range append([]string{"as_of", "run_id", "customer_key", "erp_code", "rule_index"}, pipeline.CategoryFields...) {
		if _, ok := cols[name]; !ok {
			t.Errorf("no column %s in %v", name, tbl.Schema())
		}
	}
	if typ := tbl.Schema().Field(cols["tags"]).Type; typ.ID() != arrow.LIST {
		t.Errorf("tags is %s, want a list", typ)
	}
	// The values of one customer, as a BI tool sees them.
	row := -1
	keys := tbl.Column(cols["customer_key"]).Data().Chunk(0).(*array.String)
	for i := 0; i < keys.Len(); i++ {
		if keys.Value(i) == "C001" {
			row = i
		}
	}
	if row < 0 {
		t.Fatal("no customer C001")
	}
	if got := tbl.Column(cols["segment_code"]).Data().Chunk(0).(*array.String).Value(row); got != "B" {
		t.Errorf("C001 segment_code = %q, want B", got)
	}
	money := tbl.Column(cols["monetary"]).Data().Chunk(0).(*array.Decimal128)
	scale := money.DataType().(*arrow.Decimal128Type).Scale
	if got := money.Value(row).ToString(scale); got != "11000.00" {
		t.Errorf("C001 monetary = %s, want 11000.00", got)
	}
	tags := tbl.Column(cols["tags"]).Data().Chunk(0).(*array.List)
	start, end := tags.ValueOffsets(row)
	if vals := tags.ListValues().(*array.String); end-start != 1 || vals.Value(int(start)) != "大单" {
		t.Errorf("C001 tags = %v, want [大单]", tags.ValueStr(row))
	}
}
