package pipeline

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// The category file in the ERP's own import form (.xlsx).

// XLSXPresets are the presets that write the import template of an ERP
// as .xlsx; reports/emit_template_presets.go holds their layouts.
var XLSXPresets = []string{"kingdee-cloud", "kingdee-kis", "jingdouyun", "yonyou-u8", "yonyou-tplus"}

// RowNumber is the source of a template column that takes the row's
// number, 1, 2, ...: the entity sequence (实体序号) of a 云星空 template.
const RowNumber = "row_number"

// TemplateSource is what goes into a template column: a field of
// CategoryFields (or RowNumber), or a constant such as the organisation.
// YAML: `FNumber: customer_code`, or `FCreateOrgId: {value: "100"}`.
type TemplateSource struct {
	Field string
	Value string
	Const bool
}

// UnmarshalYAML takes a field name, or a mapping with value (or field).
func (s *TemplateSource) UnmarshalYAML(b []byte) error {
	var field string
	if err := yaml.Unmarshal(b, &field); err == nil {
		s.Field = field
		return nil
	}
	var m map[string]string
	if err := yaml.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("write a field such as customer_code, or {value: \"text\"}")
	}
	for k, v := range m {
		switch k {
		case "value":
			s.Value, s.Const = v, true
		case "field":
			s.Field = v
		default:
			return fmt.Errorf("unknown key %q; write {value: \"text\"} or {field: customer_code}", k)
		}
	}
	if s.Const == (s.Field != "") {
		return fmt.Errorf("write either {value: \"text\"} or {field: customer_code}")
	}
	return nil
}

// IsXLSX says whether the category file is written as .xlsx.
func (o CategoryOutput) IsXLSX() bool { return o.Format == "xlsx" }

// validateTemplate checks the keys of the .xlsx form; withDefaults set the format.
func (o CategoryOutput) validateTemplate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	const at = "outputs.categories"
	xlsxPreset := slices.Contains(XLSXPresets, o.Preset)
	switch {
	case o.Format != "csv" && o.Format != "xlsx":
		add("%s.format %q is unknown; write csv or xlsx", at, o.Format)
	case o.Format == "csv" && xlsxPreset:
		add("%s.format is csv but preset %s is the ERP's .xlsx import template; write format: xlsx, or a CSV preset (generic, custom, kingdee, yonyou)", at, o.Preset)
	case o.Format == "csv" && o.Template != "":
		add("%s.format is csv but a template is set; a template is filled as .xlsx: write format: xlsx", at)
	}
	if o.Template != "" {
		if ext := strings.ToLower(filepath.Ext(o.Template)); ext != ".xlsx" {
			add("%s.template %q is not an .xlsx file; open the template in Excel or WPS and save it as .xlsx (Excel 工作簿)", at, o.Template)
		}
		if o.Preset == "kingdee" || o.Preset == "yonyou" {
			add("%s.template is set but preset %s is a CSV layout; write preset: %s, or generic with template_columns", at, o.Preset, map[string]string{"kingdee": "kingdee-cloud", "yonyou": "yonyou-u8"}[o.Preset])
		}
		if (o.Preset == "generic" || o.Preset == "custom") && len(o.TemplateColumns) == 0 {
			add("%s.template is set but template_columns is empty; write which template column takes which field, such as template_columns: {客户编码: customer_code, 客户类别: erp_code}", at)
		}
	}
	if len(o.TemplateColumns) > 0 && o.Template == "" && !xlsxPreset {
		add("%s.template_columns is set but there is no template; write template: the .xlsx downloaded from the ERP", at)
	}
	for _, name := range slices.Sorted(maps.Keys(o.TemplateColumns)) {
		src := o.TemplateColumns[name]
		if strings.TrimSpace(name) == "" {
			add("%s.template_columns has an empty column name", at)
		}
		if !src.Const && !slices.Contains(CategoryFields, src.Field) && src.Field != RowNumber {
			add("%s.template_columns.%s: field %q is unknown; write one of %s, %s, or {value: \"text\"}", at, name, src.Field, strings.Join(CategoryFields, ", "), RowNumber)
		}
	}
	if o.TemplateDataRow < 0 {
		add("%s.template_data_row is %d; write the number of the first data row, such as 3", at, o.TemplateDataRow)
	}
	return p
}
