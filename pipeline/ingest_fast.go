package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	custsql "custcat/sql"
)

// The fast path: Go reads the head of a delimited export as before
// (encoding, delimiter, header row, column map), then DuckDB's read_csv
// reads and parses the body in parallel (sql/ingest_fast.sql), and the Go
// parser takes only the runs of lines the SQL cannot settle. It takes a
// file only when both read it the same way: UTF-8 (GBK and GB18030 are
// decoded to a UTF-8 temp file first, in parallel), no quote character,
// one line end throughout, no blank line inside, no NUL, no byte order
// mark or replacement character inside. Any other file, or one where
// read_csv returns other rows than the lines counted here, is read by the
// Go parser alone.

// fastNull is the byte read_csv reads as NULL: one a plain file does not hold,
// so that an empty cell stays ” and only the cells a short line lacks are NULL.
const fastNull = "\x01"

// fastSpareColumns is how many fields past the header's a line may have
// (blank ones are allowed, as in the Go parser); more send the file to Go.
const fastSpareColumns = 4

// fastPlan is how the fast path reads one export.
type fastPlan struct {
	text   string // the UTF-8 file read_csv reads: the export, or its decoded copy
	temp   bool   // text is a temp file to remove
	format string // as FileResult.Format
	delim  byte
	parser lineParser
	lines  int  // physical lines in the file
	rows   int  // the lines below the header that read_csv returns
	spaces bool // the text holds a space character other than ' '
}

func (f *fastPlan) Close() {
	if f.temp {
		os.Remove(f.text)
	}
}

// planFast says how the fast path reads the export, or nil when it cannot.
func planFast(ctx context.Context, path string, src Source) (*fastPlan, error) {
	name := strings.ToLower(filepath.Base(path))
	if !strings.HasSuffix(name, ".csv") && !strings.HasSuffix(name, ".txt") && !strings.HasSuffix(name, ".tsv") {
		return nil, nil
	}
	if strings.HasSuffix(name, ".tsv") && src.Delimiter == "auto" {
		src.Delimiter = "tab"
	}
	if src.Header == "none" {
		return nil, nil
	}
	r, err := openCSV(path, src)
	if err != nil {
		return nil, nil // the Go parser says what is wrong
	}
	p := lineParser{src: src, headerAt: -1}
	var head []record
	for len(head) < headerSearchRows {
		rec, err := r.Next()
		if err != nil {
			break
		}
		head = append(head, rec)
	}
	enc, delim, format := r.encoding, r.delim, r.Format()
	r.Close()
	if delim == ' ' || len(head) == 0 || p.findHeader(head) != nil || p.headerAt < 0 {
		return nil, nil
	}
	plan := &fastPlan{text: path, delim: delim, parser: p, format: fmt.Sprintf("%s header@%d", format, p.headerLine)}
	var check plainCheck
	switch enc {
	case "utf-8", "utf-8-bom":
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		_, err = io.CopyBuffer(&check, f, make([]byte, 4<<20))
		f.Close()
		if errors.Is(err, errNotPlain) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
	case "gbk", "gb18030":
		text, err := decodeGB18030(ctx, path, &check)
		if errors.Is(err, errNotPlain) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		plan.text, plan.temp = text, true
	default:
		return nil, nil
	}
	lines, trailing, ok := check.result()
	if !ok {
		plan.Close()
		return nil, nil
	}
	plan.spaces = check.spaces(delim)
	plan.lines = lines
	plan.rows = lines - p.headerLine - trailing
	return plan, nil
}

// loadFast loads the body of the export through read_csv and SQL. It
// returns false, having staged and rejected nothing, when read_csv did not
// return one row per line: the file is then for the Go parser.
func loadFast(ctx context.Context, c *sql.Conn, plan *fastPlan, fl *fileLoader) (bool, error) {
	p := &plan.parser
	trim := "FastTrimPlain"
	if plan.spaces {
		trim = "FastTrim"
	}
	if _, err := c.ExecContext(ctx, custsql.Query(trim)); err != nil {
		return false, err
	}
	stmt := strings.Replace(custsql.Query("FastLines"), "/*cells*/", fastCells(p, plan.delim), 1)
	if _, err := c.ExecContext(ctx, stmt, plan.text, string(plan.delim), p.headerLine, fastNull, trimSet,
		p.cols[fDocNo] >= 0, p.cols[fCustomerCode] >= 0); err != nil {
		return false, fmt.Errorf("read lines: %w", err)
	}
	defer c.ExecContext(context.WithoutCancel(ctx), custsql.Query("FastDrop"))
	var rows, records int
	if err := c.QueryRowContext(ctx, custsql.Query("FastCount")).Scan(&rows, &records); err != nil {
		return false, err
	}
	if rows != plan.rows || records == 0 {
		return false, nil // read_csv skipped a line (or there is none): the Go parser says why
	}
	if _, err := c.ExecContext(ctx, custsql.Query("FastSlowSegments")); err != nil {
		return false, fmt.Errorf("find slow segments: %w", err)
	}
	first := p.headerLine + 1 // the line of row 0
	if _, err := c.ExecContext(ctx, custsql.Query("FastStage"), fl.res.FileID, fl.res.Ledger, first); err != nil {
		return false, fmt.Errorf("stage lines: %w", err)
	}
	slow, err := slowLines(ctx, c, first)
	if err != nil {
		return false, err
	}
	fl.res.Read = int64(records - len(slow))
	if len(slow) > 0 {
		if err := parseSlowLines(ctx, plan, fl, slow); err != nil {
			return false, err
		}
	}
	return true, nil
}

// slowLine is a line for the Go parser and the segment it belongs to.
type slowLine struct {
	line, seg int
}

func slowLines(ctx context.Context, c *sql.Conn, first int) ([]slowLine, error) {
	rows, err := c.QueryContext(ctx, custsql.Query("FastSlowLines"), first)
	if err != nil {
		return nil, fmt.Errorf("slow lines: %w", err)
	}
	defer rows.Close()
	var out []slowLine
	for rows.Next() {
		var s slowLine
		if err := rows.Scan(&s.line, &s.seg); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// parseSlowLines reads the lines of the slow segments from the text and
// gives them to the Go parser in order; each segment starts without a
// line above (it begins at an anchor, a line that loads whatever is above
// it, or at the top of the body).
func parseSlowLines(ctx context.Context, plan *fastPlan, fl *fileLoader, slow []slowLine) error {
	f, err := os.Open(plan.text)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<20))
	sc.Buffer(make([]byte, 0, 1<<20), maxLineBytes)
	sc.Split(splitLines)
	n, seg := 0, -2
	for _, s := range slow {
		for n < s.line && sc.Scan() {
			n++
		}
		if n != s.line {
			if err := sc.Err(); err != nil {
				return err
			}
			return fmt.Errorf("line %d: the file ended at line %d", s.line, n)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.seg != seg {
			seg = s.seg
			fl.p.reset()
		}
		text := sc.Text()
		rec := record{Line: n, Raw: text, Cells: splitFields(text, plan.delim)}
		if err := fl.handle(rec); err != nil {
			return err
		}
	}
	return nil
}

// trimSet is every character Go's strings.TrimSpace trims, for SQL's trim.
var trimSet = func() string {
	var b strings.Builder
	for r := rune(0); r <= 0x3000; r++ {
		if unicode.IsSpace(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}()

// fastCells writes the read_csv projection of FastLines for the header's
// width and column map: only column names c1..cN, never a value.
func fastCells(p *lineParser, delim byte) string {
	n := p.width + fastSpareColumns
	col := func(i int) string { return fmt.Sprintf("c%d", i+1) }
	var defs, blank, extra, suspect []string
	for i := range n {
		defs = append(defs, fmt.Sprintf("'%s': 'VARCHAR'", col(i)))
		blank = append(blank, fmt.Sprintf("coalesce(go_trim(%s, $5), '') = ''", col(i)))
		if i >= p.width {
			extra = append(extra, fmt.Sprintf("coalesce(go_trim(%s, $5), '') = ''", col(i)))
		}
		if i < 4 {
			// A superset of isSummaryRow: 合计 小计 总计 累计, the letters of "total"
			// in order, or full-width forms.
			suspect = append(suspect, fmt.Sprintf(`regexp_matches(%s, '计|[Tt].*[Oo].*[Tt].*[Aa].*[Ll]|[\x{FF01}-\x{FF5E}]')`, col(i)))
		}
	}
	// A line of spaces only is blank; with a tab delimiter, so is a line of tabs.
	blankWith := fmt.Sprintf("c2 IS NULL OR %t", delim == '\t')
	var sel []string
	for f, name := range []string{"c_date", "c_doc", "c_code", "c_name", "c_item_code", "c_item_name", "c_category", "c_quantity", "c_unit_price", "c_amount"} {
		if i := p.cols[fieldOrder[f]]; i >= 0 {
			sel = append(sel, fmt.Sprintf("coalesce(%s, '') AS %s", col(i), name))
		} else {
			sel = append(sel, "'' AS "+name)
		}
	}
	return fmt.Sprintf(`SELECT CASE WHEN coalesce(go_trim(c1, $5), '') <> '' THEN false ELSE (%s) AND (%s) END AS is_blank,
           coalesce(%s IS NOT NULL AND %s AND NOT (%s), false) AS shape_ok,
           %s
    FROM read_csv($1, columns = {%s}, delim = $2, skip = $3, nullstr = $4, quote = '', escape = '',
                  header = false, auto_detect = false, null_padding = true, ignore_errors = true)`,
		strings.Join(blank, " AND "), blankWith,
		col(p.width-1), strings.Join(append(extra, "true"), " AND "), strings.Join(suspect, " OR "),
		strings.Join(sel, ",\n           "), strings.Join(defs, ", "))
}

// fieldOrder maps the cells of FastLines to the fields of the column map.
var fieldOrder = []int{fDate, fDocNo, fCustomerCode, fCustomerName, fItemCode, fItemName, fCategory, fQuantity, fUnitPrice, fAmount}

// errNotPlain stops the reading of a file the fast path cannot take.
var errNotPlain = errors.New("not a plain text export")

// plainCheck reads a UTF-8 text and says whether read_csv and the Go
// parser see the same lines in it: no NUL, quote or fastNull byte, no byte
// order mark but at the start, no U+FFFD (a byte the decoder could not
// read), one line end throughout, blank lines only at the end.
type plainCheck struct {
	n        int64  // bytes seen
	tail     []byte // the last bytes seen, for patterns across writes
	lf, cr   int    // line feeds and carriage returns
	crlf     int    // CR LF pairs
	bad      bool
	tab      bool  // a tab seen
	space    bool  // another space character than ' ' and tab seen
	empty    int64 // offset of the first empty line, or 0
	lastText int64 // offset after the last byte that is not a line end
}

func (c *plainCheck) Write(b []byte) (int, error) {
	if c.bad {
		return 0, errNotPlain
	}
	if len(b) == 0 {
		return 0, nil
	}
	if bytes.IndexByte(b, 0) >= 0 || bytes.IndexByte(b, '"') >= 0 || bytes.IndexByte(b, fastNull[0]) >= 0 {
		c.bad = true
	}
	// Patterns that may straddle two writes are looked for in tail+b.
	w := append(c.tail, b...)
	base := c.n - int64(len(c.tail))
	for i := 0; ; {
		j := bytes.IndexByte(w[i:], 0xef)
		if j < 0 || i+j+2 >= len(w) {
			break
		}
		i += j
		if (w[i+1] == 0xbb && w[i+2] == 0xbf && base+int64(i) > 0) || (w[i+1] == 0xbf && w[i+2] == 0xbd) {
			c.bad = true
			break
		}
		i++
	}
	if !c.tab && bytes.IndexByte(b, '\t') >= 0 {
		c.tab = true
	}
	if !c.space && hasSpace(w) {
		c.space = true
	}
	c.lf += bytes.Count(b, []byte{'\n'})
	c.cr += bytes.Count(b, []byte{'\r'})
	c.crlf += bytes.Count(b, []byte("\r\n"))
	if len(c.tail) > 0 && c.tail[len(c.tail)-1] == '\r' && b[0] == '\n' {
		c.crlf++
	}
	if c.empty == 0 {
		if c.n == 0 && (b[0] == '\n' || b[0] == '\r') {
			c.bad = true // the first line is empty
		}
		for _, pat := range []string{"\n\n", "\n\r\n"} {
			if i := bytes.Index(w, []byte(pat)); i >= 0 && (c.empty == 0 || base+int64(i)+1 < c.empty) {
				c.empty = base + int64(i) + 1
			}
		}
	}
	if i := bytes.LastIndexFunc(b, func(r rune) bool { return r != '\n' && r != '\r' }); i >= 0 {
		c.lastText = c.n + int64(i) + 1
	}
	c.n += int64(len(b))
	if len(w) >= 2 {
		c.tail = append(c.tail[:0], w[len(w)-2:]...)
	} else {
		c.tail = append(c.tail[:0], w...)
	}
	return len(b), nil
}

// spaces says whether the text holds a character Go's TrimSpace trims
// other than ' ' and line ends (a tab counts unless it is the delimiter).
func (c *plainCheck) spaces(delim byte) bool {
	return c.space || c.tab && delim != '\t'
}

// hasSpace finds \v, \f and the non-ASCII space characters in UTF-8.
func hasSpace(b []byte) bool {
	if bytes.IndexByte(b, '\v') >= 0 || bytes.IndexByte(b, '\f') >= 0 {
		return true
	}
	for _, lead := range []byte{0xc2, 0xe1, 0xe2, 0xe3} {
		for i := 0; ; {
			j := bytes.IndexByte(b[i:], lead)
			if j < 0 {
				break
			}
			i += j
			if i+1 < len(b) {
				r, _ := utf8.DecodeRune(b[i:])
				if unicode.IsSpace(r) {
					return true
				}
			}
			i++
		}
	}
	return false
}

// result returns the number of lines, the blank lines at the end, and
// whether the text is plain.
func (c *plainCheck) result() (lines, trailing int, ok bool) {
	if c.bad || c.n == 0 {
		return 0, 0, false
	}
	// One line end throughout: all CR LF, or no CR at all.
	if c.cr != 0 && (c.cr != c.crlf || c.lf != c.crlf) {
		return 0, 0, false
	}
	if c.empty != 0 && c.empty < c.lastText {
		return 0, 0, false // a blank line with text below it
	}
	if c.lastText == 0 {
		return 0, 0, false // nothing but line ends
	}
	lines = c.lf
	if c.tail[len(c.tail)-1] != '\n' {
		lines++ // the last line has no line end
	}
	return lines, c.trailingEnds(), true
}

// trailingEnds counts the empty lines after the last line of text: the
// line ends after it, less the one that ends that line.
func (c *plainCheck) trailingEnds() int {
	after := c.n - c.lastText // bytes of line ends at the end
	if c.cr != 0 {
		after /= 2
	}
	if after == 0 {
		return 0
	}
	return int(after) - 1
}

// decodeGB18030 decodes a GBK or GB18030 export into a UTF-8 temp file,
// blocks of lines in parallel (a GB18030 character never holds the byte of
// a line feed, so a block cut after one decodes as in the whole file), and
// feeds the text to check as it is written.
func decodeGB18030(ctx context.Context, path string, check io.Writer) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.CreateTemp("", "custcat-utf8-*.csv")
	if err != nil {
		return "", fmt.Errorf("temp file for the decoded text: %w", err)
	}
	fail := func(err error) (string, error) {
		out.Close()
		os.Remove(out.Name())
		return "", err
	}
	type block struct {
		src  []byte
		done chan []byte
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan block, workers)
	order := make(chan block, 2*workers)
	for range workers {
		go func() {
			for b := range jobs {
				text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b.src)
				if err != nil {
					text = nil // cannot happen: the decoder replaces what it cannot read
				}
				b.done <- text
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		var carry []byte
		for {
			if ctx.Err() != nil {
				readErr <- ctx.Err()
				return
			}
			buf := make([]byte, len(carry)+4<<20)
			copy(buf, carry)
			n, err := io.ReadFull(in, buf[len(carry):])
			buf = buf[:len(carry)+n]
			end := len(buf)
			last := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
			if err != nil && !last {
				readErr <- err
				return
			}
			if !last {
				end = bytes.LastIndexByte(buf, '\n') + 1
				if end == 0 {
					end = len(buf) // a line of more than a block: decode it whole below
					if len(buf) > maxLineBytes {
						readErr <- errLineTooLong
						return
					}
					carry = buf
					continue
				}
			}
			carry = append([]byte(nil), buf[end:]...)
			b := block{src: buf[:end], done: make(chan []byte, 1)}
			jobs <- b
			order <- b
			if last {
				readErr <- nil
				return
			}
		}
	}()
	w := io.MultiWriter(out, check)
	var werr error
	for b := range order {
		text := <-b.done
		if werr == nil {
			_, werr = w.Write(text)
		}
	}
	if err := <-readErr; err != nil {
		return fail(err)
	}
	if werr != nil {
		return fail(werr)
	}
	if err := out.Close(); err != nil {
		return fail(err)
	}
	return out.Name(), nil
}
