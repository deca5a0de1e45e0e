package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"custcat/pipeline"
)

// ErrTemplate means the import template cannot be filled as the config
// says: its header is not found, a column is missing, or a value breaks
// one of its rules. The message names the column and what to change.
var ErrTemplate = errors.New("category template")

// headerSearchRows is how far down a sheet the header is looked for.
const headerSearchRows = 30

// TemplateInfo says what a category .xlsx was filled from and where.
type TemplateInfo struct {
	File       string `json:"file"`             // the template's file name, or "built-in" with the preset's layout
	SHA256     string `json:"sha256,omitempty"` // of the template file
	Sheet      string `json:"sheet"`
	HeaderRows string `json:"header_rows"` // such as "1-2": kept as they are
	DataRow    int    `json:"data_row"`    // the first row filled

	columns, fields []string // of the manifest: "B FNumber", and what went in
}

// xlsxColumn is a column of the template that custcat fills.
type xlsxColumn struct {
	name  string // the name that found it (a caption or field key)
	col   int    // 1-based
	src   pipeline.TemplateSource
	rules []cellRule
	style int
}

// cellRule is a data validation of the template that a value must pass.
type cellRule struct {
	minLen, maxLen int             // textLength bounds, in UTF-16 units as Excel counts; -1: none
	list           map[string]bool // allowed values of a list; nil: none
	listText       string
}

// templateColumns are the columns to find: the preset's layout, with the
// config's template_columns over it (an entry that names a layout column
// replaces what goes in it; others are added and required).
func templateColumns(opt pipeline.CategoryOutput) ([]templateColumn, error) {
	var cols []templateColumn
	if lay, ok := templateLayouts[opt.Preset]; ok {
		cols = slices.Clone(lay.Columns)
	} else if opt.Template == "" {
		// generic or custom as .xlsx: one caption row of the CSV columns.
		layout, err := CategoryLayout(opt)
		if err != nil {
			return nil, err
		}
		for _, c := range layout {
			cols = append(cols, templateColumn{Names: []string{c.Header}, Source: field(c.Field), Required: true})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(opt.TemplateColumns)) {
		src := opt.TemplateColumns[name]
		i := slices.IndexFunc(cols, func(c templateColumn) bool {
			return slices.ContainsFunc(c.Names, func(n string) bool { return headerKey(n) == headerKey(name) })
		})
		if i >= 0 {
			cols[i].Names = append([]string{name}, cols[i].Names...)
			cols[i].Source, cols[i].Required = src, true
			continue
		}
		cols = append(cols, templateColumn{Names: []string{name}, Source: src, Required: true})
	}
	return cols, nil
}

// builtinTemplate writes the workbook of a layout for a config without a
// template: the sheets and header rows the ERP's description gives.
func builtinTemplate(opt pipeline.CategoryOutput, cols []templateColumn) (*excelize.File, error) {
	lay, ok := templateLayouts[opt.Preset]
	if !ok {
		lay = templateLayout{Sheet: "categories"}
	}
	f := excelize.NewFile()
	first := "Sheet1"
	if lay.InstrSheet != "" {
		if err := f.SetSheetName(first, lay.InstrSheet); err != nil {
			return nil, err
		}
		for i, line := range lay.Instructions {
			if err := f.SetCellStr(lay.InstrSheet, "A"+strconv.Itoa(i+1), line); err != nil {
				return nil, err
			}
		}
		if _, err := f.NewSheet(lay.Sheet); err != nil {
			return nil, err
		}
	} else if err := f.SetSheetName(first, lay.Sheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49})
	if err != nil {
		return nil, err
	}
	for i, c := range cols {
		col, _ := excelize.ColumnNumberToName(i + 1)
		cells := []string{c.Names[0]}
		if lay.KeyRow {
			caption := c.Names[0]
			if len(c.Names) > 1 {
				caption = c.Names[1]
			}
			if c.Required && i > 0 {
				caption += "(*)"
			}
			cells = append(cells, caption)
		}
		for r, v := range cells {
			cell := col + strconv.Itoa(r+1)
			if err := f.SetCellStr(lay.Sheet, cell, v); err != nil {
				return nil, err
			}
			if err := f.SetCellStyle(lay.Sheet, cell, cell, bold); err != nil {
				return nil, err
			}
		}
		if err := f.SetColWidth(lay.Sheet, col, col, 18); err != nil {
			return nil, err
		}
	}
	idx, err := f.GetSheetIndex(lay.Sheet)
	if err != nil {
		return nil, err
	}
	f.SetActiveSheet(idx)
	return f, nil
}

// encodeXLSX fills the template of opt (or the preset's built-in layout)
// with rows, every written cell a text cell, and returns the workbook.
func encodeXLSX(rows []categoryRow, opt pipeline.CategoryOutput) ([]byte, *TemplateInfo, []string, error) {
	cols, err := templateColumns(opt)
	if err != nil {
		return nil, nil, nil, err
	}
	info := &TemplateInfo{File: "built-in " + opt.Preset}
	var f *excelize.File
	if opt.Template != "" {
		raw, err := os.ReadFile(opt.Template)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%w: %v; outputs.categories.template must be the .xlsx downloaded from the ERP", ErrTemplate, err)
		}
		sum := sha256.Sum256(raw)
		info.File, info.SHA256 = filepath.Base(opt.Template), hex.EncodeToString(sum[:])
		if f, err = excelize.OpenReader(bytes.NewReader(raw)); err != nil {
			return nil, nil, nil, fmt.Errorf("%w %s: %v; open it in Excel or WPS and save it as .xlsx", ErrTemplate, info.File, err)
		}
	} else if f, err = builtinTemplate(opt, cols); err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	data, warnings, err := fillTemplate(f, info, cols, rows, opt.TemplateDataRow)
	if err != nil {
		return nil, nil, nil, err
	}
	return data, info, warnings, nil
}

// fillTemplate finds the sheet and header of cols in f, checks that the
// rows below are free, and writes rows there.
func fillTemplate(f *excelize.File, info *TemplateInfo, cols []templateColumn, rows []categoryRow, dataRow int) ([]byte, []string, error) {
	where := func(format string, args ...any) error {
		return fmt.Errorf("%w %s: %s", ErrTemplate, info.File, fmt.Sprintf(format, args...))
	}
	sheet, found, top, bottom, err := findHeader(f, cols)
	if err != nil {
		return nil, nil, where("%v", err)
	}
	info.Sheet = sheet
	all, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, nil, err
	}
	// A 云星空 row of field keys has its captions in the row below.
	if bottom < len(all) && isKeyRow(all[bottom-1]) {
		bottom++
	}
	if dataRow == 0 {
		dataRow = bottom + 1
	} else if dataRow <= bottom {
		return nil, nil, where("template_data_row %d is in the header (rows %d-%d) of sheet %s; write a row below it", dataRow, top, bottom, sheet)
	}
	info.HeaderRows, info.DataRow = fmt.Sprintf("%d-%d", top, dataRow-1), dataRow
	if top == dataRow-1 {
		info.HeaderRows = strconv.Itoa(top)
	}
	for r := dataRow - 1; r < len(all); r++ {
		for c, v := range all[r] {
			if strings.TrimSpace(v) == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			return nil, nil, where("sheet %s holds %s = %q below its header (rows %s); delete the sample rows from the template, or if row %d is a header row too, write template_data_row: %d",
				sheet, cell, v, info.HeaderRows, r+1, r+2)
		}
	}
	if last := dataRow + len(rows) - 1; last > excelize.TotalRows {
		return nil, nil, where("%d rows from row %d pass the last row of a sheet (%d); write mode: delta or a template_data_row nearer the top", len(rows), dataRow, excelize.TotalRows)
	}
	for _, c := range found {
		info.columns = append(info.columns, colName(c.col)+" "+c.name)
		switch {
		case c.src.Const:
			info.fields = append(info.fields, "value:"+c.src.Value)
		default:
			info.fields = append(info.fields, c.src.Field)
		}
	}
	var warnings []string
	if warnings, err = columnRules(f, sheet, found, dataRow); err != nil {
		return nil, nil, where("%v", err)
	}
	if err := textStyles(f, sheet, found); err != nil {
		return nil, nil, err
	}
	index := map[string]int{}
	for i, name := range CategoryColumns {
		index[name] = i
	}
	for i, r := range rows {
		row := dataRow + i
		for _, c := range found {
			var v string
			switch {
			case c.src.Const:
				v = c.src.Value
			case c.src.Field == pipeline.RowNumber:
				v = strconv.Itoa(i + 1)
			default:
				v = r.cells[index[c.src.Field]]
			}
			if v == "" {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c.col, row)
			if err := checkCell(c, v); err != nil {
				return nil, nil, where("sheet %s column %s (%s), row %d, customer %s: %q %v; the previous file stays", sheet, colName(c.col), c.name, row, r.cells[index["customer_code"]], v, err)
			}
			if err := f.SetCellStr(sheet, cell, v); err != nil {
				return nil, nil, err
			}
		}
	}
	if len(rows) > 0 {
		for _, c := range found {
			from, _ := excelize.CoordinatesToCellName(c.col, dataRow)
			to, _ := excelize.CoordinatesToCellName(c.col, dataRow+len(rows)-1)
			if err := f.SetCellStyle(sheet, from, to, c.style); err != nil {
				return nil, nil, err
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, nil, err
	}
	return buf.Bytes(), warnings, nil
}

// keyCell is a field key of a 云星空 template: FNumber, FCustId#Name,
// FAuxPropId#FF100003, the entity key FBillHead(BD_Customer), or the
// column *Split*1 that parts entities in a head sheet.
var keyCell = regexp.MustCompile(`^(F[A-Za-z0-9_]*(#[A-Za-z0-9_#]+)?(\([A-Za-z0-9_]+\))?|\*Split\*[0-9]+)$`)

// isKeyRow says whether a header row is a row of 云星空 field keys: two
// or more cells, all field keys.
func isKeyRow(row []string) bool {
	n := 0
	for _, v := range row {
		if v == "" {
			continue
		}
		if !keyCell.MatchString(v) {
			return false
		}
		n++
	}
	return n >= 2
}

func colName(c int) string { n, _ := excelize.ColumnNumberToName(c); return n }

// headerKey is how a header cell is compared: without spaces, the marks
// of a required column ("*", "(*)"), and case.
func headerKey(s string) string {
	s = strings.Join(strings.Fields(s), "")
	for _, mark := range []string{"(*)", "（*）"} {
		s = strings.ReplaceAll(s, mark, "")
	}
	return strings.ToLower(strings.Trim(s, "*"))
}

// findHeader finds the one sheet whose first rows hold every required
// column, and there each column's position. top and bottom are the first
// and last row in which a column's name was found.
func findHeader(f *excelize.File, cols []templateColumn) (sheet string, found []xlsxColumn, top, bottom int, err error) {
	type match struct {
		sheet       string
		found       []xlsxColumn
		missing     []string
		top, bottom int
	}
	var best *match
	var matches []match
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s, excelize.Options{RawCellValue: true})
		if err != nil {
			return "", nil, 0, 0, err
		}
		rows = rows[:min(len(rows), headerSearchRows)]
		m := match{sheet: s}
		for _, c := range cols {
			// The first name found gives the column; its other names
			// found in that column (the caption under a field key) are
			// header rows too.
			at := 0
			for _, name := range c.Names {
				for r, row := range rows {
					for ci, v := range row {
						if v == "" || headerKey(v) != headerKey(name) || (at != 0 && at != ci+1) {
							continue
						}
						if at == 0 {
							at = ci + 1
							m.found = append(m.found, xlsxColumn{name: strings.TrimSpace(v), col: at, src: c.Source})
						}
						if m.top == 0 || r+1 < m.top {
							m.top = r + 1
						}
						m.bottom = max(m.bottom, r+1)
					}
				}
			}
			if at == 0 && c.Required {
				m.missing = append(m.missing, c.Names[0])
			}
		}
		if len(m.missing) == 0 {
			matches = append(matches, m)
		}
		if best == nil || len(m.found) > len(best.found) {
			best = &m
		}
	}
	switch {
	case len(matches) > 1:
		var names []string
		for _, m := range matches {
			names = append(names, m.sheet)
		}
		return "", nil, 0, 0, fmt.Errorf("sheets %s all hold the header; delete the sheets that are not the customer's from the template", strings.Join(names, ", "))
	case len(matches) == 0 && best == nil:
		return "", nil, 0, 0, fmt.Errorf("the workbook has no sheet")
	case len(matches) == 0:
		return "", nil, 0, 0, fmt.Errorf("header not found: no sheet holds the column(s) %s in its first %d rows (sheet %s comes nearest); write template_columns with the template's captions or field keys, such as template_columns: {客户编码: customer_code}",
			strings.Join(best.missing, ", "), headerSearchRows, best.sheet)
	}
	m := matches[0]
	seen := map[int]string{}
	for _, c := range m.found {
		if other, ok := seen[c.col]; ok {
			return "", nil, 0, 0, fmt.Errorf("sheet %s column %s is named twice (%s and %s); give each template_columns entry its own column", m.sheet, colName(c.col), other, c.name)
		}
		seen[c.col] = c.name
	}
	return m.sheet, m.found, m.top, m.bottom, nil
}

// columnRules reads the data validations of the sheet that cover the
// first data row of a column: text length and list. Others are not
// checked, and the warnings say so.
func columnRules(f *excelize.File, sheet string, cols []xlsxColumn, dataRow int) ([]string, error) {
	dvs, err := f.GetDataValidations(sheet)
	if err != nil {
		return nil, err
	}
	var warnings []string
	for i := range cols {
		c := &cols[i]
		for _, dv := range dvs {
			if !sqrefCovers(dv.Sqref, c.col, dataRow) {
				continue
			}
			rule := cellRule{minLen: -1, maxLen: -1}
			switch dv.Type {
			case "textLength":
				a, errA := strconv.Atoi(strings.TrimSpace(dv.Formula1))
				b, errB := strconv.Atoi(strings.TrimSpace(dv.Formula2))
				switch op := dv.Operator; {
				case errA != nil:
					warnings = append(warnings, fmt.Sprintf("column %s (%s): text length rule %q not checked", colName(c.col), c.name, dv.Formula1))
					continue
				case op == "" || op == "between":
					if errB != nil {
						continue
					}
					rule.minLen, rule.maxLen = a, b
				case op == "lessThanOrEqual":
					rule.maxLen = a
				case op == "lessThan":
					rule.maxLen = a - 1
				case op == "equal":
					rule.minLen, rule.maxLen = a, a
				case op == "greaterThanOrEqual":
					rule.minLen = a
				case op == "greaterThan":
					rule.minLen = a + 1
				default:
					warnings = append(warnings, fmt.Sprintf("column %s (%s): text length rule %s not checked", colName(c.col), c.name, op))
					continue
				}
			case "list":
				values, ok := listValues(f, sheet, dv.Formula1)
				if !ok {
					warnings = append(warnings, fmt.Sprintf("column %s (%s): list %s not checked", colName(c.col), c.name, dv.Formula1))
					continue
				}
				rule.list = map[string]bool{}
				for _, v := range values {
					rule.list[v] = true
				}
				rule.listText = strings.Join(values[:min(len(values), 10)], ", ")
				if len(values) > 10 {
					rule.listText += ", ..."
				}
			default:
				warnings = append(warnings, fmt.Sprintf("column %s (%s): %s rule not checked", colName(c.col), c.name, dv.Type))
				continue
			}
			c.rules = append(c.rules, rule)
		}
	}
	return warnings, nil
}

// escapeLike is Excel's escape of a character in a cell's text, _x0041_:
// Excel would read such text in a value as the character.
var escapeLike = regexp.MustCompile(`_x[0-9A-Fa-f]{4}_`)

// checkCell says how v breaks a rule of its column, or cannot be held by
// an .xlsx as it is: a control character would be replaced, and text like
// _x0041_ read by Excel as another character.
func checkCell(c xlsxColumn, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("is not valid UTF-8")
	}
	for _, r := range v {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("holds the control character U+%04X, which an .xlsx cannot hold; remove it in the ERP", r)
		}
	}
	if m := escapeLike.FindString(v); m != "" {
		return fmt.Errorf("holds %s, which Excel reads as an escaped character; change the value in the ERP", m)
	}
	n := len(utf16.Encode([]rune(v)))
	if n > excelize.TotalCellChars {
		return fmt.Errorf("is %d characters long, more than a cell holds (%d)", n, excelize.TotalCellChars)
	}
	for _, r := range c.rules {
		if r.maxLen >= 0 && n > r.maxLen {
			return fmt.Errorf("is %d characters long; the template's validation allows at most %d: shorten it in the ERP export or the config", n, r.maxLen)
		}
		if r.minLen >= 0 && n < r.minLen {
			return fmt.Errorf("is %d characters long; the template's validation wants at least %d", n, r.minLen)
		}
		if r.list != nil && !r.list[v] {
			return fmt.Errorf("is not in the template's list (%s): set segments[].erp_code to a value of the list, or add it in the ERP and download the template again", r.listText)
		}
	}
	return nil
}

// sqrefCovers says whether a space-separated list of ranges holds the cell.
func sqrefCovers(sqref string, col, row int) bool {
	for _, ref := range strings.Fields(sqref) {
		from, to, _ := strings.Cut(strings.ReplaceAll(ref, "$", ""), ":")
		if to == "" {
			to = from
		}
		c1, r1, err1 := excelize.CellNameToCoordinates(from)
		c2, r2, err2 := excelize.CellNameToCoordinates(to)
		if err1 != nil || err2 != nil {
			// Whole columns (C:C) or rows (3:3).
			c1, e1 := excelize.ColumnNameToNumber(from)
			c2, e2 := excelize.ColumnNameToNumber(to)
			if e1 == nil && e2 == nil && col >= min(c1, c2) && col <= max(c1, c2) {
				return true
			}
			continue
		}
		if col >= min(c1, c2) && col <= max(c1, c2) && row >= min(r1, r2) && row <= max(r1, r2) {
			return true
		}
	}
	return false
}

// listValues reads the values of a list validation: inline ("A,B,C"), a
// range of the workbook (Sheet!$A$1:$A$9), or a defined name of one.
func listValues(f *excelize.File, sheet, formula string) ([]string, bool) {
	formula = strings.TrimSpace(strings.TrimPrefix(formula, "="))
	if strings.HasPrefix(formula, `"`) && strings.HasSuffix(formula, `"`) && len(formula) >= 2 {
		var out []string
		for _, v := range strings.Split(formula[1:len(formula)-1], ",") {
			out = append(out, strings.TrimSpace(v))
		}
		return out, true
	}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == formula {
			formula = strings.TrimPrefix(dn.RefersTo, "=")
		}
	}
	ref := formula
	if i := strings.LastIndex(formula, "!"); i >= 0 {
		sheet, ref = strings.Trim(formula[:i], "'"), formula[i+1:]
	}
	from, to, _ := strings.Cut(strings.ReplaceAll(ref, "$", ""), ":")
	if to == "" {
		to = from
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(from)
	c2, r2, err2 := excelize.CellNameToCoordinates(to)
	if err1 != nil || err2 != nil || (r2-r1+1)*(c2-c1+1) > 100000 {
		return nil, false
	}
	var out []string
	for c := c1; c <= c2; c++ {
		for r := r1; r <= r2; r++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			v, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
			if err != nil {
				return nil, false
			}
			if v != "" {
				out = append(out, v)
			}
		}
	}
	return out, true
}

// textStyles gives each column a style that is its template column's
// style with the number format Text (@), so that a person who edits a
// code keeps its zeros too.
func textStyles(f *excelize.File, sheet string, cols []xlsxColumn) error {
	made := map[int]int{}
	for i := range cols {
		base, err := f.GetColStyle(sheet, colName(cols[i].col))
		if err != nil {
			return err
		}
		if s, ok := made[base]; ok {
			cols[i].style = s
			continue
		}
		st, err := f.GetStyle(base)
		if err != nil {
			return err
		}
		st.NumFmt, st.CustomNumFmt, st.DecimalPlaces = 49, nil, nil
		s, err := f.NewStyle(st)
		if err != nil {
			return err
		}
		made[base], cols[i].style = s, s
	}
	return nil
}

// CheckTemplate opens the template of opt (or builds the preset's layout)
// and finds its header, as a run would, without writing anything: for
// check, so that a template a run cannot fill is found before the night.
func CheckTemplate(opt pipeline.CategoryOutput) (*TemplateInfo, []string, error) {
	_, info, warnings, err := encodeXLSX(nil, opt)
	return info, warnings, err
}

// CodeWarnings says which segments give an erp_code in a form the
// preset's ERP does not take: the segment's own code (what erp_code is
// when the config gives none), or a code of another form.
func CodeWarnings(opt pipeline.CategoryOutput, segments []pipeline.SegmentRule) []string {
	lay, ok := templateLayouts[opt.Preset]
	if !ok || lay.CodeForm == nil {
		return nil
	}
	var out []string
	for i, s := range segments {
		switch {
		case s.ERPCode == s.Code:
			out = append(out, fmt.Sprintf("segments[%d] (%s): erp_code is %q, the segment's own code (what it is when erp_code is not given); %s: write that as erp_code", i, s.Code, s.ERPCode, lay.CodeHint))
		case !lay.CodeForm.MatchString(s.ERPCode):
			out = append(out, fmt.Sprintf("segments[%d] (%s): erp_code %q is not of the form %s takes (%s); %s", i, s.Code, s.ERPCode, lay.ERP, lay.CodeForm, lay.CodeHint))
		}
	}
	return out
}
