package reports

import (
	"context"
	"encoding/json"
	"html/template"
	"regexp"
	"strings"
)

// palette gives each segment, by its place in the rules, a colour of its
// own in every chart: sixteen colours no two of which are near each other
// (at least 75 apart in RGB; from Kelly's and Trubetskoy's lists of
// distinct colours), the first three those of A, B and C.
var palette = []string{
	"#0067a5", "#f38400", "#008856", "#e6194b", "#875692", "#42d4f4", "#800000", "#bfef45",
	"#f032e6", "#ff9da7", "#808000", "#000075", "#59a14f", "#76b7b2", "#4363d8", "#a08c5b",
}

// otherColor is for a segment the snapshot no longer has.
const otherColor = "#9ca3af"

func segmentColor(i int) string { return palette[i%len(palette)] }

// segmentColor is the colour of a segment by its rule order; grey for a
// segment the snapshot no longer has.
func (p *page) segmentColor(code string) string {
	if i, ok := p.segmentRank[code]; ok {
		return segmentColor(i)
	}
	return otherColor
}

// The page script draws the charts from their options (report_echarts.go) and fills the table
// and the cards from the packed customers. The JSON goes into a script
// element of type application/json; encoding/json escapes <, > and &, so
// no text from an export can close that element or become markup.

type segmentData struct {
	Code      string  `json:"code"`
	Label     string  `json:"label"`
	Color     string  `json:"color"`
	Customers int64   `json:"customers"`
	Revenue   float64 `json:"revenue"`
}

type ruleData struct {
	Code string `json:"code,omitempty"`
	Name string `json:"name"`
	When string `json:"when"`
}

type cutData struct {
	Metric    string    `json:"metric"`
	Method    string    `json:"method"`
	Cuts      []float64 `json:"cuts"`
	Collapsed bool      `json:"collapsed"`
}

type histData struct {
	Start  float64 `json:"start"`
	Width  float64 `json:"width"`
	Counts []int64 `json:"counts"`
	Open   bool    `json:"open"`
}

type pageJSON struct {
	Lang      string                  `json:"lang"`
	AsOf      string                  `json:"asOf"`
	PrevDate  string                  `json:"prevDate"`
	Currency  string                  `json:"currency"`
	T         map[string]string       `json:"t"`
	Segments  []segmentData           `json:"segments"`
	Labels    map[string]string       `json:"labels"` // every segment code of the history -> its label
	Colors    map[string]string       `json:"colors"`
	Charts    map[string]bool         `json:"charts"`
	Options   map[string]interface{}  `json:"options"` // chart id -> its ECharts options, built with go-echarts (report_echarts.go)
	Moves     []moveRow               `json:"moves"`
	Hist      map[string]histData     `json:"hist"`
	Rules     []ruleData              `json:"rules"`
	TagRules  []ruleData              `json:"tagRules"`
	PrefTag   string                  `json:"prefTag"`
	PrefShare float64                 `json:"prefShare"`
	Downgrade int                     `json:"downgradeAfter"`
	ParetoAB  [2]float64              `json:"paretoAB"`
	Cuts      []cutData               `json:"cuts"`
	Manual    map[string][]manualLine `json:"manual"`
	Customers string                  `json:"customers"` // the columnar table, gzipped, in base85
	Pinyin    map[string]string       `json:"pinyin"`    // initial -> the common characters it begins
}

// pageData reads the customers and gathers every figure the page script
// needs into one JSON document.
func pageData(ctx context.Context, q Querier, d *reportData, p *page, opt ReportOptions) (template.JS, error) {
	names := map[string]string{}
	if err := queryRows(ctx, q, "ReportSegmentNames", []any{opt.AsOf}, func(s scanner) error {
		var c, n string
		err := s.Scan(&c, &n)
		names[c] = n
		return err
	}); err != nil {
		return "", err
	}
	// Lists are [] rather than null in the JSON, also for a date with no snapshot.
	j := pageJSON{Lang: p.Lang, AsOf: opt.AsOf, PrevDate: d.PrevDate, Currency: currency, T: scriptTexts(p.Lang), Pinyin: pinyinInitials,
		Labels: map[string]string{}, Colors: map[string]string{}, Moves: orEmpty(d.Moves), Hist: map[string]histData{},
		Segments: []segmentData{}, Rules: []ruleData{}, TagRules: []ruleData{}, Cuts: []cutData{}}
	for code, name := range names {
		if _, ok := p.segmentLabel[code]; !ok {
			j.Labels[code] = code + " " + segmentName(p.Lang, code, name)
			j.Colors[code] = otherColor
		}
	}
	for _, s := range d.Segments {
		j.Segments = append(j.Segments, segmentData{Code: s.Code, Label: p.segmentLabel[s.Code], Color: p.segmentColor(s.Code),
			Customers: s.Customers, Revenue: round2(s.Revenue)})
		j.Labels[s.Code] = p.segmentLabel[s.Code]
		j.Colors[s.Code] = p.segmentColor(s.Code)
		names[s.Code] = s.Name
	}
	j.Options = chartOptions(d, p, j.Labels, j.Colors)
	for m, h := range d.Histograms {
		j.Hist[m] = histData{Start: h.Start, Width: h.Width, Counts: h.Counts, Open: h.Open}
	}
	if cfg := opt.Config; cfg != nil {
		for _, r := range cfg.Segments {
			j.Rules = append(j.Rules, ruleData{Code: r.Code, Name: segmentName(p.Lang, r.Code, r.Name), When: r.When})
		}
		for _, r := range cfg.Tags {
			j.TagRules = append(j.TagRules, ruleData{Name: r.Name, When: r.When})
		}
		if cfg.Preference.Share > 0 {
			j.PrefTag, j.PrefShare = cfg.Preference.Prefix, cfg.Preference.Share
		}
		j.Downgrade = cfg.DowngradeAfterRuns
		j.ParetoAB = [2]float64{cfg.Scoring.Pareto.A, cfg.Scoring.Pareto.B}
	}
	j.Manual = manualLines(opt.Config, opt.AsOf)
	if err := queryRows(ctx, q, "ReportCutValues", []any{opt.AsOf}, func(s scanner) error {
		var c cutData
		var cuts []any
		if err := s.Scan(&c.Metric, &c.Method, &cuts, &c.Collapsed); err != nil {
			return err
		}
		for _, x := range cuts {
			if f, ok := x.(float64); ok {
				c.Cuts = append(c.Cuts, f)
			}
		}
		j.Cuts = append(j.Cuts, c)
		return nil
	}); err != nil {
		return "", err
	}
	table, err := loadCustomers(ctx, q, opt.AsOf, d.Segments, names, j.Cuts)
	if err != nil {
		return "", err
	}
	hist, err := loadHistory(ctx, q, opt.AsOf, table)
	if err != nil {
		return "", err
	}
	if j.Customers, err = table.pack(hist, names); err != nil {
		return "", err
	}
	p.Charts = map[string]bool{
		"seg_customers": len(d.Segments) > 0, "seg_revenue": len(d.Segments) > 0,
		"pareto": len(d.Pareto) > 0, "rf_count": len(d.RF) > 0, "rf_avg": len(d.RF) > 0,
		"hist_r": sumCounts(d.Histograms["recency_days"]) > 0, "hist_f": sumCounts(d.Histograms["frequency"]) > 0,
		"hist_m": sumCounts(d.Histograms["monetary"]) > 0,
		"moves":  d.PrevDate != "" && len(d.Moves) > 0, "history": len(d.History) > 0,
		"tags": len(d.Tags) > 0, "categories": len(d.Categories) > 0,
	}
	j.Charts = p.Charts
	js, err := json.Marshal(j)
	if err != nil {
		return "", err
	}
	return template.JS(js), nil
}

func sumCounts(h *histogram) int64 {
	if h == nil {
		return 0
	}
	var n int64
	for _, c := range h.Counts {
		n += c
	}
	return n
}

func round2(x float64) float64 { return float64(int64(x*100+copysign(0.5, x))) / 100 }

func copysign(v, sign float64) float64 {
	if sign < 0 {
		return -v
	}
	return v
}

// formatText says how a file was read in the report's language: "csv gbk
// comma header@3" becomes "CSV · GBK · 逗号分隔 · 表头在第 3 行".
func formatText(lang, format string) string {
	words := strings.Fields(format)
	if len(words) == 0 {
		return format
	}
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case strings.HasPrefix(w, "header@"):
			out = append(out, strings.Replace(text(lang, "fmt_header"), "%s", strings.TrimPrefix(w, "header@"), 1))
		case w == "sheet" && i+1 < len(words):
			out = append(out, strings.Replace(text(lang, "fmt_sheet"), "%s", strings.Join(words[i+1:], " "), 1))
			i = len(words)
		default:
			out = append(out, textOr(lang, "fmt_"+w, strings.ToUpper(w)))
		}
	}
	return strings.Join(out, " · ")
}

// Palette is the segment colours, in rule order.
func Palette() []string { return append([]string(nil), palette...) }

// scriptKeys are the text keys the page script names: every string
// literal of report.js that is a key (t("no_match"), label: "col_code"),
// and every key that starts with a literal ending in "_", a prefix the
// script completes (t("ax_" + metric)). Only those go into the page.
var scriptKeys = func() []string {
	var keys []string
	for _, m := range regexp.MustCompile(`"([a-z][a-z_0-9]*)"`).FindAllStringSubmatch(pageJS, -1) {
		if _, ok := texts["zh"][m[1]]; ok || strings.HasSuffix(m[1], "_") {
			keys = append(keys, m[1])
		}
	}
	return keys
}()

func scriptTexts(lang string) map[string]string {
	out := map[string]string{}
	for _, k := range scriptKeys {
		if strings.HasSuffix(k, "_") {
			for full := range texts["zh"] {
				if strings.HasPrefix(full, k) {
					out[full] = text(lang, full)
				}
			}
			continue
		}
		out[k] = text(lang, k)
	}
	return out
}

func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}
