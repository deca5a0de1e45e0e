package pipeline

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// loadInbox runs the real ingest on the files of dir with the given config
// and returns what it did and the store it wrote.
func loadInbox(t testing.TB, dir, config string) (*LoadResult, *Store) {
	t.Helper()
	cfg, problems := ParseConfig([]byte(config))
	if len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	store, err := OpenStore(context.Background(), StoreConfig{MemoryLimit: "1GB"}, filepath.Join(t.TempDir(), "custcat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return loadInto(t, store, &cfg, 1, dir), store
}

// loadInto runs the real ingest of run runID on the files of dir into store.
func loadInto(t testing.TB, store *Store, cfg *Config, runID int64, dir string) *LoadResult {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
	inbox, _, err := ScanInbox(dir, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	var res *LoadResult
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		res, err = Load(ctx, c, cfg, runID, inbox, now, nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// queryRows returns the rows of a query as text, one line per row, on a
// database or on one connection (whose temp tables it sees).
func queryRows(t testing.TB, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = v.String
		}
		out = append(out, strings.Join(cells, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// salesSheet writes a Kingdee-like sales sheet: a merged title, a note
// row, the header, then lines with every kind of date Excel users make.
func salesSheet(t *testing.T, f *excelize.File, sheet string) {
	t.Helper()
	set := func(cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	style := func(cell string, code string) {
		t.Helper()
		id, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle(sheet, cell, cell, id); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "销售出库单明细表")
	if err := f.MergeCell(sheet, "A1", "H1"); err != nil {
		t.Fatal(err)
	}
	set("A2", "日期范围：2024-10-01 至 2024-10-31")
	rows := [][]any{
		{"单据日期", "单据编号", "客户编码", "客户名称", "商品名称", "数量", "含税单价", "价税合计"},
		{45572, "XS001", "C001", "甲公司", "螺丝", 10, 2.5, 25},                       // a serial number, no date format
		{45573, "XS002", "C002", "乙公司", "螺母", "5", "1,200.00", "6,000.00"},       // a date-formatted cell; numbers stored as text
		{"2024年10月9日", "XS003", "C001", "甲公司", "垫片", 3, 1.5},                     // a text date; no amount, a trailing blank cell
		{nil, nil, nil, nil, "弹簧", 2, 1, 2},                                      // a continuation line of XS003
		{"2024-13-45", "XS004", "C003", "丙公司", "垫圈", 1, 1, 1},                    // a bad date
		{45574.5, "XS005", "C003", "丙公司", "垫圈", 4, 0.125, 0.5},                   // a date-time cell: 2024-10-09 12:00
		{"合计", nil, nil, nil, nil, 25, nil, 6034.5},                              // the total row
		{45575, "XS006", "C004", "丁公司", "螺栓", 1234567.891, 1, "202410070001.55"}, // more digits than Excel shows
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	style("A5", "yyyy/m/d")
	style("A9", "yyyy-mm-dd hh:mm")
	style("F11", "#,##0") // shows 1,234,568; the value has decimals
}

func TestXlsxLoadsLikeCSV(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	salesSheet(t, f, "Sheet1")
	if err := f.SaveAs(filepath.Join(dir, "销售出库.xlsx")); err != nil {
		t.Fatal(err)
	}
	res, store := loadInbox(t, dir, "max_reject_ratio: 0.5\nsources:\n  - {name: kingdee, ledger: main, files: \"*.xlsx\"}\n")

	got := res.Files[0]
	if got.Status != "loaded" || got.Read != 8 || got.Loaded != 6 || got.Rejected != 1 || got.Summary != 1 {
		t.Fatalf("file = %s %q read %d loaded %d rejected %d summary %d", got.Status, got.Reason, got.Read, got.Loaded, got.Rejected, got.Summary)
	}
	if got.Format != "xlsx sheet Sheet1 header@3" {
		t.Errorf("format = %q", got.Format)
	}
	lines := queryRows(t, store.DB, `SELECT line_no, doc_no, doc_date::VARCHAR, customer_code, item_name, quantity::VARCHAR, unit_price::VARCHAR, amount::VARCHAR
		FROM sales_lines ORDER BY line_no`)
	want := []string{
		"4|XS001|2024-10-07|C001|螺丝|10.0|2.5|25.00",
		"5|XS002|2024-10-08|C002|螺母|5.0|1200.0|6000.00",
		"6|XS003|2024-10-09|C001|垫片|3.0|1.5|4.50",
		"7|XS003|2024-10-09|C001|弹簧|2.0|1.0|2.00",
		"9|XS005|2024-10-09|C003|垫圈|4.0|0.125|0.50",
		"11|XS006|2024-10-10|C004|螺栓|1234567.891|1.0|202410070001.55",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("sales_lines (-want +got):\n%s", diff)
	}
	rejects := queryRows(t, store.DB, `SELECT line_no, raw, reason LIKE '%not a date: "2024-13-45"%' FROM rejects`)
	wantRejects := []string{"8|2024-13-45\tXS004\tC003\t丙公司\t垫圈\t1\t1\t1|true"}
	if diff := cmp.Diff(wantRejects, rejects); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

func TestXlsxNamedSheet(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	if err := f.SetCellValue("Sheet1", "A1", "本表为导出说明，数据见“明细”页"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("明细"); err != nil {
		t.Fatal(err)
	}
	salesSheet(t, f, "明细")
	if err := f.SaveAs(filepath.Join(dir, "sales.xlsx")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, sheet, status, reason string
		loaded                      int64
	}{
		{name: "named", sheet: "明细", status: "loaded", loaded: 6},
		{name: "first by default", sheet: "", status: "failed", reason: "no header row found"},
		{name: "missing", sheet: "Sales", status: "failed", reason: `no worksheet "Sales" in this workbook, which has: Sheet1, 明细; set sheet under sources (name: k)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := loadInbox(t, dir, "max_reject_ratio: 0.5\nsources:\n  - {name: k, ledger: main, files: \"*.xlsx\", sheet: \""+tc.sheet+"\"}\n")
			got := res.Files[0]
			if got.Status != tc.status || got.Loaded != tc.loaded || !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("file = %s loaded %d reason %q; want %s loaded %d reason %q", got.Status, got.Loaded, got.Reason, tc.status, tc.loaded, tc.reason)
			}
		})
	}
}

func TestXlsFails(t *testing.T) {
	dir := t.TempDir()
	ole := append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 504)...)
	if err := os.WriteFile(filepath.Join(dir, "销售.xls"), ole, 0o644); err != nil {
		t.Fatal(err)
	}
	res, store := loadInbox(t, dir, "")
	got := res.Files[0]
	if got.Status != "failed" || !strings.Contains(got.Reason, "save it as .xlsx or CSV") {
		t.Errorf("file = %s %q; want failed with a hint to save as .xlsx or CSV", got.Status, got.Reason)
	}
	if n := queryRows(t, store.DB, "SELECT count(*) FROM sales_lines"); n[0] != "0" {
		t.Errorf("sales_lines = %s rows, want 0", n[0])
	}
}

func TestSerialDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		iso  bool
		want string
	}{
		{"45572", false, "2024-10-07"},
		{"45572.75", false, "2024-10-07 18:00:00"},
		{"61", false, "1900-03-01"},
		{"59", false, "1900-02-28"},
		{"1", false, "1900-01-01"},
		{"2958465", false, "9999-12-31"},
		{"44110", true, "2024-10-07"}, // the 1904 date system
		{"0", false, ""},
		{"20241007", false, ""},
		{"2024-10-07", false, ""},
		{"-3", false, ""},
	} {
		got, ok := serialDate(tc.in, tc.iso)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("serialDate(%q, %v) = %q, %v; want %q", tc.in, tc.iso, got, ok, tc.want)
		}
	}
}

func TestFmtCodeKind(t *testing.T) {
	for code, want := range map[string]dateKind{
		"yyyy-mm-dd":                     dateOnly,
		"yyyy/m/d":                       dateOnly,
		`yyyy"年"m"月"d"日"`:                dateOnly,
		"[$-804]yyyy年m月d日":               dateOnly,
		"d-mmm-yy":                       dateOnly,
		"yyyy-mm-dd hh:mm:ss":            dateTime,
		"m/d/yy h:mm AM/PM":              dateTime,
		"h:mm:ss":                        notDate,
		"[h]:mm":                         notDate,
		"mm:ss":                          notDate,
		"#,##0.00":                       notDate,
		`_ ¥* #,##0.00_ ;_ ¥* -#,##0.00`: notDate,
		"0.00E+00":                       notDate,
		"General":                        notDate,
		`0.00"天"`:                        notDate,
		"@":                              notDate,
	} {
		if got := fmtCodeKind(code); got != want {
			t.Errorf("fmtCodeKind(%q) = %d, want %d", code, got, want)
		}
	}
}
