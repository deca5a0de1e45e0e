package jobs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"custcat/pipeline"
	"custcat/reports"
)

// u8Config fills a U8 客户档案 template, with U8 客户分类 codes; the
// customer codes of zeroExport keep their zeros.
const u8Config = `outputs: {categories: {preset: yonyou-u8, template: 客户档案模板.xlsx, mode: delta}}
segments:
  - {code: A, name: 大客户, erp_code: "01", when: "m_score >= 4"}
  - {code: B, name: 一般客户, erp_code: "02", when: "m_score >= 2"}
  - {code: C, name: 潜在客户, erp_code: "0301", when: "true"}
`

const zeroExport = `单据日期,单据编号,客户编码,客户名称,价税合计
2026-01-05,XS001,00001,华东贸易,6000
2026-02-10,XS002,00001,华东贸易,5000
2026-02-11,XS003,00002,华南商行,800
2026-03-01,XS004,00003,华北批发,1200
`

// writeU8Template writes a 客户档案 template beside the config: a merged
// title row, captions, the field names, a length rule on 客户简称.
func writeU8Template(t *testing.T, cfg *pipeline.Config, captions, keys []string) {
	t.Helper()
	if captions == nil {
		captions = []string{"客户编码", "客户名称", "客户简称", "所属分类码"}
	}
	if keys == nil {
		keys = []string{"cCusCode", "cCusName", "cCusAbbName", "cCCCode"}
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "客户档案"); err != nil {
		t.Fatal(err)
	}
	rows := [][]string{{"客户档案导入"}, captions, keys}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr("客户档案", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.MergeCell("客户档案", "A1", "D1"); err != nil {
		t.Fatal(err)
	}
	dv := excelize.NewDataValidation(true)
	dv.Sqref = "C4:C5000"
	if err := dv.SetRange(0, 4, excelize.DataValidationTypeTextLength, excelize.DataValidationOperatorBetween); err != nil {
		t.Fatal(err)
	}
	if err := f.AddDataValidation("客户档案", dv); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(filepath.Join(filepath.Dir(cfg.Path("x")), "客户档案模板.xlsx")); err != nil {
		t.Fatal(err)
	}
}

// readXLSXCategories returns the data rows of out/categories.xlsx (from
// row 4 of sheet 客户档案), its bytes and the manifest.
func readXLSXCategories(t *testing.T, cfg *pipeline.Config) ([][]string, []byte, reports.Manifest) {
	t.Helper()
	path := filepath.Join(cfg.Path(cfg.Out), "categories.xlsx")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("客户档案")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 3 || strings.Join(rows[1], ",") != "客户编码,客户名称,客户简称,所属分类码" || rows[0][0] != "客户档案导入" {
		t.Fatalf("header rows changed: %q", rows[:min(len(rows), 3)])
	}
	_, m, _ := readManifest(t, cfg)
	return rows[3:], data, m
}

func readManifest(t *testing.T, cfg *pipeline.Config) ([]byte, reports.Manifest, error) {
	t.Helper()
	mj, err := os.ReadFile(filepath.Join(cfg.Path(cfg.Out), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m reports.Manifest
	if err := json.Unmarshal(mj, &m); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	return mj, m, nil
}

func TestRunCategoriesTemplateDelta(t *testing.T) {
	cfg := outputsStore(t, u8Config, map[string]string{"sales1.csv": zeroExport})
	writeU8Template(t, cfg, nil, nil)
	steps := []struct {
		name  string
		files map[string]string
		want  []string // rows: code name short category
	}{
		{"first delta holds every customer", nil, []string{"00001 华东贸易 华东贸易 01", "00002 华南商行 华南商行 0301", "00003 华北批发 华北批发 02"}},
		{"after a change only the changed customer", map[string]string{"sales2.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2026-03-20,XS010,00002,华南商行,20000\n"},
			[]string{"00002 华南商行 华南商行 01"}},
		{"a rerun on the same inputs repeats the delta", nil, []string{"00002 华南商行 华南商行 01"}},
		{"after no change no customer", map[string]string{"sales3.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2026-01-05,XS001,00001,华东贸易,6000\n"}, nil},
	}
	var prev []byte
	for i, s := range steps {
		addInbox(t, cfg, s.files)
		if err := runAsOf(t, cfg); err != nil {
			t.Fatalf("%s: run: %v", s.name, err)
		}
		rows, data, m := readXLSXCategories(t, cfg)
		var got []string
		for _, r := range rows {
			got = append(got, strings.Join(r, " "))
		}
		if strings.Join(got, "|") != strings.Join(s.want, "|") {
			t.Errorf("%s: rows %q, want %q", s.name, got, s.want)
		}
		sum := sha256.Sum256(data)
		if m.Rows != len(s.want) || m.Mode != "delta" || m.Format != "xlsx" || m.File != "categories.xlsx" || m.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: manifest %+v", s.name, m)
		}
		if m.Template == nil || m.Template.File != "客户档案模板.xlsx" || m.Template.Sheet != "客户档案" || m.Template.HeaderRows != "2-3" || m.Template.DataRow != 4 {
			t.Errorf("%s: manifest template %+v", s.name, m.Template)
		}
		if i == 2 && !bytes.Equal(data, prev) {
			t.Errorf("%s: the rerun wrote other bytes", s.name)
		}
		prev = data
	}
	if _, m, _ := readManifest(t, cfg); m.Categories != nil && len(m.Categories) != 0 {
		t.Errorf("empty delta counts categories %v", m.Categories)
	}
}

func TestRunCategoriesTemplateSameBytes(t *testing.T) {
	var files [2][]byte
	for i := range files {
		cfg := outputsStore(t, strings.Replace(u8Config, "mode: delta", "mode: full", 1), map[string]string{"sales1.csv": zeroExport})
		writeU8Template(t, cfg, nil, nil)
		if err := runAsOf(t, cfg); err != nil {
			t.Fatal(err)
		}
		_, data, m := readXLSXCategories(t, cfg)
		files[i] = data
		if m.Categories["01"] != 1 || m.Categories["02"] != 1 || m.Categories["0301"] != 1 || m.Mode != "full" {
			t.Errorf("manifest categories %v mode %s", m.Categories, m.Mode)
		}
		// The report's account of the file for the ERP.
		html, err := os.ReadFile(filepath.Join(cfg.Path(cfg.Out), "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`<h3 id="erp-file">ERP 导入文件</h3>`, "<td>categories.xlsx</td>", "<td>全部客户</td>",
			"客户档案模板.xlsx (sha256 " + m.Template.SHA256[:12] + "…)，工作表 客户档案，表头第 2-3 行，数据从第 4 行起", "01: 1, 02: 1, 0301: 1"} {
			if !strings.Contains(string(html), want) {
				t.Errorf("report.html lacks %q", want)
			}
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs over the same data and template wrote different .xlsx files")
	}
}

// TestRunCategoriesTemplateRefused: a template custcat cannot fill fails
// the run with an error naming the column, and the file in place stays.
func TestRunCategoriesTemplateRefused(t *testing.T) {
	tests := []struct {
		name   string
		spoil  func(t *testing.T, cfg *pipeline.Config)
		inbox  map[string]string
		wanted []string
	}{
		{"header not found", func(t *testing.T, cfg *pipeline.Config) {
			writeU8Template(t, cfg, []string{"编号", "客户名称", "客户简称", "分类"}, []string{"code", "name", "abbr", "class"})
		}, nil, []string{"header not found", "客户编码", "所属分类码"}},
		{"a value longer than the validation", nil,
			map[string]string{"sales2.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2026-03-20,XS010,00009,一家名字很长的公司,20000\n"},
			[]string{"column C (客户简称)", "customer 00009", "at most 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := outputsStore(t, u8Config, map[string]string{"sales1.csv": zeroExport})
			writeU8Template(t, cfg, nil, nil)
			if err := runAsOf(t, cfg); err != nil {
				t.Fatal(err)
			}
			_, before, _ := readXLSXCategories(t, cfg)
			manifest, _, _ := readManifest(t, cfg)
			if tt.spoil != nil {
				tt.spoil(t, cfg)
			}
			addInbox(t, cfg, tt.inbox)
			addInbox(t, cfg, map[string]string{"sales9.csv": "单据日期,单据编号,客户编码,客户名称,价税合计\n2026-03-21,XS011,00003,华北批发,30000\n"})
			err := runAsOf(t, cfg)
			if !errors.Is(err, reports.ErrTemplate) {
				t.Fatalf("err = %v, want ErrTemplate", err)
			}
			for _, w := range tt.wanted {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			_, after, _ := readXLSXCategories(t, cfg)
			if !bytes.Equal(before, after) {
				t.Error("categories.xlsx changed by the failed run")
			}
			if m, _, _ := readManifest(t, cfg); !bytes.Equal(m, manifest) {
				t.Error("manifest.json changed by the failed run")
			}
		})
	}
}

// TestRunCategoriesStaleCSV: after the config turns from CSV to .xlsx, the
// manifest warns of the categories.csv still in out.
func TestRunCategoriesStaleCSV(t *testing.T) {
	cfg := outputsStore(t, "", map[string]string{"sales1.csv": zeroExport})
	if err := runAsOf(t, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Outputs.Categories.Preset, cfg.Outputs.Categories.Format = "yonyou-u8", "xlsx"
	if err := runAsOf(t, cfg); err != nil {
		t.Fatal(err)
	}
	_, m, _ := readManifest(t, cfg)
	if m.File != "categories.xlsx" || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "categories.csv in the out folder is from runs before") {
		t.Errorf("manifest file %s warnings %q", m.File, m.Warnings)
	}
}
