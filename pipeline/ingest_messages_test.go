package pipeline

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// A workbook whose header is on another sheet than the one read names the
// sheet read and the others.
func TestXlsxHeaderOnAnotherSheet(t *testing.T) {
	dir := t.TempDir()
	f := excelize.NewFile()
	f.SetCellValue("Sheet1", "A1", "说明：销售数据见下一页")
	if _, err := f.NewSheet("销售明细"); err != nil {
		t.Fatal(err)
	}
	salesSheet(t, f, "销售明细")
	if err := f.SaveAs(filepath.Join(dir, "销售.xlsx")); err != nil {
		t.Fatal(err)
	}
	res, _ := loadInbox(t, dir, "sources:\n  - {name: kingdee, files: \"*.xlsx\"}\n")
	got := res.Files[0]
	want := "sheet Sheet1 was read, and the workbook also has: 销售明细; if the header is on one of them, set sheet under sources (name: kingdee)"
	if got.Status != "failed" || !strings.Contains(got.Reason, want) {
		t.Errorf("file %s: %q, want it to say %q", got.Status, got.Reason, want)
	}
}

// A forced encoding that does not fit names the line and what it reads as.
func TestEncodingHint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sales.csv")
	write(t, p, []byte(gbk("单据日期,客户编码,客户名称,价税合计\n2024-10-01,C1,甲公司,100\n")))
	src := DefaultSource()
	src.Encoding = "utf-8"
	want := `line 1 is not utf-8, which the source's encoding forces; read as GBK it is "单据日期,客户编码,客户名称,价税合计": set encoding: gbk (or auto)`
	if got := EncodingHint(p, src); got != want {
		t.Errorf("hint = %q\nwant   %q", got, want)
	}
	src.Encoding = "auto"
	if got := EncodingHint(p, src); got != "" {
		t.Errorf("auto: hint %q", got)
	}
}

// No column for a field: the header found and the names tried for it.
func TestNoColumnForAField(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sales.csv"), []byte("单据日期,客户编码,本单金额\n2024-10-01,C1,100\n"))
	res, _ := loadInbox(t, dir, "")
	got := res.Files[0].Reason
	for _, want := range []string{"no column for amount (or quantity and unit_price)",
		"the header found: 单据日期, 客户编码, 本单金额",
		"amount: 本币价税合计, FAllAmount_LC, 价税合计", "quantity: 数量, 实发数量", "unit_price: 含税单价, FTaxPrice, 单价"} {
		if !strings.Contains(got, want) {
			t.Errorf("reason %q lacks %q", got, want)
		}
	}
}

// A line of negative quantity with a positive amount is a return that
// would count as a sale: it is rejected, saying why and what to do. A
// positive quantity with a negative amount (a discount) loads, and so does
// a return whose amount is negative.
func TestReturnWithPositiveAmount(t *testing.T) {
	dir := t.TempDir()
	lines := "单据日期,单据编号,客户编码,客户名称,数量,单价,价税合计\n" +
		"2024-10-01,XS1,C1,甲公司,2,100,200\n" +
		"2024-10-05,TH1,C1,甲公司,-1,100,100\n" +
		"2024-10-05,TH2,C1,甲公司,-1,100,-100\n" +
		"2024-10-06,XS2,C2,乙公司,1,-10,-10\n"
	write(t, filepath.Join(dir, "sales.csv"), []byte(lines))
	res, store := loadInbox(t, dir, "max_reject_ratio: 0.5\n")
	if f := res.Files[0]; f.Status != "loaded" || f.Loaded != 3 || f.Rejected != 1 {
		t.Fatalf("file %s: %d loaded, %d rejected; want loaded, 3 and 1", f.Status, f.Loaded, f.Rejected)
	}
	got := queryRows(t, store.DB, `SELECT line_no, reason FROM rejects`)
	want := "3|return with a positive amount: quantity -1, amount 100.00: a line of negative quantity is a return, whose amount must be negative (红字); export returns with negative amounts, or correct the line in the ERP"
	if len(got) != 1 || got[0] != want {
		t.Errorf("rejects %q\nwant [%q]", got, want)
	}
}

// Cells written as Excel's text formula (="000123", as exports write codes
// to keep their leading zeros in Excel) are read as the text Excel shows;
// another formula is kept as it is.
func TestExcelTextCells(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sales.csv"), []byte("单据日期,单据编号,客户编码,客户名称,价税合计\n"+
		"=\"2024-10-01\",=\"XS001\",=\"000123\",甲公司,\"=\"\"1,200.50\"\"\"\n"+
		"2024-10-02,XS002,000123,\"=\"\"甲\"\"&\"\"公司\"\"\",100\n"+
		"2024-10-03,XS003,=\" A\"\"1 \",乙公司,100\n"))
	res, store := loadInbox(t, dir, "")
	if f := res.Files[0]; f.Status != "loaded" || f.Loaded != 3 {
		t.Fatalf("file %s: %d loaded, %s", f.Status, f.Loaded, f.Reason)
	}
	got := queryRows(t, store.DB, `SELECT doc_no, doc_date::VARCHAR, customer_code, customer_name, amount::VARCHAR FROM sales_lines ORDER BY line_no`)
	want := []string{"XS001|2024-10-01|000123|甲公司|1200.50", `XS002|2024-10-02|000123|="甲"&"公司"|100.00`, `XS003|2024-10-03|A"1|乙公司|100.00`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A customer code or document number in Excel's scientific notation
// (1.23457E+11: a long number Excel rounded) is rejected, saying why: codes
// that differ in their last digits would load as one customer. Codes that
// only hold an E and a + elsewhere load.
func TestExcelRoundedCodes(t *testing.T) {
	for _, c := range []struct {
		s    string
		want bool
	}{{"1.23457E+11", true}, {"4.5e+09", true}, {"1E+5", true}, {"C1E+5", false}, {"12E+5", false},
		{"1.E+5", false}, {"1.2E+", false}, {"1.2E+1a", false}, {"E+5", false}, {"123456789012", false}, {"1.5E-3", false}} {
		if got := excelRounded(c.s); got != c.want {
			t.Errorf("excelRounded(%q) = %v, want %v", c.s, got, c.want)
		}
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sales.csv"), []byte("单据日期,单据编号,客户编码,客户名称,价税合计\n"+
		"2024-10-01,XS1,1.23457E+11,甲公司,100\n2024-10-01,4.5E+09,C2,乙公司,100\n2024-10-01,XS3,C1E+5,丙公司,100\n"))
	write(t, filepath.Join(dir, "客户资料.csv"), []byte("客户编码,客户名称,地址\n1.23457E+11,甲公司,北京\nC2,乙公司,上海\n"))
	res, store := loadInbox(t, dir, "max_reject_ratio: 0.9\nsources:\n  - {name: master, kind: customers, files: \"客户资料*\"}\n  - {name: erp}\n")
	for _, f := range res.Files {
		if f.Status != "loaded" || f.Rejected != map[string]int64{"sales.csv": 2, "客户资料.csv": 1}[f.Name] {
			t.Errorf("%s: %s, %d rejected", f.Name, f.Status, f.Rejected)
		}
	}
	got := queryRows(t, store.DB, `SELECT reason FROM rejects ORDER BY file_id, line_no`)
	for i, want := range []string{`customer_code in scientific notation: "1.23457E+11": Excel rounded a long number here`,
		`doc_no in scientific notation: "4.5E+09"`, `customer_code in scientific notation: "1.23457E+11"`} {
		if i >= len(got) || !strings.HasPrefix(got[i], want) {
			t.Errorf("reject %d: %q, want it to start %q", i, got, want)
		}
	}
}
