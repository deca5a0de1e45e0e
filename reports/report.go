package reports

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"html/template"
	"io/fs"
	"math"
	"strconv"
)

// ReportOptions choose what one report shows and in which language.
type ReportOptions struct {
	AsOf       string // YYYY-MM-DD, the snapshot to show
	WindowDays int    // the window the snapshot used; 0 = all history
	Lang       string // "zh" (default) or "en"
	TopN       int    // customers per segment in the top table; 0 = 20
	RunID      int64  // the run whose inputs the snapshot shows (see ReportRunID); 0 = look it up

	// Categories is the category file the run wrote, for the section on
	// the file for the ERP; nil: no such section.
	Categories *Manifest
}

// ErrNoECharts means the binary was built without ECharts embedded.
var ErrNoECharts = errors.New("echarts is not embedded: run make reports/assets/echarts.min.js (see reports/echarts.mk), then build again")

// The assets folder always holds README.md, so the package builds before
// make has fetched ECharts; Report refuses to run without it instead.
//
//go:embed assets/*
var assets embed.FS

//go:embed report.html.tmpl
var pageText string

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":     formatInt,
	"money":   formatMoney,
	"inc":     func(i int) int { return i + 1 },
	"chartOf": chartOf,
}).Parse(pageText))

// Report renders the self-contained HTML report of the snapshot of
// opt.AsOf: ECharts and every chart's data are inline, so the file opens
// with no network. Data reaches charts as JSON with <, > and & escaped,
// and tables through html/template, so no text from an export can become
// markup or script.
func Report(ctx context.Context, q Querier, opt ReportOptions) ([]byte, error) {
	lib, err := fs.ReadFile(assets, "assets/echarts.min.js")
	if err != nil {
		return nil, ErrNoECharts
	}
	if opt.Lang != "en" {
		opt.Lang = "zh"
	}
	if opt.TopN <= 0 {
		opt.TopN = 20
	}
	d, err := loadReport(ctx, q, opt)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	p := newPage(d, opt)
	charts, err := buildCharts(d, p)
	if err != nil {
		return nil, fmt.Errorf("report charts: %w", err)
	}
	p.ChartsJS = charts
	p.ECharts = template.JS(lib)
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("report page: %w", err)
	}
	return buf.Bytes(), nil
}

// page is what the template shows: the figures of reportData, labelled
// and formatted in one language.
type page struct {
	Lang, HTMLLang string
	T              map[string]string
	AsOf, Window   string
	RunID          int64
	KPIs           []kpi
	Files          []fileRow
	FileTotal      fileRow
	Cuts           []cutRow
	Warnings       []string
	Segments       []segmentRow
	PrevDate       string
	MoveCols       []string
	MoveRows       []moveLine
	TopGroups      []topGroup
	Rejects        []rejectRow
	Master         []labelled      // the customer data checks as of the date
	MasterNote     string          // why the checks against the master did not run
	Charts         map[string]bool // chart id -> has data
	ChartsJS       template.JS
	ECharts        template.JS
	Footer         string
	ERPFile        *erpFile // the category file for the ERP
	segmentLabel   map[string]string
	segmentRank    map[string]int
}

// chartBox is one chart's place on the page: a div that the page script
// draws into, or a note that there is nothing to draw.
type chartBox struct {
	ID, Empty string
	Has       bool
}

func chartOf(p *page, id string) chartBox {
	return chartBox{ID: id, Has: p.Charts[id], Empty: text(p.Lang, "no_data")}
}

type kpi struct{ Label, Value, Note string }

type moveLine struct {
	Label string
	Cells []int64
}

type topGroup struct {
	Title string
	Rows  []customerRow
}

type labelled struct {
	Label string
	Value int64
	Share string
}

func newPage(d *reportData, opt ReportOptions) *page {
	t := func(k string) string { return text(opt.Lang, k) }
	p := &page{Lang: opt.Lang, HTMLLang: t("html_lang"), T: texts[opt.Lang], AsOf: opt.AsOf, RunID: d.RunID,
		Files: d.Files, Cuts: d.Cuts, Segments: d.Segments, PrevDate: d.PrevDate, Rejects: d.Rejects,
		segmentLabel: map[string]string{}, segmentRank: map[string]int{}}
	p.ERPFile = erpFileOf(opt.Categories, opt.Lang)
	p.Window = fmt.Sprintf(t("window_days"), opt.WindowDays)
	if opt.WindowDays == 0 {
		p.Window = t("window_all")
	}
	p.Footer = fmt.Sprintf(t("footer"), d.RunID, opt.AsOf)
	for i, s := range d.Segments {
		p.segmentLabel[s.Code] = s.Code + " " + s.Name
		p.segmentRank[s.Code] = i
	}
	for _, f := range d.Files {
		p.FileTotal.Read += f.Read
		p.FileTotal.Loaded += f.Loaded
		p.FileTotal.Rejected += f.Rejected
		p.FileTotal.Duplicate += f.Duplicate
		p.FileTotal.Summary += f.Summary
		if f.Status == "failed" {
			p.Warnings = append(p.Warnings, fmt.Sprintf(t("warn_failed"), f.Name, f.Reason))
		}
	}
	for i, c := range p.Cuts {
		p.Cuts[i].Metric = t(c.Metric)
		if c.Collapsed {
			p.Warnings = append(p.Warnings, fmt.Sprintf(t("warn_collapsed"), t(c.Metric), c.Cuts))
		}
	}
	if len(d.Segments) == 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf(t("warn_empty"), opt.AsOf))
	}
	for _, n := range d.Notes {
		switch n[0] {
		case "no_scored_customers":
			p.Warnings = append(p.Warnings, t("warn_no_scored"))
		case "manual_unknown_customer":
			p.Warnings = append(p.Warnings, fmt.Sprintf(t("warn_manual_unknown"), n[1], n[2]))
		case "manual_bad_line":
			p.Warnings = append(p.Warnings, n[2])
		}
	}
	p.KPIs = kpis(d, p, t)
	p.MoveCols, p.MoveRows = moveMatrix(d, p, t)
	for _, s := range d.Segments {
		g := topGroup{Title: fmt.Sprintf(t("top_of"), p.segmentLabel[s.Code], opt.TopN)}
		for _, c := range d.Top {
			if c.Segment == s.Code {
				g.Rows = append(g.Rows, c)
			}
		}
		p.TopGroups = append(p.TopGroups, g)
	}
	m := d.Master
	p.Master = []labelled{{Label: t("m_customers"), Value: m.Customers, Share: percent(m.Customers, m.Customers)},
		{Label: t("m_in_master"), Value: m.InMaster, Share: percent(m.InMaster, m.Customers)}}
	for _, q := range d.Quality {
		if q.Check == "no_master" && q.Customers > 0 {
			p.MasterNote = t("q_no_master")
		}
	}
	if !d.Reviewed {
		p.MasterNote = t("q_not_reviewed")
		d.Quality = nil
	}
	for _, q := range d.Quality {
		if q.Check == "no_master" || q.NeedsMaster && p.MasterNote != "" {
			continue // not checked: the note says why
		}
		p.Master = append(p.Master, labelled{Label: t("q_" + q.Check), Value: q.Customers, Share: percent(q.Customers, m.Customers)})
	}
	return p
}

func kpis(d *reportData, p *page, t func(string) string) []kpi {
	var customers, scored, paretoA int64
	var revenue float64
	for _, s := range d.Segments {
		customers += s.Customers
		scored += s.Scored
		revenue += s.Revenue
		paretoA += s.ParetoA
	}
	out := []kpi{
		{t("kpi_customers"), formatInt(customers), ""},
		{t("kpi_scored"), formatInt(scored), percent(scored, customers)},
		{t("kpi_revenue"), formatMoney(revenue), p.Window},
	}
	if len(d.Segments) > 0 {
		top := d.Segments[0]
		label := p.segmentLabel[top.Code]
		out = append(out,
			kpi{fmt.Sprintf(t("kpi_top_share"), label), percent(top.Customers, customers), fmt.Sprintf(t("kpi_of"), formatInt(top.Customers))},
			kpi{fmt.Sprintf(t("kpi_top_rev"), label), percentF(top.Revenue, revenue), formatMoney(top.Revenue)})
	}
	out = append(out, kpi{t("kpi_pareto"), percent(paretoA, scored), fmt.Sprintf(t("kpi_pareto_note"), formatInt(scored), formatInt(paretoA))})
	var moved, up, down int64
	for _, m := range d.Moves {
		if m.From == "" || m.From == m.To {
			continue
		}
		moved += m.Customers
		from, okF := p.segmentRank[m.From]
		to, okT := p.segmentRank[m.To]
		switch {
		case okF && okT && to < from:
			up += m.Customers
		case okF && okT && to > from:
			down += m.Customers
		}
	}
	if d.PrevDate == "" {
		out = append(out, kpi{t("kpi_moved"), "–", t("kpi_first")})
	} else {
		out = append(out, kpi{t("kpi_moved"), formatInt(moved), fmt.Sprintf(t("kpi_updown"), formatInt(up), formatInt(down))})
	}
	var rejected int64
	for _, r := range d.Rejects {
		rejected += r.Lines
	}
	return append(out, kpi{t("kpi_rejected"), formatInt(rejected), ""})
}

// moveMatrix lays the movement out as rows (previous segment, new
// customers last) by columns (current segment).
func moveMatrix(d *reportData, p *page, t func(string) string) ([]string, []moveLine) {
	if d.PrevDate == "" {
		return nil, nil
	}
	codes := make([]string, 0, len(d.Segments))
	cols := make([]string, 0, len(d.Segments))
	for _, s := range d.Segments {
		codes = append(codes, s.Code)
		cols = append(cols, p.segmentLabel[s.Code])
	}
	col := func(code string) int {
		for i, c := range codes {
			if c == code {
				return i
			}
		}
		return -1
	}
	var rows []moveLine
	index := map[string]int{}
	from := append([]string(nil), codes...)
	for _, m := range d.Moves {
		if col(m.From) < 0 && m.From != "" && !contains(from, m.From) {
			from = append(from, m.From) // a segment that no longer exists
		}
	}
	from = append(from, "")
	for _, f := range from {
		label := p.fromLabel(f, t)
		index[f] = len(rows)
		rows = append(rows, moveLine{Label: label, Cells: make([]int64, len(codes))})
	}
	for _, m := range d.Moves {
		if c := col(m.To); c >= 0 {
			rows[index[m.From]].Cells[c] += m.Customers
		}
	}
	return cols, rows
}

func (p *page) fromLabel(code string, t func(string) string) string {
	if code == "" {
		return t("new")
	}
	if l, ok := p.segmentLabel[code]; ok {
		return l
	}
	return code
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func percent(n, of int64) string {
	if of == 0 {
		return "–"
	}
	return percentF(float64(n), float64(of))
}

func percentF(x, of float64) string {
	if of == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*x/of, 'f', 1, 64) + "%"
}

// formatInt writes n with thousands separators.
func formatInt(n int64) string { return grouping.Sprintf("%d", n) }

var grouping = message.NewPrinter(language.English)

func formatMoney(x float64) string { return formatInt(int64(math.Round(x))) }
