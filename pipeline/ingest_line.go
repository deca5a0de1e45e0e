package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxRawBytes bounds the raw text kept of a rejected line.
const maxRawBytes = 4096

// maxCellBytes bounds a text value: no ERP field comes near it, so a
// longer one is a broken export (a runaway quote, a pasted document), and
// it would go on to the category file and the report.
const maxCellBytes = 4096

// lineParser turns records into sales lines, remembering the document-level
// cells of the line above for continuation lines that leave them blank.
type lineParser struct {
	src        Source
	cols       columnMap
	headerAt   int // index of the header among the held rows; -1 without a header
	headerLine int
	width      int // the number of cells a data line has
	header     headerMap
	headerText []string // the header row's cells, trimmed (repeatsHeader)
	otherLine  int      // the line of the other header row (云星空 引出); 0 if none

	last     SalesLine
	haveLast bool

	// The reading of values the source asks for (parse_value.go): its date
	// order, and the decimal mark of the file, which decimal: auto learns
	// from the file's own numbers (learnMark) and then holds to.
	order    DateOrder
	mark     DecimalMark
	markAuto bool
	marksSet bool // order and mark were read from src
}

// settings reads the value settings of the source, once.
func (p *lineParser) settings() {
	if p.marksSet {
		return
	}
	p.order = DateOrderOf(p.src.DateFormat)
	p.mark = DecimalMarkOf(p.src.Decimal)
	p.markAuto = p.mark == MarkUnknown
	p.marksSet = true
}

// learnMark decides the decimal mark of a file under decimal: auto from
// the number cells of rows: the mark they show, when they show one only.
func (p *lineParser) learnMark(rows []record) {
	p.settings()
	if !p.markAuto || p.mark != MarkUnknown || p.src.Kind == KindCustomers || len(p.cols) <= fAmount {
		return
	}
	seen := [3]bool{}
	for _, r := range rows {
		if r.Bad != "" {
			continue
		}
		for _, f := range [...]int{fQuantity, fUnitPrice, fAmount} {
			if _, shown, err := ParseNumber(p.cell(r.Cells, f), MarkUnknown); err == nil {
				seen[shown] = true
			}
		}
	}
	switch {
	case seen[MarkPoint] && !seen[MarkComma]:
		p.mark = MarkPoint
	case seen[MarkComma] && !seen[MarkPoint]:
		p.mark = MarkComma
	}
}

// findHeader picks the header among the first rows: the row that names the
// most fields, the earliest on a tie.
func (p *lineParser) findHeader(rows []record) error {
	best, bestScore := -1, 1
	for i, r := range rows {
		if r.Bad != "" {
			continue
		}
		if s := headerScore(r.Cells, p.src); s > bestScore {
			best, bestScore = i, s
		}
	}
	if best < 0 {
		if m, ok := positionalMap(p.src); ok {
			p.cols, p.headerAt = m, -1
			return nil
		}
		return fmt.Errorf("no header row found in the first %d lines; name the columns under sources (name: %s) columns, or set header: none with column positions", headerSearchRows, p.src.Name)
	}
	at, other := headerPair(rows, best, p.src)
	var otherCells []string
	if other >= 0 {
		otherCells, p.otherLine = rows[other].Cells, rows[other].Line
	}
	h, err := mapHeaders(rows[at].Cells, otherCells, p.src)
	if err != nil {
		return err
	}
	p.header = h
	p.cols, p.headerAt, p.headerLine = h.cols, at, rows[at].Line
	p.width = len(rows[at].Cells)
	p.headerText = make([]string, len(rows[at].Cells))
	for i, c := range rows[at].Cells {
		p.headerText[i] = strings.Clone(trimSpace(c))
	}
	p.learnMark(rows[at+1:])
	return nil
}

// emptyRow says whether a row has no data: every cell blank, but for the
// columns that number rows (headerMap.seq). 云星空 writes one after each
// sales order (,,,,,,); it is skipped as a blank line is.
func (p *lineParser) emptyRow(cells []string) bool {
	for i, c := range cells {
		if strings.TrimSpace(c) != "" && !slices.Contains(p.header.seq, i) {
			return false
		}
	}
	return true
}

func (p *lineParser) reset() { p.haveLast = false }

// headerAgain is the reason of a summary row that repeats the header.
const headerAgain = "the header row again"

// repeatsHeader says whether a row is the header row again, cell for cell
// (blank cells past it allowed): exports joined into one file, or a report
// that repeats its header on each page. It is no line of data; asked only
// of rows that do not parse, it costs good lines nothing.
func (p *lineParser) repeatsHeader(cells []string) bool {
	if len(p.headerText) == 0 || len(cells) < len(p.headerText) {
		return false
	}
	for i, c := range cells {
		h := ""
		if i < len(p.headerText) {
			h = p.headerText[i]
		}
		if trimSpace(c) != h {
			return false
		}
	}
	return true
}

func (p *lineParser) cell(cells []string, f int) string {
	i := p.cols[f]
	if i < 0 || i >= len(cells) {
		return ""
	}
	return excelText(trimSpace(cells[i]))
}

// excelRounded says whether a code reads as a number in Excel's scientific
// notation, 1.23457E+11: what Excel writes for a long number it has
// rounded to six digits, so that the code itself is lost.
func excelRounded(s string) bool {
	i := strings.IndexByte(s, '+')
	if i < 2 || s[i-1]|0x20 != 'e' || i+1 == len(s) {
		return false
	}
	mant, exp := s[:i-1], s[i+1:]
	for _, r := range exp {
		if r < '0' || r > '9' {
			return false
		}
	}
	whole, frac, dot := strings.Cut(mant, ".")
	if len(whole) != 1 || whole[0] < '1' || whole[0] > '9' || dot && frac == "" {
		return false
	}
	for _, r := range frac {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// excelRoundedReason rejects a line whose field holds a code that Excel
// rounded (excelRounded).
func excelRoundedReason(field, v string) string {
	return fmt.Sprintf("%s in scientific notation: %q: Excel rounded a long number here, and codes that differ in their last digits would read as one; "+
		"export the file again and load it without opening and saving it in Excel (or format the column as text there)", field, clip(v))
}

// excelText reads a cell written as Excel's text formula, ="000123", as
// the text inside, which is what Excel shows: exports write codes, document
// numbers and long numbers so that Excel keeps their leading zeros and
// digits. A quote inside is doubled (="a""b"); any other formula stays as
// it is. A cell that starts otherwise costs one comparison.
func excelText(s string) string {
	if len(s) < 3 || s[0] != '=' || s[1] != '"' || s[len(s)-1] != '"' {
		return s
	}
	inner := s[2 : len(s)-1]
	if q := strings.Count(inner, `"`); q > 0 {
		un := strings.ReplaceAll(inner, `""`, `"`)
		if 2*strings.Count(un, `"`) != q {
			return s // ="a"&"b": not one text
		}
		inner = un
	}
	return trimSpace(inner)
}

// trimSpace is strings.TrimSpace, sooner where neither end is a space (its
// own test of a cell that starts with a Chinese character is slow).
func trimSpace(s string) string {
	if s == "" {
		return s
	}
	first, last := rune(s[0]), rune(s[len(s)-1])
	if first >= utf8.RuneSelf {
		first, _ = utf8.DecodeRuneInString(s)
	}
	if last >= utf8.RuneSelf {
		last, _ = utf8.DecodeLastRuneInString(s)
	}
	if !unicode.IsSpace(first) && !unicode.IsSpace(last) {
		return s
	}
	return strings.TrimSpace(s)
}

// parse reads one record; a non-empty reason rejects it.
func (p *lineParser) parse(rec record) (SalesLine, string) {
	if rec.Bad != "" {
		return SalesLine{}, rec.Bad
	}
	cells := rec.Cells
	if why := p.checkWidth(cells); why != "" {
		return SalesLine{}, why
	}
	l := SalesLine{
		Line:         rec.Line,
		DocNo:        p.cell(cells, fDocNo),
		CustomerCode: p.cell(cells, fCustomerCode),
		CustomerName: p.cell(cells, fCustomerName),
		ItemCode:     p.cell(cells, fItemCode),
		ItemName:     p.cell(cells, fItemName),
		Category:     p.cell(cells, fCategory),
	}
	for _, c := range [...]struct {
		f int
		v string
	}{{fDocNo, l.DocNo}, {fCustomerCode, l.CustomerCode}, {fCustomerName, l.CustomerName},
		{fItemCode, l.ItemCode}, {fItemName, l.ItemName}, {fCategory, l.Category}} {
		if len(c.v) > maxCellBytes {
			return SalesLine{}, fmt.Sprintf("%s: longer than %d bytes (%d)", Fields[c.f], maxCellBytes, len(c.v))
		}
	}
	for _, c := range [...]struct {
		f int
		v string
	}{{fDocNo, l.DocNo}, {fCustomerCode, l.CustomerCode}} {
		if excelRounded(c.v) {
			return SalesLine{}, excelRoundedReason(Fields[c.f], c.v)
		}
	}
	dateText := p.cell(cells, fDate)

	// Continuation lines of a document leave its number, date and customer blank.
	if p.cols[fDocNo] >= 0 && p.haveLast && (l.DocNo == "" || l.DocNo == p.last.DocNo) {
		if l.DocNo == "" {
			l.DocNo = p.last.DocNo
		}
		if dateText == "" {
			l.Date, l.Secs = p.last.Date, p.last.Secs
			dateText = "filled"
		}
		if l.CustomerCode == "" && l.CustomerName == "" {
			l.CustomerCode, l.CustomerName = p.last.CustomerCode, p.last.CustomerName
		}
	}
	if dateText != "filled" {
		p.settings()
		d, secs, err := ParseDateTime(dateText, p.order)
		if err != nil {
			return SalesLine{}, fmt.Sprintf("date: %s: %q", err, clip(dateText))
		}
		l.Date, l.Secs = d, secs
	}
	if p.cols[fCustomerCode] >= 0 {
		if l.CustomerCode == "" {
			return SalesLine{}, "no customer code"
		}
	} else if l.CustomerName == "" {
		return SalesLine{}, "no customer"
	}
	var err error
	if l.Quantity, l.HasQuantity, err = p.number(cells, fQuantity); err != nil {
		return SalesLine{}, err.Error()
	}
	if l.UnitPrice, l.HasUnitPrice, err = p.number(cells, fUnitPrice); err != nil {
		return SalesLine{}, err.Error()
	}
	amount, hasAmount, err := p.number(cells, fAmount)
	switch {
	case err != nil:
		return SalesLine{}, err.Error()
	case hasAmount:
		l.Amount = roundCents(amount)
	case l.HasQuantity && l.HasUnitPrice:
		v := l.Quantity * l.UnitPrice
		if _, err := checkRange(v); err != nil {
			return SalesLine{}, "amount: quantity x unit price out of range"
		}
		l.Amount = roundCents(v)
	default:
		return SalesLine{}, "no amount (and no quantity and unit price)"
	}
	if hasAmount && l.HasQuantity && l.Quantity < 0 && l.Amount > 0 {
		// A return (red document) whose amount is not negative would count
		// as a sale: the line's two numbers disagree, and custcat does not
		// guess which is right. (A positive quantity with a negative amount
		// is a discount or a rebate, and loads.)
		return SalesLine{}, fmt.Sprintf("return with a positive amount: quantity %s, amount %s: a line of negative quantity is a return, "+
			"whose amount must be negative (红字); export returns with negative amounts, or correct the line in the ERP",
			strconv.FormatFloat(l.Quantity, 'f', -1, 64), strconv.FormatFloat(l.Amount, 'f', 2, 64))
	}
	if l.DocNo != "" {
		p.last, p.haveLast = l, true
	}
	return l, ""
}

// checkWidth says why a line has the wrong number of fields; blank cells
// past the header's width are allowed.
func (p *lineParser) checkWidth(cells []string) string {
	if p.width == 0 && p.headerAt < 0 {
		p.width = len(cells) // a file without header: the first line sets the width
	}
	if n := len(cells); n != p.width {
		extraBlank := n > p.width
		for _, c := range cells[min(p.width, n):] {
			if strings.TrimSpace(c) != "" {
				extraBlank = false
			}
		}
		if !extraBlank {
			return fmt.Sprintf("wrong number of fields: %d, expected %d", n, p.width)
		}
	}
	return ""
}

// number reads the number cell of field f: its value, and false where the
// cell is empty.
func (p *lineParser) number(cells []string, f int) (float64, bool, error) {
	s := p.cell(cells, f)
	if s == "" {
		return 0, false, nil
	}
	v, err := p.parseNumber(s)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %s: %q", Fields[f], err, clip(s))
	}
	return v, true, nil
}

// parseNumber reads a number cell with the file's decimal mark; under
// decimal: auto the first number that shows a mark decides it, and a
// number that shows the other one is refused.
func (p *lineParser) parseNumber(s string) (float64, error) {
	p.settings()
	if !p.markAuto {
		v, _, err := ParseNumber(s, p.mark)
		return v, err
	}
	v, shown, err := ParseNumber(s, MarkUnknown)
	if errors.Is(err, ErrAmbiguousNum) && p.mark != MarkUnknown {
		v, _, err = ParseNumber(s, p.mark)
		return v, err
	}
	if err != nil {
		return 0, err
	}
	if shown != MarkUnknown {
		if p.mark == MarkUnknown {
			p.mark = shown
		} else if shown != p.mark {
			return 0, ErrMixedMarks
		}
	}
	return v, nil
}

func clip(s string) string {
	if len(s) > 40 {
		s = s[:40]
		for !utf8.ValidString(s) && len(s) > 0 {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}

// rawText makes a line's text safe to store: valid UTF-8, no NUL, bounded.
func rawText(s string) string {
	if len(s) > maxRawBytes {
		s = fmt.Sprintf("%s… (%d bytes in all)", s[:maxRawBytes], len(s))
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.ReplaceAll(s, "\x00", "\\0")
}
