package pipeline

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

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
	if delim == ' ' || len(head) == 0 || p.findHeader(head) != nil || p.headerAt < 0 || !p.fastTakes() {
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
		err = readBlocks(path, w, async.buffer)
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
	macros := []string{trim, "FastMacros"}
	if !plan.parser.fastNumbers() {
		macros = append(macros, "FastWholeNumbers")
	}
	for _, q := range macros {
		if _, err := c.ExecContext(ctx, custsql.Query(q)); err != nil {
			return false, err
		}
	}
	// fast_lines is only grouped and joined: the order of its rows does
	// not matter, and not keeping it saves a fifth of FastScan.
	err := unordered(ctx, c, func() error {
		_, err := c.ExecContext(ctx, plan.statement("FastScan"), append(plan.args(), fl.res.FileID)...)
		return err
	})
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
// file is known to load. The rows need not keep the file's order: no
// statement reads sales_lines in its stored order (each orders by file
// and line where order matters), and letting the threads insert as they
// go took the 10M-line run from 51.9 to 48.9 s (the medians of four runs).
func insertFast(ctx context.Context, c *sql.Conn, plan *fastPlan, res *FileResult) error {
	args := append(plan.args()[:4], res.FileID, res.Ledger) // FastValues has no use for $5 and $6
	err := unordered(ctx, c, func() error {
		_, err := c.ExecContext(ctx, plan.statement("FastInsert"), args...)
		return err
	})
	if err != nil {
		return fmt.Errorf("load lines: %w", err)
	}
	return nil
}

// unordered runs fn with DuckDB free to write the rows of its statements
// in any order (preserve_insertion_order off), which lets every thread
// write as it goes.
func unordered(ctx context.Context, c *sql.Conn, fn func() error) error {
	if _, err := c.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
		return err
	}
	err := fn()
	if _, resetErr := c.ExecContext(ctx, "RESET preserve_insertion_order"); err == nil {
		err = resetErr
	}
	return err
}

// statement returns a statement of sql/ingest_fast.sql over the settled
// lines of the plan's file.
func (f *fastPlan) statement(name string) string {
	body := "FastSettled"
	if name == "FastInsert" {
		body = "FastValues"
	}
	cut := strings.Replace(custsql.Query("FastCut"), "/*cells*/", fastCells(&f.parser, f.delim), 1)
	settled := strings.Replace(custsql.Query(body), "/*cut*/", cut, 1)
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

// fastCells writes the read_csv projection of FastSettled and FastValues for the header's
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

// fieldOrder maps the cells of FastSettled to the fields of the column map.
var fieldOrder = []int{fDate, fDocNo, fCustomerCode, fCustomerName, fItemCode, fItemName, fCategory, fQuantity, fUnitPrice, fAmount}
