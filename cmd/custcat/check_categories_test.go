package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

func TestCheckCategoryFile(t *testing.T) {
	tests := []struct {
		name     string
		config   string
		template string // a template file beside the config, as text rows separated by |; empty: none
		code     int
		want     []string // in stdout, or stderr when code is not 0
		not      []string
	}{
		{"云星空 without erp codes", "outputs: {categories: {preset: kingdee-cloud}}\n", "", 0,
			[]string{`warning: segments[0] (A): erp_code is "A", the segment's own code`, "KHLB001_SYS",
				"category file: categories.xlsx, preset kingdee-cloud, mode full, from built-in kingdee-cloud: sheet 客户#基本信息(FBillHead), header row(s) 1-2 kept, data from row 3"}, nil},
		{"云星空 with its codes", `outputs: {categories: {preset: kingdee-cloud}}
segments:
  - {code: A, erp_code: KHLB001_SYS, when: "m_score >= 4"}
  - {code: C, erp_code: KHLB003, when: "true"}
`, "", 0, []string{"category file: categories.xlsx"}, []string{"warning"}},
		{"U8 with a name for a code", `outputs: {categories: {preset: yonyou-u8}}
segments:
  - {code: A, erp_code: "01", when: "m_score >= 4"}
  - {code: C, erp_code: 潜在客户, when: "true"}
`, "", 0, []string{`segments[1] (C): erp_code "潜在客户" is not of the form 用友U8 takes`, "客户分类"}, []string{"segments[0]"}},
		{"a template a run can fill", "outputs: {categories: {preset: jingdouyun, template: 客户导入模板.xlsx}}\n", "客户导入模板|客户编码,客户名称,客户类别", 0,
			[]string{"from 客户导入模板.xlsx: sheet Sheet1, header row(s) 2 kept, data from row 3"}, nil},
		{"a template without the header", "outputs: {categories: {preset: jingdouyun, template: 客户导入模板.xlsx}}\n", "编号,名字", exitConfig,
			[]string{"category file:", "header not found", "客户编码"}, nil},
		{"a csv file", "outputs: {categories: {preset: kingdee}}\n", "", 0, []string{"category file: categories.csv, preset kingdee"}, []string{"warning"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := inboxCase(t, tt.config, nil)
			if tt.template != "" {
				writeTextTemplate(t, filepath.Join(dir, "客户导入模板.xlsx"), tt.template)
			}
			code, out, errOut := custcat(t, "check", "-c", filepath.Join(dir, "custcat.yaml"))
			if code != tt.code {
				t.Fatalf("exit %d, want %d:\n%s%s", code, tt.code, out, errOut)
			}
			text := out
			if code != 0 {
				text = errOut
			}
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("check lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(out, w) {
					t.Errorf("check says %q:\n%s", w, out)
				}
			}
		})
	}
}

// writeTextTemplate writes an .xlsx of one sheet whose rows are given as
// "a,b|c,d".
func writeTextTemplate(t *testing.T, path, rows string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for r, row := range strings.Split(rows, "|") {
		for c, v := range strings.Split(row, ",") {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
