package reports

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"slices"
	"strconv"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"custcat/pipeline"
)

// ReportOptions choose what one report shows and in which language.
type ReportOptions struct {
	AsOf       string // YYYY-MM-DD, the snapshot to show
	WindowDays int    // the window the snapshot used; 0 = all history
	Lang       string // "zh" (default) or "en"
	RunID      int64  // the run whose inputs the snapshot shows (see ReportRunID); 0 = look it up
	Banner     string // shown above all else: why the run's category file was held back
	// Config gives the customer card its rule texts, the preference tag and
	// the manual file's lines; without it the card names the rule that
	// fired by its segment only.
	Config *pipeline.Config

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

// The page's own script and style, written by hand: no library but ECharts.
var (
	//go:embed report.js
	pageJS string
	//go:embed report.css
	pageCSS string
)

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":     formatInt,
	"money":   formatCurrency,
	"chartOf": chartOf,
}).Parse(pageText))

// Report renders the self-contained HTML report of the snapshot of
// opt.AsOf: ECharts, the page script, every chart's figures and every
// customer are inline, so the file opens with no network. Data reaches the
// script as JSON with <, > and & escaped in a script element of type
// application/json (the customers packed inside it, see
// report_customers.go), and the server-side tables through html/template;
// the script sets text from data only as text, so no text from an export
// can become markup or script.
func Report(ctx context.Context, q Querier, opt ReportOptions) ([]byte, error) {
	lib, err := fs.ReadFile(assets, "assets/echarts.min.js")
	if err != nil {
		return nil, ErrNoECharts
	}
	if opt.Lang != "en" {
		opt.Lang = "zh"
	}
	d, err := loadReport(ctx, q, opt)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	p := newPage(d, opt)
	data, err := pageData(ctx, q, d, p, opt)
	if err != nil {
		return nil, fmt.Errorf("report data: %w", err)
	}
	p.Data = data
	p.ECharts = template.JS(lib)
	p.Script = template.JS(pageJS)
	p.Style = template.CSS(pageCSS)
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
	SegTable       []segmentLine
	SegTotal       segmentLine
	MoveCols       []string
	MoveRows       []moveLine
	HistoryNote    string // why the history chart has little to show
	Rejects        []rejectRow
	Master         []labelled      // the customer data checks as of the date
	MasterNote     string          // why the checks against the master did not run
	Charts         map[string]bool // chart id -> has data
	Data           template.JS     // the page data as JSON: charts, rules, the customers packed
	ECharts        template.JS
	Script         template.JS
	Style          template.CSS
	Footer         string
	Banner         string
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
	Code  string // the previous segment; "" for customers not in the previous snapshot
	Cells []moveCell
	Total moveCell
}

type moveCell struct {
	To        string
	Customers int64
	Revenue   float64
}

// segmentLine is one row of the segment table.
type segmentLine struct {
	Code, Label, Color                string
	Customers                         int64
	CustomerShare, Revenue, RevShare  string
	Recency, Frequency, Monetary, AOV string
}

type labelled struct {
	Label string
	Value int64
	Share string
}

func newPage(d *reportData, opt ReportOptions) *page {
	t := func(k string) string { return text(opt.Lang, k) }
	p := &page{Lang: opt.Lang, HTMLLang: t("html_lang"), T: texts[opt.Lang], AsOf: opt.AsOf, RunID: d.RunID, Banner: opt.Banner,
		Files: d.Files, Cuts: d.Cuts, Segments: d.Segments, PrevDate: d.PrevDate, Rejects: d.Rejects,
		segmentLabel: map[string]string{}, segmentRank: map[string]int{}}
	p.ERPFile = erpFileOf(opt.Categories, opt.Lang)
	p.Window = fmt.Sprintf(t("window_days"), opt.WindowDays)
	if opt.WindowDays == 0 {
		p.Window = t("window_all")
	}
	p.Footer = fmt.Sprintf(t("footer"), d.RunID, opt.AsOf)
	for i, s := range d.Segments {
		p.segmentLabel[s.Code] = s.Code + " " + segmentName(opt.Lang, s.Code, s.Name)
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
	p.SegTable, p.SegTotal = segmentTable(d, p)
	dates := map[string]bool{}
	for _, h := range d.History {
		dates[h.Label] = true
	}
	if len(dates) == 1 {
		p.HistoryNote = fmt.Sprintf(t("history_one"), opt.AsOf, opt.AsOf)
	}
	for i, f := range p.Files {
		p.Files[i].Status = textOr(opt.Lang, "status_"+f.Status, f.Status)
		p.Files[i].Format = formatText(opt.Lang, f.Format)
	}
	for i, c := range p.Cuts {
		p.Cuts[i].Method = textOr(opt.Lang, "method_"+c.Method, c.Method)
	}
	for i, r := range p.Rejects {
		p.Rejects[i].Kind = rejectKind(opt.Lang, r.Kind)
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
		{t("kpi_revenue"), formatCurrency(revenue), p.Window},
	}
	if len(d.Segments) > 0 {
		top := d.Segments[0]
		label := p.segmentLabel[top.Code]
		out = append(out,
			kpi{fmt.Sprintf(t("kpi_top_share"), label), percent(top.Customers, customers), fmt.Sprintf(t("kpi_of"), formatInt(top.Customers))},
			kpi{fmt.Sprintf(t("kpi_top_rev"), label), percentF(top.Revenue, revenue), formatCurrency(top.Revenue)})
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

// moveMatrix lays the movement out as rows (previous segment, customers
// not in the previous snapshot last) by columns (current segment), each
// cell with its customers and their revenue.
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
	col := map[string]int{}
	for i, c := range codes {
		col[c] = i
	}
	from := append([]string(nil), codes...)
	for _, m := range d.Moves {
		if _, ok := col[m.From]; !ok && m.From != "" && !slices.Contains(from, m.From) {
			from = append(from, m.From) // a segment that no longer exists
		}
	}
	from = append(from, "")
	var rows []moveLine
	index := map[string]int{}
	for _, f := range from {
		index[f] = len(rows)
		line := moveLine{Label: p.fromLabel(f, t), Code: f, Cells: make([]moveCell, len(codes))}
		for i, c := range codes {
			line.Cells[i].To = c
		}
		rows = append(rows, line)
	}
	for _, m := range d.Moves {
		if c, ok := col[m.To]; ok {
			r := &rows[index[m.From]]
			r.Cells[c].Customers += m.Customers
			r.Cells[c].Revenue += m.Revenue
			r.Total.Customers += m.Customers
			r.Total.Revenue += m.Revenue
		}
	}
	return cols, rows
}

// segmentTable is the table of segments: customers, revenue and their
// shares, the medians of R, F and M and the average order value.
func segmentTable(d *reportData, p *page) ([]segmentLine, segmentLine) {
	var customers int64
	var revenue, orderRevenue float64
	var orders int64
	for _, s := range d.Segments {
		customers += s.Customers
		revenue += s.Revenue
		orders += d.Stats[s.Code].Orders
		orderRevenue += d.Stats[s.Code].OrderRevenue
	}
	var out []segmentLine
	for _, s := range d.Segments {
		st := d.Stats[s.Code]
		out = append(out, segmentLine{Code: s.Code, Label: p.segmentLabel[s.Code], Color: p.segmentColor(s.Code),
			Customers: s.Customers, CustomerShare: percent(s.Customers, customers),
			Revenue: formatCurrency(s.Revenue), RevShare: percentF(s.Revenue, revenue),
			Recency: formatMedian(st.Recency, false), Frequency: formatMedian(st.Frequency, false), Monetary: formatMedian(st.Monetary, true),
			AOV: averageOrder(st.OrderRevenue, st.Orders)})
	}
	total := segmentLine{Label: text(p.Lang, "total"), Customers: customers, CustomerShare: percent(customers, customers),
		Revenue: formatCurrency(revenue), RevShare: percentF(revenue, revenue), AOV: averageOrder(orderRevenue, orders)}
	return out, total
}

func formatMedian(x sql.NullFloat64, money bool) string {
	if !x.Valid {
		return "–"
	}
	if money {
		return formatCurrency(x.Float64)
	}
	if x.Float64 == math.Trunc(x.Float64) {
		return formatInt(int64(x.Float64))
	}
	return strconv.FormatFloat(x.Float64, 'f', 1, 64)
}

func averageOrder(revenue float64, orders int64) string {
	if orders == 0 {
		return "–"
	}
	return formatCurrency(revenue / float64(orders))
}

func (p *page) fromLabel(code string, t func(string) string) string {
	if code == "" {
		return t("not_before")
	}
	if l, ok := p.segmentLabel[code]; ok {
		return l
	}
	return code
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

// currency is the sign the report puts before amounts: the exports are in yuan.
const currency = "¥"

// formatCurrency writes an amount in whole yuan, grouped: ¥1,229,913.
func formatCurrency(x float64) string {
	if x < 0 {
		return "-" + currency + formatMoney(-x)
	}
	return currency + formatMoney(x)
}
