package pipeline

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// htmlRows reads a page with the HTML reader: each row's line and cells.
func htmlRows(t *testing.T, page []byte) (string, []string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "page.xls")
	write(t, p, page)
	r, err := openHTML(p, page, Source{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []string
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		row := strings.Join(rec.Cells, "|")
		if rec.Bad != "" {
			row += " BAD " + rec.Bad
		}
		out = append(out, row)
	}
	return r.Format(), out
}

func TestHTMLTableRows(t *testing.T) {
	for _, c := range []struct {
		name, page, format string
		gbk                bool
		want               []string
	}{
		{
			name: "spans, x:num, entities, script",
			page: `<html><head><meta charset="utf-8"><style>td{color:red}</style><script>var a = "<td>x</td>";</script></head><body>
<table><tr><td colspan="3">标题</td></tr>
<tr><th>日期</th><th>客户</th><th>金额</th></tr>
<tr><td rowspan="2">2024-01-02</td><td rowspan=2>甲 &amp; 乙</td><td x:num="1250.5">1,251</td></tr>
<tr><td>&nbsp;3&nbsp;</td></tr>
<tr><td>2024-01-03</td><td>丙<br>公司</td><td x:num>7</td></tr>
</table></body></html>`,
			format: "html utf-8",
			want:   []string{"标题||", "日期|客户|金额", "2024-01-02|甲 & 乙|1250.5", "||3", "2024-01-03|丙 公司|7"},
		},
		{
			name:   "unclosed tags, as old writers leave them",
			page:   "<table><tr><td>a<td>b<tr><td>c<td>d</table><p>after</p><table><tr><td>e</table>",
			format: "html utf-8",
			want:   []string{"a|b", "c|d", "e"},
		},
		{
			name:   "a rowspan ends with its table",
			page:   `<table><tr><td rowspan="3">a</td><td>b</td></tr></table><table><tr><td>c</td><td>d</td></tr></table>`,
			format: "html utf-8",
			want:   []string{"a|b", "c|d"},
		},
		{
			name:   "a rowspan past the last cell of a row",
			page:   `<table><tr><td>a</td><td rowspan="2">b</td></tr><tr><td>c</td></tr><tr><td>d</td></tr></table>`,
			format: "html utf-8",
			want:   []string{"a|b", "c|", "d"},
		},
		{
			name:   "GBK named by meta",
			page:   `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><table><tr><td>客户</td><td>金额</td></tr></table>`,
			format: "html gbk", gbk: true,
			want: []string{"客户|金额"},
		},
		{
			name:   "GBK named by nothing",
			page:   `<table><tr><td>客户</td><td>金额</td></tr></table>`,
			format: "html gbk", gbk: true,
			want: []string{"客户|金额"},
		},
		{
			name:   "UTF-16 with a byte order mark",
			page:   "\ufeff<table><tr><td>客户</td><td>𠮷</td></tr></table>",
			format: "html utf-16le",
			want:   []string{"客户|𠮷"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			page := []byte(c.page)
			switch {
			case c.gbk:
				page = []byte(gbk(c.page))
			case strings.HasPrefix(c.page, "\ufeff"):
				page = utf16Bytes(strings.TrimPrefix(c.page, "\ufeff"), false)
			}
			format, rows := htmlRows(t, page)
			if format != c.format {
				t.Errorf("format %q, want %q", format, c.format)
			}
			if diff := cmp.Diff(c.want, rows); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestXlsByContent loads files named .xls by what they hold: tab text and
// HTML tables load like the CSV they stand for, an .xlsx under the old
// name loads as a workbook; a real BIFF workbook and an Excel 2003 XML
// spreadsheet fail with what to do.
func TestXlsByContent(t *testing.T) {
	const want = "2|XS1|2024-03-01|C1|100.00;3|XS2|2024-03-02|C2|50.00"
	tab := "单据日期\t单据编号\t客户编码\t价税合计\r\n2024-03-01\tXS1\tC1\t100\r\n2024-03-02\tXS2\tC2\t50\r\n"
	page := `<html><body><table><tr><td>单据日期</td><td>单据编号</td><td>客户编码</td><td>价税合计</td></tr>
<tr><td>2024-03-01</td><td>XS1</td><td>C1</td><td>100</td></tr>
<tr><td>2024-03-02</td><td>XS2</td><td>C2</td><td>50</td></tr></table></body></html>`
	book := excelize.NewFile()
	for i, r := range [][]any{{"单据日期", "单据编号", "客户编码", "价税合计"}, {"2024-03-01", "XS1", "C1", 100}, {"2024-03-02", "XS2", "C2", 50}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := book.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	bookPath := filepath.Join(t.TempDir(), "b.xlsx")
	if err := book.SaveAs(bookPath); err != nil {
		t.Fatal(err)
	}
	xlsx, err := os.ReadFile(bookPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		data   []byte
		format string
		reason string // of a failed file
	}{
		{name: "tab text GBK", data: []byte(gbk(tab)), format: "csv gbk tab header@1"},
		{name: "tab text UTF-16", data: utf16Bytes(tab, false), format: "csv utf-16le tab header@1"},
		{name: "tab text UTF-8", data: []byte("\ufeff" + tab), format: "csv utf-8-bom tab header@1"},
		{name: "HTML table", data: []byte(page), format: "html utf-8 header@1"},
		{name: "HTML table UTF-16", data: utf16Bytes(page, false), format: "html utf-16le header@1"},
		{name: "xlsx", data: xlsx, format: "xlsx sheet Sheet1 header@1"},
		{name: "BIFF", data: append([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, make([]byte, 504)...),
			reason: "unsupported file type: .xls (the old Excel format); open it in Excel or WPS and save it as .xlsx or CSV"},
		{name: "XML spreadsheet", data: []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Sheet1"><Table></Table></Worksheet></Workbook>`),
			reason: "unsupported file type: .xls that is an Excel 2003 XML spreadsheet; open it in Excel or WPS and save it as .xlsx or CSV"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "销售.xls"), c.data)
			res, store := loadInbox(t, dir, "max_reject_ratio: 0\n")
			got := res.Files[0]
			if c.reason != "" {
				if got.Status != "failed" || got.Reason != c.reason {
					t.Errorf("file: %s %q; want failed: %s", got.Status, got.Reason, c.reason)
				}
				return
			}
			if got.Status != "loaded" || got.Format != c.format {
				t.Fatalf("file: %s %q as %q; want loaded as %q", got.Status, got.Reason, got.Format, c.format)
			}
			lines := queryRows(t, store.DB, `SELECT line_no, doc_no, doc_date::VARCHAR, customer_code, amount::VARCHAR FROM sales_lines ORDER BY line_no`)
			if diff := cmp.Diff(want, strings.Join(lines, ";")); diff != "" {
				t.Errorf("sales_lines (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzHTMLTable reads any bytes as an HTML page: the reader ends, every
// row it gives has its line and cells (or a reason), and no row is wider
// than maxHTMLCells.
func FuzzHTMLTable(f *testing.F) {
	f.Add([]byte(`<table><tr><td colspan="3">t</td></tr><tr><td rowspan=2>a<td x:num="1">b<tr><td>c</table>`))
	f.Add([]byte("<table><tr><td>a<td>b<tr><td>c<td>d</table><p>after</p><table><tr><td>e</table>"))
	f.Add([]byte(`<html><meta charset=gb2312><script>"<td>"</script><table><tr><th>客户<th>金额</table>`))
	f.Add(utf16Bytes("<table><tr><td>客户</td></tr></table>", true))
	f.Fuzz(func(t *testing.T, page []byte) {
		p := filepath.Join(t.TempDir(), "page.xls")
		write(t, p, page)
		r, err := openHTML(p, page, Source{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		last := 0
		for {
			rec, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				return // a page the tokenizer cannot read fails its file
			}
			if rec.Line <= last {
				t.Fatalf("row %d after row %d", rec.Line, last)
			}
			last = rec.Line
			if len(rec.Cells) > maxHTMLCells+1 || (rec.Bad == "" && len(rec.Cells) == 0 && rec.Raw != "") {
				t.Fatalf("row %d: %d cells, bad %q", rec.Line, len(rec.Cells), rec.Bad)
			}
		}
	})
}

// TestHTMLSourceEncoding: the encoding a source sets wins over a wrong
// <meta charset>; without it, the page's GBK text is rejected, not misread.
func TestHTMLSourceEncoding(t *testing.T) {
	page := gbk(`<html><meta charset="utf-8"><table><tr><td>单据日期</td><td>客户名称</td><td>价税合计</td></tr>` +
		`<tr><td>2024-03-01</td><td>甲公司</td><td>100</td></tr></table></html>`)
	dir := t.TempDir()
	write(t, filepath.Join(dir, "销售.xls"), []byte(page))
	res, store := loadInbox(t, dir, "sources:\n  - {name: erp, files: \"*\", encoding: gbk}\n")
	if got := res.Files[0]; got.Status != "loaded" || got.Format != "html gbk header@1" {
		t.Fatalf("file: %s %q as %q; want loaded as html gbk", got.Status, got.Reason, got.Format)
	}
	if diff := cmp.Diff([]string{"2|甲公司|100.00"}, queryRows(t, store.DB, "SELECT line_no, customer_name, amount::VARCHAR FROM sales_lines")); diff != "" {
		t.Errorf("sales_lines (-want +got):\n%s", diff)
	}
	res, _ = loadInbox(t, dir, "")
	if got := res.Files[0]; got.Status != "failed" || !strings.Contains(got.Reason, "no header row found") {
		t.Errorf("without the source's encoding: %s %q; want the file failed, its header unreadable", got.Status, got.Reason)
	}
}
