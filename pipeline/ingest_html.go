package pipeline

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// htmlReader yields the rows of the HTML tables of a page, the way ERPs
// write a "spreadsheet" as HTML under the name .xls: each <tr> a record,
// each <td> or <th> a cell, rows numbered from 1 in the page's order (the
// line of a reject is its row). A cell spanning several columns
// (colspan) is followed by blank cells, so that the cells below keep
// their columns; a cell spanning rows (rowspan) leaves the cells below it
// blank, as continuation lines leave the document's cells (the fill-down
// gives them the value above), never a copy of an amount. Excel's own
// HTML keeps a number's full value in x:num, which is taken over the shown
// text. The page is read as a stream: memory stays bounded by a row.
type htmlReader struct {
	f         *os.File
	z         *html.Tokenizer
	encoding  string
	row       int
	down      map[int]int // column -> rows still covered by a rowspan above
	rowOpen   bool        // the last row ended at the <tr> of the next
	tableDone bool        // the last row ended at the end of its table
	done      bool
}

// metaCharset finds the charset an HTML page declares.
var metaCharset = regexp.MustCompile(`(?i)<meta[^>]*charset\s*=\s*["']?\s*([a-z0-9_:.-]+)`)

// openHTML opens an HTML page whose first bytes are head. Its encoding is
// that of its byte order mark, else the one its source sets, else that of
// its <meta> charset, else detected as for delimited text (UTF-8, GBK or
// GB18030).
func openHTML(path string, head []byte, src Source) (*htmlReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := &htmlReader{f: f, down: map[int]int{}}
	var in io.Reader = bufio.NewReaderSize(f, 1<<20)
	switch enc := utf16Encoding(head); {
	case enc != "":
		r.encoding, in = enc, utf16Text(in, enc)
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		r.encoding = "utf-8"
	default:
		r.encoding = detectEncoding(head)
		if m := metaCharset.FindSubmatch(head); m != nil {
			if _, name := charset.Lookup(string(m[1])); name != "" {
				r.encoding = name
			}
		}
		if src.Encoding != "" && src.Encoding != "auto" {
			r.encoding = src.Encoding
		}
		switch r.encoding {
		case "utf-8", "utf-8-bom":
			r.encoding = "utf-8"
		case "gbk", "gb18030":
			in = transform.NewReader(in, simplifiedchinese.GB18030.NewDecoder())
		default:
			e, _ := charset.Lookup(r.encoding)
			in = transform.NewReader(in, e.NewDecoder())
		}
	}
	r.z = html.NewTokenizer(in)
	return r, nil
}

// Format says how the file is being read, for the files table and the summary.
func (r *htmlReader) Format() string { return "html " + r.encoding }

func (r *htmlReader) Close() error { return r.f.Close() }

// htmlCell is a <td> or <th> as written.
type htmlCell struct {
	text             string
	colspan, rowspan int
}

// Next returns the next row that has cells; io.EOF after the last.
func (r *htmlReader) Next() (record, error) {
	for {
		cells, ok, err := r.nextRow()
		if err != nil {
			return record{}, err
		}
		if !ok {
			return record{}, io.EOF
		}
		r.row++
		if len(cells) == 0 && len(r.down) == 0 {
			continue // <tr></tr>: a blank line
		}
		out := r.layout(cells)
		if r.tableDone {
			clear(r.down)
			r.tableDone = false
		}
		rec := record{Line: r.row, Cells: out, Raw: strings.Join(out, "\t")}
		switch {
		case len(out) > maxHTMLCells:
			rec.Cells, rec.Raw = nil, strings.Join(out[:16], "\t")
			rec.Bad = "a row of more than " + strconv.Itoa(maxHTMLCells) + " cells"
		case strings.ContainsRune(rec.Raw, utf8.RuneError):
			rec.Bad = "invalid " + strings.ToUpper(r.encoding) + " text (is the page in another encoding? set its <meta charset>)"
		}
		return rec, nil
	}
}

// nextRow reads the cells of the next row of the page; false at its end.
func (r *htmlReader) nextRow() ([]htmlCell, bool, error) {
	var cells []htmlCell
	var cur *htmlCell
	var num string // the cell's x:num, Excel's full value of a number
	var text strings.Builder
	inRow := r.rowOpen
	r.rowOpen = false
	skip := 0 // inside <script> or <style>
	closeCell := func() {
		if cur == nil {
			return
		}
		cur.text = strings.Join(strings.Fields(text.String()), " ")
		if n := strings.TrimSpace(num); n != "" {
			cur.text = n
		}
		cells = append(cells, *cur)
		cur, num = nil, ""
		text.Reset()
	}
	for !r.done {
		tt := r.z.Next()
		switch tt {
		case html.ErrorToken:
			r.done = true
			if err := r.z.Err(); !errors.Is(err, io.EOF) {
				return nil, false, err
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := r.z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == html.StartTagToken {
					skip++
				}
			case "tr":
				if inRow {
					closeCell()
					r.rowOpen = true // this <tr> starts the next row
					return cells, true, nil
				}
				inRow = true
			case "td", "th":
				closeCell()
				inRow = true // a cell outside any <tr> starts a row
				cur = &htmlCell{colspan: 1, rowspan: 1}
				for hasAttr {
					var k, v []byte
					k, v, hasAttr = r.z.TagAttr()
					n, err := strconv.Atoi(strings.TrimSpace(string(v)))
					switch string(k) {
					case "colspan":
						if err == nil && n > 1 {
							cur.colspan = min(n, maxHTMLSpan)
						}
					case "rowspan":
						if err == nil && n > 1 {
							cur.rowspan = min(n, maxHTMLSpan)
						}
					case "x:num":
						num = string(v)
					}
				}
			case "br":
				text.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := r.z.TagName()
			switch string(name) {
			case "script", "style":
				skip = max(0, skip-1)
			case "td", "th":
				closeCell()
			case "tr":
				closeCell()
				if inRow {
					return cells, true, nil
				}
			case "table":
				// A rowspan ends with its table: after the layout of the
				// row the table's end closes, if it closes one.
				closeCell()
				if inRow {
					r.tableDone = true
					return cells, true, nil
				}
				clear(r.down)
			}
		case html.TextToken:
			if cur != nil && skip == 0 {
				text.Write(r.z.Text())
			}
		}
	}
	closeCell()
	return cells, inRow, nil
}

// maxHTMLSpan bounds colspan and rowspan, and maxHTMLCells a row: a page
// asking for more is broken, and would take the memory of the machine.
const (
	maxHTMLSpan  = 1000
	maxHTMLCells = 4096
)

// layout places the cells of a row in their columns: a cell spanning
// columns is followed by blank cells, and the columns a rowspan above
// covers are blank.
func (r *htmlReader) layout(cells []htmlCell) []string {
	var out []string
	next := map[int]int{}
	cover := func() {
		for r.down[len(out)] > 0 {
			if n := r.down[len(out)] - 1; n > 0 {
				next[len(out)] = n
			}
			out = append(out, "")
		}
	}
	for _, c := range cells {
		if len(out) > maxHTMLCells {
			break // the row is rejected; its cells need not be placed
		}
		cover()
		at := len(out)
		out = append(out, c.text)
		for range c.colspan - 1 {
			out = append(out, "")
		}
		for k := at; c.rowspan > 1 && k < at+c.colspan; k++ {
			next[k] = c.rowspan - 1
		}
	}
	last := -1
	for col := range r.down {
		last = max(last, col)
	}
	for len(out) <= last {
		cover()
		if len(out) <= last {
			out = append(out, "")
		}
	}
	r.down = next
	return out
}
