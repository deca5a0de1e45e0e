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

	custsql "custcat/sql"
)

// A master export that lands where a sales source reads it fails with a
// hint to give it a customers source.
func TestMasterReadAsSales(t *testing.T) {
	_, err := mapHeader(strings.Split("客户编码,客户名称,地址,联系人,电话,客户类别", ","), Source{Name: "erp"})
	want := "no column for date, amount (or quantity and unit_price); map it under sources (name: erp) columns, for example columns: {amount: 价税合计}; this header looks like a customer master export: give its files a source with kind: customers"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant %s", err, want)
	}
}

func TestParseConfigSourceKind(t *testing.T) {
	_, problems := ParseConfig([]byte(`sources:
  - {name: m, kind: vendors}
  - {name: c, kind: customers, columns: {date: 日期, phone: 电话}}
  - {name: s, kind: sales, columns: {contact: 联系人}}
`))
	want := []string{
		`line 2: sources[0].kind "vendors" is unknown; write sales (sales lines) or customers (the customer master export)`,
		`line 3: sources[1].columns.date is not a field of a customers source; write one of customer_code, customer_name, address, contact, phone, category`,
		`line 4: sources[2].columns.contact is not a field of a sales source; write one of date, doc_no, customer_code, customer_name, item_code, item_name, category, quantity, unit_price, amount`,
	}
	if diff := cmp.Diff(want, problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	cfg, problems := ParseConfig([]byte("sources:\n  - {name: s}\n"))
	if len(problems) > 0 || cfg.Sources[0].Kind != KindSales {
		t.Errorf("kind defaults to %q (problems %v), want sales", cfg.Sources[0].Kind, problems)
	}
}

// A Yonyou master in a workbook loads through the xlsx reader like a CSV:
// title rows above the header, every line counted, a bad line rejected
// with its reason, an exact repeat a duplicate.
func TestMasterXlsx(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	rows := [][]any{
		{"客户档案"},
		{"客户编码", "客户简称", "所属分类", "地址", "联系人", "手机"},
		{"C001", "华东贸易", "02", "上海市", "王经理", 13511112222},
		{"", "无码客户", "03", "北京市", "钱先生", "13900000000"},
		{"C002", "华南商行", "03", "", "李女士", "13812345678"},
		{"C001", "华东贸易", "02", "上海市", "王经理", 13511112222},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(filepath.Join(dir, "客户档案.xlsx")); err != nil {
		t.Fatal(err)
	}
	res, store := loadInbox(t, dir, "sources: [{name: u8, kind: customers, ledger: 用友U8, max_reject_ratio: 0.5}]\n")
	fr := res.Files[0]
	if fr.Status != "loaded" || fr.Read != 4 || fr.Loaded != 2 || fr.Rejected != 1 || fr.Duplicate != 1 {
		t.Fatalf("file = %+v", fr)
	}
	got := queryRows(t, store.DB, `SELECT customer_key, customer_name, coalesce(address, '∅'), contact, phone, master_category, in_master, in_sales FROM customers ORDER BY 1`)
	want := []string{"C001|华东贸易|上海市|王经理|13511112222|02|true|false", "C002|华南商行|∅|李女士|13812345678|03|true|false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("customers (-want +got):\n%s", diff)
	}
	got = queryRows(t, store.DB, `SELECT line_no, reason FROM rejects`)
	if diff := cmp.Diff([]string{"4|no customer code"}, got); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
	got = queryRows(t, store.DB, `SELECT ledger, count(*) FROM master_customers GROUP BY ALL`)
	if diff := cmp.Diff([]string{"用友U8|2"}, got); diff != "" {
		t.Errorf("master_customers (-want +got):\n%s", diff)
	}
}

func TestPhoneRule(t *testing.T) {
	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{}, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c, err := store.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, custsql.Query("QualityMacros")); err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"13812345678":               true,
		"138 1234 5678":             true,
		"+8613812345678":            true,
		"+86 138-1234-5678":         false, // a mobile has no hyphens
		"138-1234-5678":             false,
		"+86-13812345678":           true,
		"021-58881234":              true,
		"02158881234":               true,
		"0755-1234567":              true,
		"(0755)12345678":            true,
		"（0571）88776655":            true,
		"0571-88776655转802":         true,
		"0571-88776655-802":         true,
		"0571-88776655#8":           true,
		"+86-10-12345678":           true,
		"+86 755 12345678":          true,
		"+86-010-12345678":          true,
		"13812345678/0571-87654321": true,
		"13812345678、13912345678":   true,
		"021-1234":                  false,
		"1381234567":                false, // 10 digits
		"12812345678":               false, // no mobile starts 12
		"123456789012":              false,
		"58881234":                  false, // no area code
		"13812345678/":              false,
		"电话待补":                      false,
		"0571-88776655 ext 8":       false,
	}
	for phone, want := range cases {
		var got bool
		if err := c.QueryRowContext(ctx, "SELECT phone_ok(?)", phone).Scan(&got); err != nil {
			t.Fatalf("%s: %v", phone, err)
		}
		if got != want {
			t.Errorf("phone_ok(%q) = %v, want %v", phone, got, want)
		}
	}
}

// A master with too many bad lines fails whole: it changes no customer,
// and its good lines, a repeat among them, are held back.
func TestMasterFails(t *testing.T) {
	dir := t.TempDir()
	text := "客户编码,客户名称,电话\nC001,华东贸易,13511112222\nC001,华东贸易,13511112222\n,无码客户,13900000000\n"
	if err := os.WriteFile(filepath.Join(dir, "客户资料.csv"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	res, store := loadInbox(t, dir, "sources: [{name: m, kind: customers, delimiter: comma}]\n")
	fr := res.Files[0]
	if fr.Status != "failed" || fr.Read != 3 || fr.Rejected != 1 || fr.Duplicate != 0 || fr.Held != 2 || fr.Loaded != 0 {
		t.Fatalf("file = %+v; want failed, 3 read = 1 rejected + 2 held back", fr)
	}
	if got := queryRows(t, store.DB, "SELECT count(*) FROM master_customers UNION ALL SELECT count(*) FROM customers"); !cmp.Equal(got, []string{"0", "0"}) {
		t.Errorf("master and customers hold %v rows, want none", got)
	}
}

// Masters of two ledgers, one without a header: a customer stays in the
// master while any ledger's latest master lists it, and a ledger's new
// master replaces only that ledger's.
func TestMasterLedgers(t *testing.T) {
	cfg, problems := ParseConfig([]byte(`sources:
  - {name: a, kind: customers, files: "a*", delimiter: comma}
  - {name: b, kind: customers, files: "b*", delimiter: comma, header: none, columns: {customer_code: 1, phone: 3}}
`))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{}, filepath.Join(t.TempDir(), "custcat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	load := func(files map[string]string) {
		t.Helper()
		dir := t.TempDir()
		now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
		for name, text := range files {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			// One time for all: the files are read in name order.
			if err := os.Chtimes(p, now.Add(-time.Hour), now.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
		}
		inbox, _, err := ScanInbox(dir, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
			res, err := Load(ctx, c, &cfg, 1, inbox, now, nil)
			for _, f := range res.Files {
				if f.Status != "loaded" {
					t.Errorf("%s: %s %s", f.Name, f.Status, f.Reason)
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	masters := func() []string {
		return queryRows(t, store.DB, "SELECT customer_key, coalesce(phone, '') FROM customers WHERE in_master ORDER BY 1")
	}
	load(map[string]string{"a1.csv": "客户编码,客户名称\nC1,甲\nC2,乙\n", "b1.csv": "C2,乙,13500000002\nC3,丙,13500000003\n"})
	if diff := cmp.Diff([]string{"C1|", "C2|13500000002", "C3|13500000003"}, masters()); diff != "" {
		t.Errorf("after both masters (-want +got):\n%s", diff)
	}
	load(map[string]string{"b2.csv": "C3,丙,13500000004\n"})
	if diff := cmp.Diff([]string{"C1|", "C2|", "C3|13500000004"}, masters()); diff != "" {
		t.Errorf("after ledger b's new master (-want +got):\n%s", diff)
	}
}
