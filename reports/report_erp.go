package reports

import (
	"fmt"
	"maps"
	"slices"
)

// erpFile is the report's account of the category file the run wrote for
// the ERP: what it holds and what it was filled from, so that whoever
// imports it sees what the ERP will take in.
type erpFile struct {
	T          map[string]string
	File       string
	Format     string
	Mode       string
	Rows       int64
	Categories []labelled
	Template   string
}

var erpTexts = map[string]map[string]string{
	"zh": {"title": "ERP 导入文件", "file": "文件", "format": "格式", "mode": "方式", "rows": "行数",
		"categories": "各类别行数", "template": "模板", "full": "全部客户", "delta": "仅变动的客户",
		"builtin": "内置 %s 版式 (未使用从 ERP 下载的模板)", "from": "%s (sha256 %s…)，工作表 %s，表头第 %s 行，数据从第 %d 行起",
		"none": "本次文件没有客户行：没有客户的类别或标签发生变化。"},
	"en": {"title": "The file for the ERP", "file": "File", "format": "Format", "mode": "Mode", "rows": "Rows",
		"categories": "Rows per category", "template": "Template", "full": "every customer", "delta": "only the customers that changed",
		"builtin": "the built-in %s layout (no template downloaded from the ERP)", "from": "%s (sha256 %s…), sheet %s, header row(s) %s, data from row %d",
		"none": "The file holds no customer: no category or tag changed."},
}

// erpFileOf describes m for the report; nil when the report is not of a run.
func erpFileOf(m *Manifest, lang string) *erpFile {
	if m == nil {
		return nil
	}
	t := erpTexts[lang]
	if t == nil {
		t = erpTexts["zh"]
	}
	e := &erpFile{T: t, File: m.File, Format: m.Format, Mode: t[m.Mode], Rows: int64(m.Rows)}
	for _, code := range slices.Sorted(maps.Keys(m.Categories)) {
		e.Categories = append(e.Categories, labelled{Label: code, Value: int64(m.Categories[code])})
	}
	switch tm := m.Template; {
	case tm == nil:
	case tm.SHA256 == "":
		e.Template = fmt.Sprintf(t["builtin"], m.Preset)
	default:
		e.Template = fmt.Sprintf(t["from"], tm.File, tm.SHA256[:12], tm.Sheet, tm.HeaderRows, tm.DataRow)
	}
	return e
}
