package reports

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"custcat/pipeline"
)

// erpTemplate is an import template as an ERP lays it out, built here
// from the layouts the README documents, with what the filled file must
// hold.
type erpTemplate struct {
	preset  string
	build   func(t *testing.T, f *excelize.File)
	columns map[string]pipeline.TemplateSource // template_columns of the config
	sheet   string                             // the sheet filled
	dataRow int                                // its first data row
	want    map[string]string                  // column letter -> value of the first data row
}

// sheetOf names the first sheet s and fills rows from A1.
func sheetOf(t *testing.T, f *excelize.File, s string, rows ...[]string) {
	t.Helper()
	if idx, _ := f.GetSheetIndex(s); idx < 0 {
		if f.GetSheetList()[0] == "Sheet1" {
			must(t, f.SetSheetName("Sheet1", s))
		} else if _, err := f.NewSheet(s); err != nil {
			t.Fatal(err)
		}
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			must(t, f.SetCellStr(s, cell, v))
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func listRule(t *testing.T, sqref string, values ...string) *excelize.DataValidation {
	t.Helper()
	dv := excelize.NewDataValidation(true)
	dv.Sqref = sqref
	must(t, dv.SetDropList(values))
	return dv
}

func lengthRule(t *testing.T, sqref string, maxLen int) *excelize.DataValidation {
	t.Helper()
	dv := excelize.NewDataValidation(true)
	dv.Sqref = sqref
	must(t, dv.SetRange(0, maxLen, excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorBetween))
	return dv
}

var erpTemplates = []erpTemplate{
	{
		// 云星空: an instructions sheet, then one sheet per entity part; row 1
		// the field keys, row 2 the captions, the entity sequence first.
		preset: "kingdee-cloud",
		build: func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "引入模板说明", nil, nil, nil, nil, nil, nil, []string{"【模板使用说明】"}, []string{"1.下载的模板内页签名为实体的标识，请不要更改。"})
			sheetOf(t, f, "客户#基本信息(FBillHead)",
				[]string{"FBillHead(BD_Customer)", "FCreateOrgId", "FCreateOrgId#Name", "FNumber", "FName", "FShortName", "FCustTypeId", "FCustTypeId#Name", "FGroup"},
				[]string{"基本信息(实体序号)", "(基本信息)创建组织#编码(*)", "(基本信息)创建组织#名称(Null)", "(基本信息)客户编码", "(基本信息)客户名称(*)", "(基本信息)简称", "(基本信息)客户类别#编码", "(基本信息)客户类别#名称(Null)", "(基本信息)客户分组#编码"})
			sheetOf(t, f, "客户#地址信息(FT_BD_CUSTLOCATION)",
				[]string{"FT_BD_CUSTLOCATION", "FBillHead(BD_Customer)", "FContactId", "FContact"},
				[]string{"地址信息(实体序号)", "基本信息(实体序号)", "(地址信息)地点编码#编码", "(地址信息)联系人"})
		},
		columns: map[string]pipeline.TemplateSource{"FCreateOrgId": {Value: "100", Const: true}},
		sheet:   "客户#基本信息(FBillHead)", dataRow: 3,
		want: map[string]string{"A": "1", "B": "100", "C": "", "D": "00001", "E": "华东贸易", "F": "华东贸易", "G": "KHLB001_SYS", "H": "", "I": ""},
	},
	{
		// KIS: a caption row, an instructions sheet after the data sheet.
		preset: "kingdee-kis",
		build: func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "客户", []string{"代码", "名称", "助记码", "客户类别", "地址"})
			sheetOf(t, f, "引入说明", []string{"代码、名称为必录项"})
		},
		sheet: "客户", dataRow: 2,
		want: map[string]string{"A": "00001", "B": "华东贸易", "C": "", "D": "02", "E": ""},
	},
	{
		// 精斗云: a merged title, the caption row with required marks, a
		// drop-down list of categories and a length rule on the name.
		preset: "jingdouyun",
		build: func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "客户", []string{"客户导入模板"}, []string{"客户编码", "*客户名称", "客户类别", "联系人", "手机"})
			must(t, f.MergeCell("客户", "A1", "E1"))
			required, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FF0000"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
			must(t, err)
			must(t, f.SetCellStyle("客户", "A2", "B2", required))
			column, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: "宋体", Size: 10}})
			must(t, err)
			must(t, f.SetColStyle("客户", "A:C", column))
			must(t, f.SetColWidth("客户", "A", "C", 24))
			must(t, f.AddDataValidation("客户", listRule(t, "C3:C5000", "01", "02", "03")))
			must(t, f.AddDataValidation("客户", lengthRule(t, "B3:B5000", 80)))
		},
		sheet: "客户", dataRow: 3,
		want: map[string]string{"A": "00001", "B": "华东贸易", "C": "02", "D": "", "E": ""},
	},
	{
		// U8 客户档案: a merged title, then two header rows (captions, then
		// the field names), and the classification list on another sheet.
		preset: "yonyou-u8",
		build: func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "客户档案", []string{"客户档案"},
				[]string{"客户编码", "客户名称", "客户简称", "所属分类码", "所属地区码", "币种"},
				[]string{"cCusCode", "cCusName", "cCusAbbName", "cCCCode", "cDCCode", "cCusExch_name"})
			must(t, f.MergeCell("客户档案", "A1", "F1"))
			sheetOf(t, f, "分类", []string{"01"}, []string{"02"}, []string{"0201"})
			must(t, f.AddDataValidation("客户档案", listRule(t, "D4:D5000")))
			dvs, _ := f.GetDataValidations("客户档案")
			must(t, f.DeleteDataValidation("客户档案", dvs[0].Sqref))
			dv := excelize.NewDataValidation(true)
			dv.Sqref = "D4:D5000"
			dv.SetSqrefDropList("分类!$A$1:$A$3")
			must(t, f.AddDataValidation("客户档案", dv))
		},
		columns: map[string]pipeline.TemplateSource{"币种": {Value: "人民币", Const: true}},
		sheet:   "客户档案", dataRow: 4,
		want: map[string]string{"A": "00001", "B": "华东贸易", "C": "华东贸易", "D": "02", "E": "", "F": "人民币"},
	},
	{
		// T+: a note above the captions, required marks before them.
		preset: "yonyou-tplus",
		build: func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "往来单位", []string{"说明：带*的列为必填项"}, []string{"*往来单位编码", "*往来单位名称", "简称", "*所属分类编码", "往来单位性质"})
			must(t, f.MergeCell("往来单位", "A1", "C1"))
		},
		columns: map[string]pipeline.TemplateSource{"往来单位性质": {Value: "客户", Const: true}},
		sheet:   "往来单位", dataRow: 3,
		want: map[string]string{"A": "00001", "B": "华东贸易", "C": "华东贸易", "D": "02", "E": "客户"},
	},
}

// templateRows are two customers whose codes and categories have zeros.
func templateRows(t *testing.T, erpCode string) []categoryRow {
	return []categoryRow{
		catRow(t, map[string]string{"customer_code": "00001", "customer_name": "华东贸易", "erp_code": erpCode, "tags": "大单"}),
		catRow(t, map[string]string{"customer_code": "00002", "customer_name": "=HYPERLINK(\"x\")", "erp_code": erpCode}),
	}
}

// writeTemplate saves a template built by build and returns its path.
func writeTemplate(t *testing.T, build func(*testing.T, *excelize.File)) string {
	t.Helper()
	f := excelize.NewFile()
	build(t, f)
	path := filepath.Join(t.TempDir(), "客户引入模板.xlsx")
	must(t, f.SaveAs(path))
	return path
}

func xlsxOpt(preset, template string, columns map[string]pipeline.TemplateSource) pipeline.CategoryOutput {
	return catOpt(preset, func(o *pipeline.CategoryOutput) {
		o.Format, o.Template, o.TemplateColumns = "xlsx", template, columns
	})
}

// snapshotSheets reads every sheet's header (rows above from), merged
// cells and validations, to compare before and after filling.
func snapshotSheets(t *testing.T, f *excelize.File, filled string, from int) map[string]any {
	t.Helper()
	out := map[string]any{"sheets": f.GetSheetList()}
	for _, s := range f.GetSheetList() {
		rows, err := f.GetRows(s)
		must(t, err)
		if s == filled {
			rows = rows[:min(len(rows), from-1)]
		}
		out[s+" rows"] = rows
		var styles []string
		for r, row := range rows {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				id, _ := f.GetCellStyle(s, cell)
				st, _ := f.GetStyle(id)
				js, _ := json.Marshal(st)
				styles = append(styles, cell+" "+string(js))
			}
		}
		out[s+" styles"] = styles
		var widths []float64
		for c := 1; c <= 10; c++ {
			w, _ := f.GetColWidth(s, colName(c))
			widths = append(widths, w)
		}
		out[s+" widths"] = widths
		mc, _ := f.GetMergeCells(s)
		var merged []string
		for _, m := range mc {
			merged = append(merged, m.GetStartAxis()+":"+m.GetEndAxis()+"="+m.GetCellValue())
		}
		out[s+" merged"] = merged
		dvs, _ := f.GetDataValidations(s)
		var rules []string
		for _, d := range dvs {
			rules = append(rules, d.Sqref+" "+d.Type+" "+d.Formula1+" "+d.Formula2)
		}
		out[s+" validations"] = rules
	}
	return out
}

func TestFillTemplateOfEachERP(t *testing.T) {
	for _, tt := range erpTemplates {
		t.Run(tt.preset, func(t *testing.T) {
			path := writeTemplate(t, tt.build)
			before, err := excelize.OpenFile(path)
			must(t, err)
			wantSheets := snapshotSheets(t, before, tt.sheet, tt.dataRow)
			data, info, warnings, err := encodeXLSX(templateRows(t, erpCodeOf(tt.preset)), xlsxOpt(tt.preset, path, tt.columns))
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %v", warnings)
			}
			if info.Sheet != tt.sheet || info.DataRow != tt.dataRow || info.File != "客户引入模板.xlsx" || len(info.SHA256) != 64 {
				t.Errorf("info = %+v, want sheet %s from row %d", info, tt.sheet, tt.dataRow)
			}
			got, err := excelize.OpenReader(bytes.NewReader(data))
			must(t, err)
			if diff := cmp.Diff(wantSheets, snapshotSheets(t, got, tt.sheet, tt.dataRow)); diff != "" {
				t.Errorf("sheets, headers, merged cells or validations changed (-want +got):\n%s", diff)
			}
			for col, want := range tt.want {
				cell := col + itoa(tt.dataRow)
				v, err := got.GetCellValue(tt.sheet, cell)
				must(t, err)
				if v != want {
					t.Errorf("%s = %q, want %q", cell, v, want)
				}
				typ, _ := got.GetCellType(tt.sheet, cell)
				if want != "" && typ != excelize.CellTypeSharedString {
					t.Errorf("%s is of type %v, want a text cell", cell, typ)
				}
				if want != "" {
					st, _ := got.GetCellStyle(tt.sheet, cell)
					s, _ := got.GetStyle(st)
					if s == nil || s.NumFmt != 49 {
						t.Errorf("%s has number format %v, want Text (49)", cell, s)
					}
					colStyle, _ := got.GetColStyle(tt.sheet, col)
					if c, _ := got.GetStyle(colStyle); s != nil && c != nil && !cmp.Equal(s.Font, c.Font) {
						t.Errorf("%s has font %+v, not its column's %+v", cell, s.Font, c.Font)
					}
				}
			}
			// The second customer: its name is text, not a formula.
			nameCol := map[string]string{"kingdee-cloud": "E"}[tt.preset]
			if nameCol == "" {
				nameCol = "B"
			}
			cell := nameCol + itoa(tt.dataRow+1)
			if f, _ := got.GetCellFormula(tt.sheet, cell); f != "" {
				t.Errorf("%s holds the formula %q", cell, f)
			}
			if v, _ := got.GetCellValue(tt.sheet, cell); v != `=HYPERLINK("x")` {
				t.Errorf("%s = %q, want the name as it is", cell, v)
			}
			if rows, _ := got.GetRows(tt.sheet); len(rows) != tt.dataRow+1 {
				t.Errorf("sheet has %d rows, want %d", len(rows), tt.dataRow+1)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// erpCodeOf is the category code of the test rows in the form the ERP takes.
func erpCodeOf(preset string) string {
	if preset == "kingdee-cloud" {
		return "KHLB001_SYS"
	}
	return "02"
}

// TestBuiltinLayouts writes each preset without a template: the layout
// the README documents, which then reads back as its own template.
func TestBuiltinLayouts(t *testing.T) {
	for _, preset := range pipeline.XLSXPresets {
		t.Run(preset, func(t *testing.T) {
			data, info, _, err := encodeXLSX(templateRows(t, "02"), xlsxOpt(preset, "", nil))
			if err != nil {
				t.Fatal(err)
			}
			lay := templateLayouts[preset]
			wantRow := 2
			if lay.KeyRow {
				wantRow = 3
			}
			if info.Sheet != lay.Sheet || info.DataRow != wantRow || info.File != "built-in "+preset {
				t.Errorf("info = %+v", info)
			}
			f, err := excelize.OpenReader(bytes.NewReader(data))
			must(t, err)
			rows, _ := f.GetRows(lay.Sheet)
			if len(rows) != wantRow+1 || rows[wantRow-1][slicesIndexCode(lay)] != "00001" {
				t.Errorf("rows = %q", rows)
			}
			if lay.InstrSheet != "" && f.GetSheetList()[0] != lay.InstrSheet {
				t.Errorf("sheets = %v, want %s first", f.GetSheetList(), lay.InstrSheet)
			}
		})
	}
}

func slicesIndexCode(lay templateLayout) int {
	for i, c := range lay.Columns {
		if c.Source.Field == "customer_code" {
			return i
		}
	}
	return -1
}

// TestFillTemplateTwice: the same template and rows give the same bytes,
// and nothing in the file comes from the clock: no zip entry has a
// modification time (a time would change the bytes of a rerun a second
// later).
func TestFillTemplateTwice(t *testing.T) {
	for _, tt := range erpTemplates {
		path := writeTemplate(t, tt.build)
		a, _, _, err := encodeXLSX(templateRows(t, "02"), xlsxOpt(tt.preset, path, tt.columns))
		must(t, err)
		b, _, _, err := encodeXLSX(templateRows(t, "02"), xlsxOpt(tt.preset, path, tt.columns))
		must(t, err)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two fills differ", tt.preset)
		}
		zr, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
		must(t, err)
		for _, e := range zr.File {
			// DOS date and time 0, and no extended timestamp field.
			if e.ModifiedDate != 0 || e.ModifiedTime != 0 || len(e.Extra) != 0 {
				t.Errorf("%s: zip entry %s has the time %v (extra % x)", tt.preset, e.Name, e.Modified, e.Extra)
			}
		}
	}
}

func TestFillTemplateErrors(t *testing.T) {
	jdy := erpTemplates[2]
	tests := []struct {
		name    string
		build   func(*testing.T, *excelize.File)
		preset  string
		columns map[string]pipeline.TemplateSource
		rows    []categoryRow
		dataRow int
		want    []string // parts of the error
	}{
		{"header not found", func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "客户", []string{"编号", "名字"})
		}, "yonyou-u8", nil, nil, 0, []string{"header not found", "客户编码", "所属分类码", "template_columns"}},
		{"template_columns names a missing column", jdy.build, "jingdouyun",
			map[string]pipeline.TemplateSource{"所属组织": {Value: "100", Const: true}}, nil, 0, []string{"header not found", "所属组织"}},
		{"value longer than the validation", jdy.build, "jingdouyun", nil,
			[]categoryRow{catRow(t, map[string]string{"customer_code": "00009", "customer_name": strings.Repeat("长", 81), "erp_code": "02"})},
			0, []string{"column B (*客户名称)", "customer 00009", "at most 80"}},
		{"value not in the list", jdy.build, "jingdouyun", nil,
			[]categoryRow{catRow(t, map[string]string{"customer_code": "00009", "customer_name": "x", "erp_code": "A"})},
			0, []string{"column C (客户类别)", "not in the template's list (01, 02, 03)"}},
		{"list on another sheet", erpTemplates[3].build, "yonyou-u8", nil,
			[]categoryRow{catRow(t, map[string]string{"customer_code": "00009", "customer_name": "x", "erp_code": "03"})},
			0, []string{"column D (所属分类码)", "(01, 02, 0201)"}},
		{"a sample row below the header", func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "客户", []string{"代码", "名称", "客户类别"}, []string{"001", "示例客户", "01"})
		}, "kingdee-kis", nil, nil, 0, []string{"A2 = \"001\" below its header", "template_data_row: 3"}},
		{"a control character", jdy.build, "jingdouyun", nil,
			[]categoryRow{catRow(t, map[string]string{"customer_code": "00009", "customer_name": "甲\x01乙", "erp_code": "02"})},
			0, []string{"column B (*客户名称)", "customer 00009", "U+0001"}},
		{"text Excel reads as an escape", jdy.build, "jingdouyun", nil,
			[]categoryRow{catRow(t, map[string]string{"customer_code": "00009", "customer_name": "甲_x0041_", "erp_code": "02"})},
			0, []string{"column B (*客户名称)", "_x0041_"}},
		{"data row in the header", jdy.build, "jingdouyun", nil, nil, 2, []string{"template_data_row 2 is in the header"}},
		{"two sheets hold the header", func(t *testing.T, f *excelize.File) {
			sheetOf(t, f, "客户", []string{"代码", "名称", "客户类别"})
			sheetOf(t, f, "客户2", []string{"代码", "名称", "客户类别"})
		}, "kingdee-kis", nil, nil, 0, []string{"sheets 客户, 客户2 all hold the header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTemplate(t, tt.build)
			opt := xlsxOpt(tt.preset, path, tt.columns)
			opt.TemplateDataRow = tt.dataRow
			rows := tt.rows
			if rows == nil {
				rows = templateRows(t, "02")
			}
			_, _, _, err := encodeXLSX(rows, opt)
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("err = %v, want ErrTemplate", err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestTemplateDataRow: a second header row that custcat cannot tell from
// data is kept when the config says where the data starts.
func TestTemplateDataRow(t *testing.T) {
	path := writeTemplate(t, func(t *testing.T, f *excelize.File) {
		sheetOf(t, f, "客户", []string{"代码", "名称", "客户类别"}, []string{"文本", "文本", "文本"})
	})
	opt := xlsxOpt("kingdee-kis", path, nil)
	opt.TemplateDataRow = 3
	data, info, _, err := encodeXLSX(templateRows(t, "02"), opt)
	must(t, err)
	f, _ := excelize.OpenReader(bytes.NewReader(data))
	rows, _ := f.GetRows("客户")
	if info.HeaderRows != "1-2" || len(rows) != 4 || rows[1][0] != "文本" || rows[2][0] != "00001" {
		t.Errorf("header rows %s, rows %q", info.HeaderRows, rows)
	}
}

// TestFilledTemplatesInGnumeric opens every filled file in a real
// spreadsheet program (gnumeric's ssconvert, headless) and reads it back
// as CSV: the codes keep their zeros.
func TestFilledTemplatesInGnumeric(t *testing.T) {
	bin, err := exec.LookPath("ssconvert")
	if err != nil {
		t.Fatal("ssconvert is not installed: install Debian's gnumeric (apt-get install --no-install-recommends gnumeric); CI installs it")
	}
	// convert opens in with ssconvert and returns the lines of sheet as CSV.
	convert := func(t *testing.T, in, sheet string) []string {
		t.Helper()
		dir := t.TempDir()
		out := filepath.Join(dir, "sheet.csv")
		opts := "separator=, format=preserve"
		if sheet != "" {
			opts = "sheet='" + sheet + "' " + opts
		}
		cmd := exec.Command(bin, "-T", "Gnumeric_stf:stf_assistant", "-O", opts, in, out)
		cmd.Env = append(os.Environ(), "HOME="+dir)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ssconvert: %v\n%s", err, b)
		}
		text, err := os.ReadFile(out)
		must(t, err)
		return strings.Split(strings.TrimSpace(string(text)), "\n")
	}
	// What the .xlsx is for: the same program reads the CSV's codes as numbers.
	t.Run("csv loses the zeros", func(t *testing.T) {
		data, err := renderCategories(t, templateRows(t, "02")[:1], catOpt("kingdee", nil))
		must(t, err)
		in := filepath.Join(t.TempDir(), "categories.csv")
		must(t, os.WriteFile(in, data, 0o644))
		if lines := convert(t, in, ""); len(lines) != 2 || !strings.HasPrefix(lines[1], "1,") || !strings.HasSuffix(lines[1], ",2") {
			t.Errorf("ssconvert read the CSV as %q; want the zeros lost (1, 2), which the README warns of", lines)
		}
	})
	for _, tt := range erpTemplates {
		t.Run(tt.preset, func(t *testing.T) {
			dir := t.TempDir()
			data, _, _, err := encodeXLSX(templateRows(t, erpCodeOf(tt.preset)), xlsxOpt(tt.preset, writeTemplate(t, tt.build), tt.columns))
			must(t, err)
			in := filepath.Join(dir, "categories.xlsx")
			must(t, os.WriteFile(in, data, 0o644))
			lines := convert(t, in, tt.sheet)
			if len(lines) != tt.dataRow+1 {
				t.Fatalf("ssconvert read %d lines, want %d: %q", len(lines), tt.dataRow+1, lines)
			}
			row := strings.Split(lines[tt.dataRow-1], ",")
			for col, want := range tt.want {
				n, _ := excelize.ColumnNameToNumber(col)
				if got := row[n-1]; strings.Trim(got, `"`) != want {
					t.Errorf("ssconvert reads %s%d as %q, want %q (line %q)", col, tt.dataRow, got, want, lines[tt.dataRow-1])
				}
			}
		})
	}
	// The built-in layouts, written without a template.
	for _, preset := range pipeline.XLSXPresets {
		t.Run("built-in "+preset, func(t *testing.T) {
			data, info, _, err := encodeXLSX(templateRows(t, "02"), xlsxOpt(preset, "", nil))
			must(t, err)
			in := filepath.Join(t.TempDir(), "categories.xlsx")
			must(t, os.WriteFile(in, data, 0o644))
			lines := convert(t, in, info.Sheet)
			if len(lines) != info.DataRow+1 || !strings.Contains(lines[info.DataRow-1], "00001,") || !strings.Contains(lines[info.DataRow-1], ",02") {
				t.Errorf("ssconvert read %q; want 00001 and 02 in line %d", lines, info.DataRow)
			}
		})
	}
}

// TestERPExamples: each example of data/examples is a valid config whose
// codes are of the form its ERP takes, and fills its preset's layout.
func TestERPExamples(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("..", "data", "examples", "erp-*.yaml"))
	if err != nil || len(paths) != len(pipeline.XLSXPresets) {
		t.Fatalf("examples %v (%v), want one per preset %v", paths, err, pipeline.XLSXPresets)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			raw, err := os.ReadFile(path)
			must(t, err)
			cfg, problems := pipeline.ParseConfig(raw)
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			opt := cfg.Outputs.Categories
			if want := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "erp-"), ".yaml"); opt.Preset != want || !opt.IsXLSX() {
				t.Errorf("preset %s format %s, want %s as xlsx", opt.Preset, opt.Format, want)
			}
			if w := CodeWarnings(opt, cfg.Segments); len(w) > 0 {
				t.Errorf("code warnings: %v", w)
			}
			opt.Template = "" // the built-in layout stands in for the ERP's download
			if _, _, _, err := encodeXLSX(templateRows(t, cfg.Segments[0].ERPCode), opt); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestKeyRowHasCaptionsBelow: template_columns that name only the field
// keys of a 云星空 template still leave its caption row alone, also with
// the *Split* column that parts the entities of a head sheet.
func TestKeyRowHasCaptionsBelow(t *testing.T) {
	path := writeTemplate(t, func(t *testing.T, f *excelize.File) {
		sheetOf(t, f, "销售订单#基本信息(FBillHead)",
			[]string{"FBillHead(SAL_SaleOrder)", "FBillNo", "FCustId", "FCustId#Name", "*Split*1", "FSaleOrderFinance"},
			[]string{"基本信息(实体序号)", "(基本信息)单据编号", "(基本信息)客户#编码(*)", "(基本信息)客户#名称(Null)", "", "财务信息(实体序号)"})
	})
	opt := xlsxOpt("generic", path, map[string]pipeline.TemplateSource{
		"FBillHead(SAL_SaleOrder)": {Field: pipeline.RowNumber}, "FBillNo": {Field: "customer_code"}, "FCustId": {Field: "erp_code"}})
	data, info, _, err := encodeXLSX(templateRows(t, "02"), opt)
	must(t, err)
	f, _ := excelize.OpenReader(bytes.NewReader(data))
	rows, _ := f.GetRows(info.Sheet)
	if info.HeaderRows != "1-2" || info.DataRow != 3 || len(rows) != 4 || strings.Join(rows[2], ",") != "1,00001,02" {
		t.Errorf("header rows %s, data row %d, rows %q", info.HeaderRows, info.DataRow, rows)
	}
}

// TestGenericAndCustomAsXLSX: the CSV layouts as one sheet, one caption row.
func TestGenericAndCustomAsXLSX(t *testing.T) {
	custom := []pipeline.CategoryColumn{{Field: "customer_code", Header: "客户编码"}, {Field: "tags", Header: "标签"}}
	tests := []struct {
		name   string
		opt    pipeline.CategoryOutput
		header []string
		row    []string
	}{
		{"generic", xlsxOpt("generic", "", nil), CategoryColumns, []string{"00001", "华东贸易", "", "", "02", "大单"}},
		{"custom", catOpt("custom", func(o *pipeline.CategoryOutput) { o.Format, o.Columns = "xlsx", custom }), []string{"客户编码", "标签"}, []string{"00001", "大单"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, info, _, err := encodeXLSX(templateRows(t, "02"), tt.opt)
			must(t, err)
			f, _ := excelize.OpenReader(bytes.NewReader(data))
			rows, _ := f.GetRows("categories")
			if info.Sheet != "categories" || len(rows) != 3 || !cmp.Equal(rows[0], tt.header) || !cmp.Equal(rows[1][:len(tt.row)], tt.row) {
				t.Errorf("info %+v rows %q", info, rows)
			}
		})
	}
}

// TestTemplateColumnsOverPreset: an entry naming a preset column (by any
// of its names) changes what goes in it; others are added.
func TestTemplateColumnsOverPreset(t *testing.T) {
	cols, err := templateColumns(xlsxOpt("yonyou-u8", "", map[string]pipeline.TemplateSource{
		"cCusAbbName": {Field: "segment_name"}, "发展日期": {Value: "2026-01-01", Const: true}}))
	must(t, err)
	var got []string
	for _, c := range cols {
		got = append(got, c.Names[0]+"="+c.Source.Field+c.Source.Value)
	}
	want := []string{"客户编码=customer_code", "客户名称=customer_name", "cCusAbbName=segment_name", "所属分类码=erp_code", "发展日期=2026-01-01"}
	if !cmp.Equal(got, want) {
		t.Errorf("columns %q, want %q", got, want)
	}
}
