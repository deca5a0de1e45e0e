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
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	custsql "custcat/sql"
)

// The fast path: Go reads the head of a delimited export as before
// (encoding, delimiter, header row, column map), then reads the whole file
// once to check it and to write its body for read_csv (segmentWriter), and
// DuckDB's read_csv reads and parses that body in parallel, settling the
// lines straight into sales_lines (sql/ingest_fast.sql); the Go parser
// takes only the runs of lines the SQL cannot settle. It takes a file only
// when both read it the same way: UTF-8, GBK or GB18030 (decoded in
// parallel), no quote character, one line end throughout, no blank line
// inside, no NUL, no byte order mark or replacement character inside. Any
// other file, or one where read_csv returns other rows than the lines
// counted here, is read by the Go parser alone.

// fastNull is the byte read_csv reads as NULL: one a plain file does not hold,
// so that an empty cell stays empty and only the cells a short line lacks are NULL.
const fastNull = "\x01"

// fastSpareColumns is how many fields past the header's a line may have
// (blank ones are allowed, as in the Go parser); more send the file to Go.
const fastSpareColumns = 4

// fastRepeatPart is how many lines FastRepeats groups at a time: the
// groups of 10 million lines at once did not fit in 512 MB.
const fastRepeatPart = 2_000_000

// fastPlan is how the fast path reads one export.
type fastPlan struct {
	path   string // the export
	gb     bool   // the export is GBK or GB18030
	body   string // the temp file of the body that read_csv reads (segmentWriter)
	format string // as FileResult.Format
	delim  byte
	parser lineParser
	lines  int     // physical lines in the file
	rows   int     // the lines below the header that read_csv returns
	heads  []int32 // the head lines, in order (segmentWriter)
	starts []int64 // where each head line starts in the export, for UTF-8
	bodyAt int64   // where the body starts in the export, for UTF-8
	spaces bool    // the text holds a space character other than ' '
}

func (f *fastPlan) Close() {
	if f.body != "" {
		os.Remove(f.body)
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
	plan := &fastPlan{path: path, delim: delim, parser: p, format: fmt.Sprintf("%s header@%d", format, p.headerLine)}
	// Where the body cannot be written (no TMPDIR, no room in it), the Go
	// parser reads the file: slower, but it needs no temp space.
	out, err := os.CreateTemp("", "custcat-body-*.csv")
	if err != nil {
		return nil, nil
	}
	plan.body = out.Name()
	fail := func(err error) (*fastPlan, error) {
		out.Close()
		plan.Close()
		if errors.Is(err, errNotPlain) {
			return nil, nil
		}
		return nil, err
	}
	// The check and the body writer each take one core.
	var check plainCheck
	seg := newSegmentWriter(out, &p, delim)
	async := newAsyncWriter(seg)
	w := io.MultiWriter(&check, async)
	switch enc {
	case "utf-8", "utf-8-bom":
		err = readBlocks(path, w)
	case "gbk", "gb18030":
		err = decodeGB18030(ctx, path, w)
		plan.gb = true
	default:
		err = errNotPlain
	}
	if err := async.Close(); err != nil {
		return fail(errNotPlain) // not plain, or the body could not be written
	}
	if err != nil {
		return fail(err) // the export could not be read
	}
	if err := seg.Close(); err != nil {
		return fail(errNotPlain)
	}
	if err := out.Close(); err != nil {
		return fail(errNotPlain)
	}
	lines, trailing, ok := check.result()
	if !ok {
		return fail(errNotPlain)
	}
	plan.spaces = check.spaces(delim)
	plan.lines = lines
	plan.rows = lines - p.headerLine - trailing
	plan.heads, plan.starts, plan.bodyAt = seg.heads, seg.starts, seg.bodyAt
	if seg.rows != plan.rows {
		return fail(errNotPlain) // cannot happen: the check and the writer count alike
	}
	return plan, nil
}

// loadFast reads the body of the export through read_csv and SQL and
// gives the lines the SQL cannot settle, and those whose values repeat in
// the file, to the Go parser; insertFast then loads the others. It returns
// false, having staged and rejected nothing, when read_csv did not return
// one row per line: the file is then for the Go parser. The caller drops
// the temp tables (FastDrop).
func loadFast(ctx context.Context, c *sql.Conn, plan *fastPlan, fl *fileLoader) (bool, error) {
	trim := "FastTrimPlain"
	if plan.spaces {
		trim = "FastTrim"
	}
	if _, err := c.ExecContext(ctx, custsql.Query(trim)); err != nil {
		return false, err
	}
	// fast_lines is only grouped and joined: the order of its rows does
	// not matter, and not keeping it saves a fifth of FastScan.
	if _, err := c.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
		return false, err
	}
	_, err := c.ExecContext(ctx, plan.statement("FastScan"), append(plan.args(), fl.res.FileID)...)
	if _, resetErr := c.ExecContext(ctx, "RESET preserve_insertion_order"); err == nil {
		err = resetErr
	}
	if err != nil {
		return false, fmt.Errorf("read lines: %w", err)
	}
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
	given, err := parseSegments(ctx, c, plan, fl, "FastSlowList")
	if err != nil {
		return false, err
	}
	// The lines just parsed are staged now, so that FastRepeats sees them.
	if err := fl.sink.flush(); err != nil {
		return false, err
	}
	if _, err := c.ExecContext(ctx, custsql.Query("FastRepeatTable")); err != nil {
		return false, err
	}
	parts := max(1, records/fastRepeatPart)
	for part := range parts {
		if _, err := c.ExecContext(ctx, custsql.Query("FastRepeats"), fl.res.FileID, parts, part); err != nil {
			return false, fmt.Errorf("find repeated lines: %w", err)
		}
	}
	more, err := parseSegments(ctx, c, plan, fl, "FastRepeatList")
	if err != nil {
		return false, err
	}
	if _, err := c.ExecContext(ctx, custsql.Query("FastRepeatSlow")); err != nil {
		return false, err
	}
	fl.res.Read += int64(records - given - more)
	return true, nil
}

// insertFast loads the lines loadFast settled into sales_lines, once the
// file is known to load.
func insertFast(ctx context.Context, c *sql.Conn, plan *fastPlan, res *FileResult) error {
	args := append(plan.args()[:4], res.FileID, res.Ledger) // FastValues has no use for $5 and $6
	if _, err := c.ExecContext(ctx, plan.statement("FastInsert"), args...); err != nil {
		return fmt.Errorf("load lines: %w", err)
	}
	return nil
}

// statement returns a statement of sql/ingest_fast.sql over the settled
// lines of the plan's file.
func (f *fastPlan) statement(name string) string {
	body := "FastSettled"
	if name == "FastInsert" {
		body = "FastValues"
	}
	settled := strings.Replace(custsql.Query(body), "/*cells*/", fastCells(&f.parser, f.delim), 1)
	return strings.Replace(custsql.Query(name), "/*settled*/", settled, 1)
}

// args are the parameters of FastSettled.
func (f *fastPlan) args() []any {
	p := &f.parser
	return []any{f.body, string(f.delim), fastNull, trimSet, p.cols[fDocNo] >= 0, p.cols[fCustomerCode] >= 0}
}

// parseSegments gives the segments that query lists to the Go parser and
// returns how many lines it gave.
func parseSegments(ctx context.Context, c *sql.Conn, plan *fastPlan, fl *fileLoader, query string) (int, error) {
	slow, err := slowSegments(ctx, c, query)
	if err != nil {
		return 0, err
	}
	return parseSlowLines(ctx, plan, fl, slow)
}

// slowSegment is a segment for the Go parser: its head (-1 for the lines
// above the first head), and whether the head is an anchor.
type slowSegment struct {
	head   int
	anchor bool
}

func slowSegments(ctx context.Context, c *sql.Conn, query string) ([]slowSegment, error) {
	rows, err := c.QueryContext(ctx, custsql.Query(query))
	if err != nil {
		return nil, fmt.Errorf("slow segments: %w", err)
	}
	defer rows.Close()
	var out []slowSegment
	for rows.Next() {
		var s slowSegment
		var bad bool
		if err := rows.Scan(&s.head, &bad); err != nil {
			return nil, err
		}
		s.anchor = !bad && s.head >= 0
		out = append(out, s)
	}
	return out, rows.Err()
}

// parseSlowLines reads the lines of the slow segments from the export and
// gives them to the Go parser in order, and returns how many it gave. The
// parser starts afresh where the lines it is given do not follow on from
// the last ones, and at an anchor (a line that loads whatever is above
// it), as the segments of the SQL did before the file was cut in heads.
func parseSlowLines(ctx context.Context, plan *fastPlan, fl *fileLoader, slow []slowSegment) (int, error) {
	if len(slow) == 0 {
		return 0, nil
	}
	f, err := os.Open(plan.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var sc *bufio.Scanner
	seek := func(at int64) error {
		if _, err := f.Seek(at, io.SeekStart); err != nil {
			return err
		}
		sc = bufio.NewScanner(bufio.NewReaderSize(f, 1<<20))
		sc.Buffer(make([]byte, 0, 1<<20), maxLineBytes)
		sc.Split(splitLines)
		return nil
	}
	if err := seek(0); err != nil {
		return 0, err
	}
	first, last := plan.parser.headerLine+1, plan.parser.headerLine+plan.rows
	n, prev, given := 0, -1, 0
	for _, s := range slow {
		// A segment runs from its head (or the top of the body) to the
		// line above the next head (or the end).
		from, to, at, next := first, last, plan.bodyAt, 0
		if s.head >= 0 {
			i, _ := slices.BinarySearch(plan.heads, int32(s.head))
			from, next = s.head, i+1
			if !plan.gb {
				at = plan.starts[i]
			}
		}
		if next < len(plan.heads) {
			to = int(plan.heads[next]) - 1
		}
		// In a UTF-8 export the segment's start is known: skip to it
		// rather than read the lines before it.
		if !plan.gb && from > n+1024 {
			if err := seek(at); err != nil {
				return given, err
			}
			n = from - 1
		}
		for line := from; line <= to; line++ {
			for n < line && sc.Scan() {
				n++
			}
			if n != line {
				if err := sc.Err(); err != nil {
					return given, err
				}
				return given, fmt.Errorf("line %d: the file ended at line %d", line, n)
			}
			if err := ctx.Err(); err != nil {
				return given, err
			}
			raw := sc.Bytes()
			if plan.gb {
				if raw, err = simplifiedchinese.GB18030.NewDecoder().Bytes(raw); err != nil {
					return given, err
				}
			}
			if sqlBlank(raw, plan.delim) {
				prev = line
				continue // not a record, as in the SQL
			}
			if line != prev+1 || line == s.head && s.anchor {
				fl.p.reset()
			}
			prev = line
			text := string(raw)
			rec := record{Line: line, Raw: text, Cells: splitFields(text, plan.delim)}
			if err := fl.handle(rec); err != nil {
				return given, err
			}
			given++
		}
	}
	return given, nil
}

// sqlBlank says whether a line is blank as the SQL reads it: nothing but
// spaces, in one field or, with a tab delimiter, in any number.
func sqlBlank(line []byte, delim byte) bool {
	return len(bytes.TrimSpace(line)) == 0 && (delim == '\t' || bytes.IndexByte(line, delim) < 0)
}

// segmentWriter writes the body of an export (the lines below the header,
// without the empty lines at the end) for read_csv, each line with four
// leading fields: its line number, how far above it its head is (the last
// line at or above it whose document cells are not all blank; -1 above the
// first), how far above the head the head before it is, and 1 for a
// continuation line, one whose document cells are
// all blank, which it fills with the raw cells of the head. An export
// without document numbers has no continuation lines: each record is a
// head. See sql/ingest_fast.sql.
type segmentWriter struct {
	w       *bufio.Writer
	delim   byte
	skip    int   // the lines above the body
	doc     []int // the cells of the date, document number, customer code and name
	hasDoc  bool
	line    int    // the lines begun
	rows    int    // the lines written
	empty   int    // empty lines held back: written only when text follows
	partial []byte // the start of a line the last write cut
	head    int
	prev    int
	cells   [][]byte // the document cells of the head
	ends    []int    // the ends of the first cells of the line (split)
	heads   []int32  // the head lines
	starts  []int64  // the offset of each head line in the text
	bodyAt  int64    // the offset of the first line of the body
	at      int64    // the offset of the line being read
	buf     []byte
}

func newSegmentWriter(w io.Writer, p *lineParser, delim byte) *segmentWriter {
	s := &segmentWriter{w: bufio.NewWriterSize(w, 1<<20), delim: delim, skip: p.headerLine,
		hasDoc: p.cols[fDocNo] >= 0, head: -1, prev: -1}
	for _, f := range []int{fDate, fDocNo, fCustomerCode, fCustomerName} {
		if i := p.cols[f]; i >= 0 {
			s.doc = append(s.doc, i)
		}
	}
	s.cells = make([][]byte, len(s.doc))
	if len(s.doc) > 0 {
		s.ends = make([]int, slices.Max(s.doc)+1)
	}
	return s
}

func (s *segmentWriter) Write(b []byte) (int, error) {
	n := len(b)
	if len(s.partial) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.partial = append(s.partial, b...)
			return n, nil
		}
		s.partial = append(s.partial, b[:i]...)
		if err := s.lineDone(s.partial); err != nil {
			return 0, err
		}
		s.partial = s.partial[:0]
		b = b[i+1:]
	}
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			s.partial = append(s.partial, b...)
			return n, nil
		}
		if err := s.lineDone(b[:i]); err != nil {
			return 0, err
		}
		b = b[i+1:]
	}
}

// Close writes the last line, if it has no line end, and flushes.
func (s *segmentWriter) Close() error {
	if len(s.partial) > 0 {
		if err := s.lineDone(s.partial); err != nil {
			return err
		}
	}
	return s.w.Flush()
}

func (s *segmentWriter) lineDone(line []byte) error {
	s.line++
	start := s.at
	s.at += int64(len(line)) + 1
	if s.line <= s.skip {
		s.bodyAt = s.at
		return nil
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) == 0 {
		s.empty++ // an empty line: the end of the file, or not a plain file
		return nil
	}
	if s.empty > 0 {
		return errNotPlain // an empty line with text below it
	}
	cont := false
	if !sqlBlank(line, s.delim) {
		s.split(line)
		cont = s.hasDoc && s.blankDoc(line)
		if !cont {
			s.heads = append(s.heads, int32(s.line))
			s.starts = append(s.starts, start)
			s.prev, s.head = s.head, s.line
			for k, i := range s.doc {
				s.cells[k] = append(s.cells[k][:0], s.cell(line, i)...)
			}
		}
	}
	b := strconv.AppendInt(s.buf[:0], int64(s.line), 10)
	b = append(b, s.delim)
	b = strconv.AppendInt(b, int64(s.line-s.head), 10)
	b = append(b, s.delim)
	b = strconv.AppendInt(b, int64(s.head-s.prev), 10)
	b = append(b, s.delim)
	if cont {
		b = append(b, '1', s.delim)
		b = s.fill(b, line)
	} else {
		b = append(b, '0', s.delim)
		b = append(b, line...)
	}
	b = append(b, '\n')
	s.buf = b
	s.rows++
	_, err := s.w.Write(b)
	return err
}

// split finds the first cells of a line, up to the last document cell:
// s.ends[i] is the offset after cell i, or -1 when the line has fewer.
func (s *segmentWriter) split(line []byte) {
	at := 0
	for i := range s.ends {
		if at < 0 {
			s.ends[i] = -1
			continue
		}
		j := bytes.IndexByte(line[at:], s.delim)
		if j < 0 {
			s.ends[i] = len(line)
			at = -1
			continue
		}
		s.ends[i] = at + j
		at += j + 1
	}
}

// cell returns cell i of the line split last (nil when it has fewer).
func (s *segmentWriter) cell(line []byte, i int) []byte {
	if s.ends[i] < 0 {
		return nil
	}
	start := 0
	if i > 0 {
		start = s.ends[i-1] + 1
	}
	return line[start:s.ends[i]]
}

// blankDoc says whether the document cells of the line split last are all blank.
func (s *segmentWriter) blankDoc(line []byte) bool {
	for _, i := range s.doc {
		if len(bytes.TrimSpace(s.cell(line, i))) > 0 {
			return false
		}
	}
	return true
}

// fill appends the line split last with its document cells replaced by the
// head's. A line too short to hold them all is appended as it is: it
// cannot settle.
func (s *segmentWriter) fill(b, line []byte) []byte {
	last := len(s.ends) - 1
	if s.head < 0 || s.ends[last] < 0 {
		return append(b, line...)
	}
	for i := 0; i <= last; i++ {
		if k := slices.Index(s.doc, i); k >= 0 {
			b = append(b, s.cells[k]...)
		} else {
			b = append(b, s.cell(line, i)...)
		}
		if i < last {
			b = append(b, s.delim)
		}
	}
	return append(b, line[s.ends[last]:]...)
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
		blank = append(blank, fmt.Sprintf("coalesce(go_trim(%s, $4), '') = ''", col(i)))
		if i >= p.width {
			extra = append(extra, fmt.Sprintf("coalesce(go_trim(%s, $4), '') = ''", col(i)))
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
	return fmt.Sprintf(`SELECT ln, ln - up AS hseg, ln - up - back AS pseg, cont = 1 AS cont,
           CASE WHEN coalesce(go_trim(c1, $4), '') <> '' THEN false ELSE (%s) AND (%s) END AS is_blank,
           coalesce(%s IS NOT NULL AND %s AND NOT (%s), false) AS shape_ok,
           %s
    FROM read_csv($1, columns = {'ln': 'INTEGER', 'up': 'INTEGER', 'back': 'INTEGER', 'cont': 'INTEGER', %s}, delim = $2, nullstr = $3, quote = '', escape = '',
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

// readBlocks writes a file to w in blocks of 4 MiB, each a new slice (an
// asyncWriter keeps them).
func readBlocks(path string, w io.Writer) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for {
		buf := make([]byte, 4<<20)
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// asyncWriter writes to w in a goroutine of its own. It keeps the slices
// it is given, which the caller must not change afterwards; Close waits
// for the writes and returns the first error.
type asyncWriter struct {
	blocks chan []byte
	done   chan error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{blocks: make(chan []byte, 4), done: make(chan error, 1)}
	go func() {
		var err error
		for b := range a.blocks {
			if err == nil {
				_, err = w.Write(b)
			}
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(b []byte) (int, error) {
	a.blocks <- b
	return len(b), nil
}

func (a *asyncWriter) Close() error {
	close(a.blocks)
	return <-a.done
}

// decodeGB18030 decodes a GBK or GB18030 export to w as UTF-8, blocks of
// lines in parallel (a GB18030 character never holds the byte of a line
// feed, so a block cut after one decodes as in the whole file).
func decodeGB18030(ctx context.Context, path string, w io.Writer) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
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
	var werr error
	for b := range order {
		text := <-b.done
		if werr == nil {
			_, werr = w.Write(text)
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	return werr
}
