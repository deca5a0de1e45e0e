package pipeline

import (
	"bytes"
	"compress/gzip"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// cloudOrders is a 云星空 销售订单 exported with 引出: its two header rows,
// and a row of empty cells after each order.
var cloudOrders = cloudKeys + "\n" + cloudCaptions + `
1,XSDD000201,2024-02-01,C-001,华南电子有限公司,1,P-100,路由器,10,199,1990
,,,,,2,P-200,交换机,2,899,1798
,,,,,,,,,,
2,XSDD000202,2024-05-12,C-002,东方建材有限公司,1,P-300,网线,100,3.5,350
,,,,,,,,,,
3,XSDD000203,2024-08-30,C-001,华南电子有限公司,1,P-100,路由器,5,189,945
,,,,,,,,,,
,,,,,3,,,,,
4,XSDD000204,2024-12-01,C-003,西岭食品有限公司,1,P-200,交换机,1,899,899
,,,,,2,P-400,无线网卡,3,120,360
, , ,,,,,,,
`

// cloudLines are the lines of cloudOrders as loaded.
var cloudLines = []string{
	"3|XSDD000201|2024-02-01|C-001|P-100|1990.00",
	"4|XSDD000201|2024-02-01|C-001|P-200|1798.00",
	"6|XSDD000202|2024-05-12|C-002|P-300|350.00",
	"8|XSDD000203|2024-08-30|C-001|P-100|945.00",
	"11|XSDD000204|2024-12-01|C-003|P-200|899.00",
	"12|XSDD000204|2024-12-01|C-003|P-400|360.00",
}

const cloudQuery = `SELECT line_no, doc_no, doc_date::VARCHAR, customer_code, item_code, amount::VARCHAR FROM sales_lines ORDER BY line_no`

// TestCloudExport loads the 云星空 export as it is, gzipped (the Go parser
// alone reads it) and as a workbook: the caption row is not a rejected
// line, and the rows of empty cells (and of a sequence number alone) are
// skipped like blank lines, not read, not rejected.
func TestCloudExport(t *testing.T) {
	plain, zipped, book := t.TempDir(), t.TempDir(), t.TempDir()
	write(t, filepath.Join(plain, "销售订单.csv"), []byte(cloudOrders))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(cloudOrders))
	zw.Close()
	write(t, filepath.Join(zipped, "销售订单.csv.gz"), gz.Bytes())
	f := excelize.NewFile()
	for i, l := range strings.Split(strings.TrimSuffix(cloudOrders, "\n"), "\n") {
		cells := strings.Split(l, ",")
		row := make([]any, len(cells))
		for j, c := range cells {
			row[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(filepath.Join(book, "销售订单.xlsx")); err != nil {
		t.Fatal(err)
	}
	for name, dir := range map[string]string{"csv": plain, "csv.gz": zipped, "xlsx": book} {
		t.Run(name, func(t *testing.T) {
			// No reject is allowed: a rejected caption row or empty row fails the file.
			res, store := loadInbox(t, dir, "max_reject_ratio: 0\n")
			got := res.Files[0]
			if got.Status != "loaded" || got.Read != 6 || got.Loaded != 6 || got.Rejected != 0 {
				t.Fatalf("file: %s %q, read %d loaded %d rejected %d; want loaded, 6 read, 6 loaded", got.Status, got.Reason, got.Read, got.Loaded, got.Rejected)
			}
			if !strings.HasSuffix(got.Format, " header@2") {
				t.Errorf("format %q; want the header on line 2", got.Format)
			}
			if diff := cmp.Diff(cloudLines, queryRows(t, store.DB, cloudQuery)); diff != "" {
				t.Errorf("sales_lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmptyCellRows: a row of empty cells is no line, in any export; a
// row with one value in a data column is a line, and rejected.
func TestEmptyCellRows(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sales.csv"), []byte(lines(badHeader, goodLine("E1"), ",,,,", goodLine("E2"), ";;;;", ",,,,,,,", ",,,甲公司,", goodLine("E3"))))
	res, store := loadInbox(t, dir, "max_reject_ratio: 0.5\n")
	got := res.Files[0]
	// ;;;; is one cell of text in a comma file: a line, rejected.
	if got.Read != 5 || got.Loaded != 3 || got.Rejected != 2 {
		t.Fatalf("read %d loaded %d rejected %d; want 5, 3, 2 (%s)", got.Read, got.Loaded, got.Rejected, got.Reason)
	}
	want := []string{"5|wrong number of fields: 1, expected 5", "7|no customer code"}
	if diff := cmp.Diff(want, queryRows(t, store.DB, "SELECT line_no, reason FROM rejects ORDER BY line_no")); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

// utf16Bytes writes text as UTF-16 with a byte order mark.
func utf16Bytes(text string, big bool) []byte {
	var b []byte
	put := func(u uint16) {
		if big {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	put(0xfeff)
	for _, u := range utf16.Encode([]rune(text)) {
		put(u)
	}
	return b
}

// unicodeText is an export as Excel saves it as "Unicode 文本": tabs, CRLF,
// a cell quoted for its quote mark, a character outside the BMP.
const unicodeText = "单据日期\t单据编号\t客户编码\t客户名称\t商品名称\t价税合计\r\n" +
	"2024/2/14\tXS1\tK01\t星河文具店\t\"27\"\" 显示器\"\t1299\r\n" +
	"2024/5/3\tXS2\tK03\t𠮷祥商行\t打印纸\t255.5\r\n"

func TestUTF16Text(t *testing.T) {
	want := []string{"2|XS1|K01|星河文具店|27\" 显示器|1299.00", "3|XS2|K03|𠮷祥商行|打印纸|255.50"}
	const q = `SELECT line_no, doc_no, customer_code, customer_name, item_name, amount::VARCHAR FROM sales_lines ORDER BY line_no`
	for _, c := range []struct {
		name, format string
		data         []byte
	}{
		{"little-endian.txt", "csv utf-16le tab header@1", utf16Bytes(unicodeText, false)},
		{"big-endian.csv", "csv utf-16be tab header@1", utf16Bytes(unicodeText, true)},
		{"little-endian.csv.gz", "csv utf-16le tab header@1", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			data := c.data
			if data == nil {
				var gz bytes.Buffer
				zw := gzip.NewWriter(&gz)
				zw.Write(utf16Bytes(unicodeText, false))
				zw.Close()
				data = gz.Bytes()
			}
			dir := t.TempDir()
			write(t, filepath.Join(dir, c.name), data)
			res, store := loadInbox(t, dir, "max_reject_ratio: 0\n")
			got := res.Files[0]
			if got.Status != "loaded" || got.Format != c.format {
				t.Fatalf("file: %s %q as %q; want loaded as %q", got.Status, got.Reason, got.Format, c.format)
			}
			if diff := cmp.Diff(want, queryRows(t, store.DB, q)); diff != "" {
				t.Errorf("sales_lines (-want +got):\n%s", diff)
			}
		})
	}
}

// TestUTF16Bad: a lone surrogate rejects its line; a source that sets
// another encoding fails the file with what to write.
func TestUTF16Bad(t *testing.T) {
	dir := t.TempDir()
	data := utf16Bytes("单据日期\t单据编号\t客户编码\t价税合计\r\n2024-01-02\tX1\tC1\t1\r\n2024-01-02\tX2\tC", false)
	data = append(data, 0x00, 0xd8) // a high surrogate with no low one
	data = append(data, utf16Bytes("2\t1\r\n2024-01-02\tX3\tC3\t1\r\n", false)[2:]...)
	write(t, filepath.Join(dir, "sales.txt"), data)
	res, store := loadInbox(t, dir, "max_reject_ratio: 0.5\n")
	if got := res.Files[0]; got.Loaded != 2 || got.Rejected != 1 {
		t.Fatalf("loaded %d rejected %d; want 2, 1 (%s)", got.Loaded, got.Rejected, got.Reason)
	}
	if diff := cmp.Diff([]string{"3|invalid UTF-16LE text"}, queryRows(t, store.DB, "SELECT line_no, reason FROM rejects")); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}

	res, _ = loadInbox(t, dir, "sources:\n  - {name: erp, files: \"*\", encoding: gbk}\n")
	want := "the file is utf-16le text (it starts with that byte order mark), but source erp sets encoding gbk; set encoding: auto"
	if got := res.Files[0]; got.Status != "failed" || got.Reason != want {
		t.Errorf("file: %s %q; want failed: %s", got.Status, got.Reason, want)
	}
}
