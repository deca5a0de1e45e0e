package pipeline

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Excel dates are day counts: serials up to 9999-12-31, formats to print them.
const (
	maxExcelSerial = 2958465
	isoDateFormat  = "yyyy-mm-dd"
	isoTimeFormat  = "yyyy-mm-dd hh:mm:ss"
)

// xlsxReader yields the rows of one worksheet as records. excelize streams
// the sheet XML (to a temp file past 16 MB), so memory stays bounded by
// the rows held to find the header, not by the size of the sheet.
type xlsxReader struct {
	f        *excelize.File
	rows     *excelize.Rows
	sheet    string
	line     int
	held     []record // the first rows, read ahead to learn the date column
	dateCol  int      // -1 when no date column is known
	width    int      // short rows are padded to it: Excel drops trailing blank cells
	date1904 bool
	cells    int // cells read so far, blank rows too
}

// The bounds of a workbook custcat reads. An .xlsx is a zip file: a few
// MB can inflate to GBs (a zip bomb). excelize holds every part but the
// worksheets in memory (and the shared strings, once parsed), and streams
// worksheets from a temporary file; so the parts held in memory get a
// small bound, the whole a larger one, and a sheet a bound on its cells,
// which also bounds the time to read it. Go's zip reader stops a part at
// its declared size, so a part cannot inflate past what is checked here.
const (
	xlsxMaxInflated = 1 << 30   // all parts, inflated: 1 GiB
	xlsxMaxInMemory = 128 << 20 // all parts but the worksheets, inflated: 128 MiB
	xlsxMaxColumns  = 1024      // cells of a row, blank ones before the last too
	xlsxMaxCells    = 1 << 25   // cells of the sheet read, blank ones too: 33,554,432 (1,048,576 rows of 32)
)

// checkXLSXSize refuses a workbook whose parts inflate past the bounds.
func checkXLSXSize(path string) error {
	z, err := zip.OpenReader(path)
	if err != nil {
		return fmt.Errorf("open workbook: %w", err)
	}
	defer z.Close()
	var total, inMemory uint64
	for _, f := range z.File {
		total += f.UncompressedSize64
		if !strings.HasPrefix(strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/")), "xl/worksheets/sheet") {
			inMemory += f.UncompressedSize64
		}
	}
	switch {
	case total > xlsxMaxInflated:
		return fmt.Errorf("workbook inflates to %d MiB, more than custcat reads (%d MiB): it may be a zip bomb; export the sheet as CSV instead", total>>20, xlsxMaxInflated>>20)
	case inMemory > xlsxMaxInMemory:
		return fmt.Errorf("workbook parts other than worksheets (shared strings, styles) inflate to %d MiB, more than custcat reads (%d MiB): it may be a zip bomb; export the sheet as CSV instead", inMemory>>20, xlsxMaxInMemory>>20)
	}
	return nil
}

func openXLSX(path string, src Source) (*xlsxReader, error) {
	if err := checkXLSXSize(path); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: xlsxMaxInflated})
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	r := &xlsxReader{f: f, dateCol: -1}
	if err := r.open(src); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *xlsxReader) open(src Source) error {
	sheets := r.f.GetSheetList()
	switch {
	case len(sheets) == 0:
		return errors.New("workbook has no worksheets")
	case src.Sheet == "":
		r.sheet = sheets[0]
	case slices.Contains(sheets, src.Sheet):
		r.sheet = src.Sheet
	default:
		return fmt.Errorf("no worksheet %q in this workbook, which has: %s; set sheet under sources (name: %s)",
			src.Sheet, strings.Join(sheets, ", "), src.Name)
	}
	if props, err := r.f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		r.date1904 = *props.Date1904
	}
	if err := isoDateStyles(r.f); err != nil {
		return err
	}
	rows, err := r.f.Rows(r.sheet)
	if err != nil {
		return fmt.Errorf("sheet %s: %w", r.sheet, err)
	}
	r.rows = rows
	return r.readAhead(src)
}

// isoDateStyles rewrites the number formats of the workbook, in memory only,
// so that excelize prints date cells as ISO text that ParseDate reads and
// every other cell as stored: a shown format like "0" or "#,##0" would
// round quantities and amounts, and "General" cuts numbers to 11 digits.
// The streaming reader gives no cell styles, so the formats are the only
// way to tell a date cell from a number.
func isoDateStyles(f *excelize.File) error {
	if f.Styles == nil || f.Styles.CellXfs == nil {
		return nil
	}
	n := len(f.Styles.CellXfs.Xf)
	kinds := make([]dateKind, n)
	for i := range n {
		st, err := f.GetStyle(i)
		if err != nil {
			return fmt.Errorf("read cell styles: %w", err)
		}
		kinds[i] = numFmtKind(st)
	}
	isoID := func(code string) (*int, error) {
		s, err := f.NewStyle(&excelize.Style{CustomNumFmt: &code})
		if err != nil {
			return nil, fmt.Errorf("add date style: %w", err)
		}
		return f.Styles.CellXfs.Xf[s].NumFmtID, nil
	}
	dateID, err := isoID(isoDateFormat)
	if err != nil {
		return err
	}
	timeID, err := isoID(isoTimeFormat)
	if err != nil {
		return err
	}
	// No format has this id, and excelize gives a cell without a format as stored.
	none := -1
	for i, k := range kinds {
		xf := &f.Styles.CellXfs.Xf[i]
		switch k {
		case dateOnly:
			xf.NumFmtID = dateID
		case dateTime:
			xf.NumFmtID = timeID
		default:
			xf.NumFmtID = &none
		}
	}
	return nil
}

type dateKind int

const (
	notDate dateKind = iota
	dateOnly
	dateTime
)

// numFmtKind says whether a cell style shows dates, with or without a time.
func numFmtKind(st *excelize.Style) dateKind {
	if st.CustomNumFmt != nil {
		return fmtCodeKind(*st.CustomNumFmt)
	}
	switch id := st.NumFmt; {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58:
		return dateOnly // the built-in and Chinese date formats; the ids between are times
	case id == 22:
		return dateTime
	}
	return notDate
}

// fmtCodeKind reads a custom number format code: a date format holds y, d
// or a month m outside quotes and brackets; with h or s it also shows the
// time. An m next to h or s is minutes, so time-only formats are not dates.
func fmtCodeKind(code string) dateKind {
	code, _, _ = strings.Cut(code, ";") // the positive section decides
	code = strings.ToLower(code)
	code = strings.NewReplacer("am/pm", "", "a/p", "", "general", "").Replace(code)
	var date, clock bool
	prev := byte(0) // the last date or time letter
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch c {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			}
			continue
		case '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				continue
			}
			if j > 1 && strings.Trim(code[i+1:i+j], "hms") == "" {
				clock, prev = true, 'h' // elapsed time: [h]:mm
			}
			i += j
			continue
		case '\\', '_', '*':
			i++ // the next character is literal or padding
			continue
		case 'y', 'd':
			date = true
		case 'h', 's':
			clock = true
		case 'm':
			j := i
			for j < len(code) && code[j] == 'm' {
				j++
			}
			if prev == 'h' || strings.HasPrefix(strings.TrimLeft(code[j:], ":. "), "s") {
				clock = true
			} else {
				date = true
			}
			i = j - 1
		default:
			continue
		}
		prev = c
	}
	switch {
	case date && clock:
		return dateTime
	case date:
		return dateOnly
	}
	return notDate
}

// readAhead holds the first rows and finds the header among them the way
// loadFile will, to learn which column holds dates and how wide a line is.
func (r *xlsxReader) readAhead(src Source) error {
	for len(r.held) < headerSearchRows {
		rec, err := r.nextRow()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		r.held = append(r.held, rec)
	}
	date := src.schema().date // a customer master has no dates
	if m, ok := positionalMap(src); ok && src.Header == "none" {
		r.dateCol = m.at(date)
	} else {
		p := lineParser{src: src, headerAt: -1}
		if err := p.findHeader(r.held); err == nil {
			r.dateCol, r.width = p.cols.at(date), p.width
		}
	}
	if r.width == 0 {
		for _, rec := range r.held {
			r.width = max(r.width, len(rec.Cells))
		}
	}
	return nil
}

// Format says how the file is being read, for the files table and the summary.
func (r *xlsxReader) Format() string { return "xlsx sheet " + r.sheet }

func (r *xlsxReader) Close() error {
	err := r.rows.Close()
	if cerr := r.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Next returns the next non-blank row; io.EOF at the end.
func (r *xlsxReader) Next() (record, error) {
	var rec record
	if len(r.held) > 0 {
		rec, r.held = r.held[0], r.held[1:]
	} else {
		var err error
		if rec, err = r.nextRow(); err != nil {
			return record{}, err
		}
	}
	for len(rec.Cells) < r.width {
		rec.Cells = append(rec.Cells, "")
	}
	if r.dateCol >= 0 && r.dateCol < len(rec.Cells) {
		if iso, ok := serialDate(rec.Cells[r.dateCol], r.date1904); ok {
			rec.Cells[r.dateCol] = iso
		}
	}
	return rec, nil
}

// nextRow reads the next row with a value, as excelize gives it.
func (r *xlsxReader) nextRow() (record, error) {
	for r.rows.Next() {
		r.line++
		cells, err := r.rows.Columns()
		if err != nil {
			return record{}, fmt.Errorf("sheet %s row %d: %w", r.sheet, r.line, err)
		}
		if len(cells) > xlsxMaxColumns {
			return record{}, fmt.Errorf("sheet %s row %d has %d columns, more than custcat reads (%d): export the data as CSV instead", r.sheet, r.line, len(cells), xlsxMaxColumns)
		}
		if r.cells += max(1, len(cells)); r.cells > xlsxMaxCells {
			return record{}, fmt.Errorf("sheet %s holds more than %d cells (at row %d), more than custcat reads: export the data as CSV instead", r.sheet, xlsxMaxCells, r.line)
		}
		if strings.TrimSpace(strings.Join(cells, "")) == "" {
			continue
		}
		return record{Line: r.line, Cells: cells, Raw: strings.Join(cells, "\t")}, nil
	}
	if err := r.rows.Error(); err != nil {
		return record{}, fmt.Errorf("sheet %s: %w", r.sheet, err)
	}
	return record{}, io.EOF
}

// serialDate reads a plain number in a date column as an Excel serial
// date: the days since 1899-12-31, counting the 1900-02-29 that Lotus made
// up and Excel kept, so serials past 60 are one day ahead. A fraction is the
// time of day. It gives ISO text for ParseDate.
func serialDate(s string, date1904 bool) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || !plain(s) {
		return "", false
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 1 || v > maxExcelSerial {
		return "", false
	}
	base := time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC)
	switch {
	case date1904:
		base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	case v > 60:
		v--
	}
	days, frac := math.Modf(v)
	t := base.AddDate(0, 0, int(days)).Add(time.Duration(math.Round(frac*86400)) * time.Second)
	if frac == 0 {
		return t.Format(time.DateOnly), true
	}
	return t.Format(time.DateTime), true
}
