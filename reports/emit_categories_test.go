package reports

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"custcat/pipeline"
)

// catRow builds a customer row from the fields given; the rest stay empty.
func catRow(t *testing.T, fields map[string]string) categoryRow {
	t.Helper()
	r := categoryRow{key: fields["customer_code"], cells: make([]string, len(CategoryColumns))}
	for i, f := range CategoryColumns {
		r.cells[i] = fields[f]
	}
	return r
}

func catOpt(preset string, mod func(*pipeline.CategoryOutput)) pipeline.CategoryOutput {
	o := pipeline.DefaultConfig().Outputs.Categories
	o.Preset = preset
	if mod != nil {
		mod(&o)
	}
	return o
}

func renderCategories(t *testing.T, rows []categoryRow, opt pipeline.CategoryOutput) ([]byte, error) {
	t.Helper()
	cols, err := CategoryLayout(opt)
	if err != nil {
		t.Fatalf("layout: %v", err)
	}
	return encodeCategories(rows, cols, opt)
}

func TestCategoriesPresets(t *testing.T) {
	row := catRow(t, map[string]string{"customer_code": "C001", "customer_name": "华东贸易", "segment_code": "A",
		"segment_name": "大客户", "erp_code": "KH-A", "tags": "大单|偏好:饮料", "monetary": "12000.00", "frequency": "7"})
	plain := func(o *pipeline.CategoryOutput) { o.Encoding, o.LineEnd = "utf-8", "lf" }
	tests := []struct {
		name       string
		opt        pipeline.CategoryOutput
		header     string
		firstRow   string
		wantFields int
	}{
		{"kingdee", catOpt("kingdee", plain), "客户编码,客户名称,客户类别", "C001,华东贸易,KH-A", 3},
		{"yonyou", catOpt("yonyou", plain), "cCusCode,cCusName,cCCCode", "C001,华东贸易,KH-A", 3},
		{"generic", catOpt("generic", plain), strings.Join(CategoryColumns, ","),
			"C001,华东贸易,A,大客户,KH-A,大单|偏好:饮料,,,,,,7,12000.00,,,,,,,,,,,", len(CategoryColumns)},
		{"custom with tab", catOpt("custom", func(o *pipeline.CategoryOutput) {
			plain(o)
			o.Delimiter = "\t"
			o.Columns = []pipeline.CategoryColumn{{Field: "customer_code", Header: "客户编码"}, {Field: "tags", Header: "标签"}, {Field: "monetary", Header: "金额"}}
		}), "客户编码\t标签\t金额", "C001\t大单|偏好:饮料\t12000.00", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderCategories(t, []categoryRow{row}, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(string(got), "\n")
			if len(lines) != 3 || lines[2] != "" {
				t.Fatalf("want header, one row and a final newline; got %q", got)
			}
			if lines[0] != tt.header {
				t.Errorf("header = %q, want %q", lines[0], tt.header)
			}
			if lines[1] != tt.firstRow {
				t.Errorf("row = %q, want %q", lines[1], tt.firstRow)
			}
			if n := len(strings.Split(lines[0], string(tt.opt.Delimiter))); n != tt.wantFields {
				t.Errorf("header has %d fields, want %d", n, tt.wantFields)
			}
		})
	}
}

// TestCategoryLayoutKnowsEveryPreset keeps the config's preset names and
// the layouts here in step.
func TestCategoryLayoutKnowsEveryPreset(t *testing.T) {
	for _, preset := range []string{"generic", "kingdee", "yonyou"} {
		cfg, problems := pipeline.ParseConfig([]byte("outputs:\n  categories:\n    preset: " + preset + "\n"))
		if len(problems) > 0 {
			t.Fatalf("%s: %v", preset, problems)
		}
		if _, err := CategoryLayout(cfg.Outputs.Categories); err != nil {
			t.Errorf("%s: %v", preset, err)
		}
	}
	for _, preset := range pipeline.XLSXPresets {
		cfg, problems := pipeline.ParseConfig([]byte("outputs:\n  categories:\n    preset: " + preset + "\n"))
		if len(problems) > 0 {
			t.Fatalf("%s: %v", preset, problems)
		}
		if _, ok := templateLayouts[preset]; !ok || !cfg.Outputs.Categories.IsXLSX() {
			t.Errorf("%s: no template layout, or not written as xlsx", preset)
		}
	}
}

func TestCategoriesEncodings(t *testing.T) {
	rows := []categoryRow{catRow(t, map[string]string{"customer_code": "C001", "customer_name": "华东贸易", "erp_code": "A"})}
	gbk客户编码 := []byte{0xbf, 0xcd, 0xbb, 0xa7, 0xb1, 0xe0, 0xc2, 0xeb}
	tests := []struct {
		name     string
		encoding string
		lineEnd  string
		prefix   []byte // what the file must start with
		decode   func([]byte) ([]byte, error)
	}{
		{"utf-8 with BOM, crlf", "utf-8-bom", "crlf", []byte("\ufeff客户编码"), nil},
		{"utf-8, lf", "utf-8", "lf", []byte("客户编码"), nil},
		{"gbk, crlf", "gbk", "crlf", gbk客户编码, simplifiedchinese.GBK.NewDecoder().Bytes},
		{"gb18030, lf", "gb18030", "lf", gbk客户编码, simplifiedchinese.GB18030.NewDecoder().Bytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := renderCategories(t, rows, catOpt("kingdee", func(o *pipeline.CategoryOutput) { o.Encoding, o.LineEnd = tt.encoding, tt.lineEnd }))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, tt.prefix) {
				t.Fatalf("file starts % x, want % x", got[:min(len(got), 12)], tt.prefix)
			}
			if tt.encoding != "utf-8-bom" && bytes.HasPrefix(got, []byte("\ufeff")) {
				t.Errorf("%s file has a BOM", tt.encoding)
			}
			text := got
			if tt.decode != nil {
				if text, err = tt.decode(got); err != nil {
					t.Fatalf("decode: %v", err)
				}
			}
			eol := "\n"
			if tt.lineEnd == "crlf" {
				eol = "\r\n"
			}
			want := "客户编码,客户名称,客户类别" + eol + "C001,华东贸易,A" + eol
			if s := strings.TrimPrefix(string(text), "\ufeff"); s != want {
				t.Errorf("decoded = %q, want %q", s, want)
			}
		})
	}
}

func TestCategoriesUnencodable(t *testing.T) {
	rows := []categoryRow{
		catRow(t, map[string]string{"customer_code": "C001", "customer_name": "华东贸易", "erp_code": "A"}),
		catRow(t, map[string]string{"customer_code": "C007", "customer_name": "笑脸商店😀", "erp_code": "B"}),
	}
	tests := []struct {
		name     string
		encoding string
		wantErr  bool
	}{
		{"gbk refuses an emoji", "gbk", true},
		{"gb18030 holds it", "gb18030", false},
		{"utf-8 holds it", "utf-8-bom", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := renderCategories(t, rows, catOpt("kingdee", func(o *pipeline.CategoryOutput) { o.Encoding = tt.encoding }))
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrUnencodable) {
				t.Fatalf("err = %v, want ErrUnencodable", err)
			}
			for _, want := range []string{"customer C007", "客户名称", "gbk"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}

func TestCategoriesNeutraliseFormulas(t *testing.T) {
	tests := []struct {
		name  string
		field string
		value string
		want  string
	}{
		{"hyperlink name", "customer_name", `=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"at sign name", "customer_name", "@SUM(A1)", "'@SUM(A1)"},
		{"plus code", "customer_code", "+86123", "'+86123"},
		{"minus tag", "tags", "-1+1", "'-1+1"},
		{"tab name", "customer_name", "\tx", "'\tx"},
		{"carriage return name", "customer_name", "\rx", "'\rx"},
		{"plain name", "customer_name", "华东贸易", "华东贸易"},
		{"negative monetary", "monetary", "-12.50", "-12.50"},
		{"negative trend", "trend_ratio", "-0.5000", "-0.5000"},
		{"formula in a numeric column", "monetary", "=1+1", "'=1+1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := map[string]string{"customer_code": "C001", "erp_code": "A"}
			fields[tt.field] = tt.value
			got, err := renderCategories(t, []categoryRow{catRow(t, fields)}, catOpt("generic", func(o *pipeline.CategoryOutput) {
				// encoding/csv drops a bare carriage return from values when it writes CRLF.
				o.LineEnd = "lf"
			}))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tt.value, "\r") {
				// encoding/csv reads a bare carriage return as nothing; look at the bytes.
				if !bytes.Contains(got, []byte(`"`+tt.want+`"`)) {
					t.Errorf("file %q lacks %q", got, tt.want)
				}
				return
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(got, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatalf("read back: %v", err)
			}
			col := -1
			for i, h := range recs[0] {
				if h == tt.field {
					col = i
				}
			}
			if cell := recs[1][col]; cell != tt.want {
				t.Errorf("%s = %q, want %q", tt.field, cell, tt.want)
			}
		})
	}
}

func TestCategoriesConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		problem string // part of the one problem expected; empty for none
		check   func(t *testing.T, o pipeline.CategoryOutput)
	}{
		{"defaults", "", "", func(t *testing.T, o pipeline.CategoryOutput) {
			if o.Preset != "generic" || o.Encoding != "utf-8-bom" || o.LineEnd != "crlf" || o.Delimiter != "," || o.Mode != "full" {
				t.Errorf("defaults = %+v", o)
			}
		}},
		{"delimiter by name, header defaults to field", "{preset: custom, delimiter: tab, encoding: GBK, columns: [{field: erp_code}]}", "", func(t *testing.T, o pipeline.CategoryOutput) {
			if o.Delimiter != "\t" || o.Encoding != "gbk" || o.Columns[0].Header != "erp_code" {
				t.Errorf("got %+v", o)
			}
		}},
		{"unknown preset", "{preset: sap}", `preset "sap" is unknown`, nil},
		{"custom without columns", "{preset: custom}", "columns is empty", nil},
		{"columns without custom", "{preset: kingdee, columns: [{field: tags}]}", "write preset: custom", nil},
		{"unknown field", "{preset: custom, columns: [{field: phone, header: 电话}]}", `field "phone" is unknown`, nil},
		{"unknown encoding", "{encoding: big5}", `encoding "big5" is unknown`, nil},
		{"unknown line end", "{line_end: cr}", `line_end "cr" is unknown`, nil},
		{"unknown delimiter", "{delimiter: '#'}", `delimiter "#" is unknown`, nil},
		{"unknown mode", "{mode: diff}", `mode "diff" is unknown`, nil},
		{"misspelt key", "{preset: kingdee, encodng: gbk}", `did you mean "encoding"`, nil},
		{"xlsx preset writes xlsx", "{preset: kingdee-cloud, template_columns: {FCreateOrgId: {value: \"100\"}, FGroup: segment_code}}", "", func(t *testing.T, o pipeline.CategoryOutput) {
			want := map[string]pipeline.TemplateSource{"FCreateOrgId": {Value: "100", Const: true}, "FGroup": {Field: "segment_code"}}
			if !o.IsXLSX() || len(o.TemplateColumns) != 2 || o.TemplateColumns["FCreateOrgId"] != want["FCreateOrgId"] || o.TemplateColumns["FGroup"] != want["FGroup"] {
				t.Errorf("got %+v", o)
			}
		}},
		{"a template makes generic xlsx", "{template: t.xlsx, template_columns: {客户编码: customer_code}}", "", func(t *testing.T, o pipeline.CategoryOutput) {
			if o.Format != "xlsx" {
				t.Errorf("format = %q", o.Format)
			}
		}},
		{"csv stays csv", "{preset: yonyou}", "", func(t *testing.T, o pipeline.CategoryOutput) {
			if o.Format != "csv" {
				t.Errorf("format = %q", o.Format)
			}
		}},
		{"generic template without columns", "{template: t.xlsx}", "template_columns is empty", nil},
		{"xlsx preset as csv", "{preset: yonyou-u8, format: csv}", "format is csv but preset yonyou-u8", nil},
		{"xls template", "{preset: yonyou-u8, template: 客户.xls}", "save it as .xlsx", nil},
		{"csv preset with a template", "{preset: yonyou, template: t.xlsx, format: xlsx}", "write preset: yonyou-u8", nil},
		{"template columns without a template", "{preset: kingdee, template_columns: {a: tags}}", "there is no template", nil},
		{"template column of an unknown field", "{preset: jingdouyun, template_columns: {手机: phone}}", `template_columns.手机: field "phone" is unknown`, nil},
		{"template column with a bad mapping", "{preset: jingdouyun, template_columns: {手机: {text: x}}}", `unknown key "text"`, nil},
		{"unknown format", "{format: xls}", `format "xls" is unknown`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := ""
			if tt.yaml != "" {
				raw = "outputs:\n  categories: " + tt.yaml + "\n"
			}
			cfg, problems := pipeline.ParseConfig([]byte(raw))
			switch {
			case tt.problem == "" && len(problems) > 0:
				t.Fatalf("problems: %v", problems)
			case tt.problem != "" && (len(problems) != 1 || !strings.Contains(problems[0], tt.problem)):
				t.Fatalf("problems %q, want one with %q", problems, tt.problem)
			}
			if tt.check != nil {
				tt.check(t, cfg.Outputs.Categories)
			}
		})
	}
}
