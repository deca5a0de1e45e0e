package reports

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"sort"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// palette gives each segment the same colour in every chart (ECharts' own).
var palette = []string{"#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"}

// option is a chart as go-echarts builds it.
type option interface {
	Validate()
	JSON() map[string]interface{}
}

type chartSpec struct {
	ID     string          `json:"id"`
	Option json.RawMessage `json:"option"`
}

// buildCharts builds every chart with data and returns them as one JSON
// array for the page script. encoding/json escapes <, > and & as \u003c
// and so on, so a name such as "</script>" stays inside the string; the
// go-echarts templates do not (they render JSON unescaped), which is why
// the page is our own template.
func buildCharts(d *reportData, p *page) (template.JS, error) {
	t := func(k string) string { return text(p.Lang, k) }
	p.Charts = map[string]bool{}
	var specs []chartSpec
	add := func(id string, c option) error {
		if c == nil {
			p.Charts[id] = false
			return nil
		}
		c.Validate()
		js, err := json.Marshal(c.JSON())
		if err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
		p.Charts[id] = true
		specs = append(specs, chartSpec{ID: id, Option: js})
		return nil
	}
	segLabels := make([]string, len(d.Segments))
	custs := make([]opts.BarData, len(d.Segments))
	revs := make([]opts.BarData, len(d.Segments))
	for i, s := range d.Segments {
		segLabels[i] = p.segmentLabel[s.Code]
		style := &opts.ItemStyle{Color: segmentColor(i)}
		custs[i] = opts.BarData{Value: s.Customers, ItemStyle: style}
		revs[i] = opts.BarData{Value: round2(s.Revenue), ItemStyle: style}
	}
	steps := []struct {
		id string
		c  option
	}{
		{"seg_customers", segmentBar(segLabels, custs, t("ax_segment"), t("ax_customers"))},
		{"seg_revenue", segmentBar(segLabels, revs, t("ax_segment"), t("ax_revenue"))},
		{"pareto", paretoLine(d.Pareto, t)},
		{"rf_count", rfHeatmap(d.RF, t, func(c rfCell) float64 { return float64(c.Customers) })},
		{"rf_avg", rfHeatmap(d.RF, t, func(c rfCell) float64 { return math.Round(c.AvgRev) })},
		{"moves", movesSankey(d, p, t)},
		{"history", historyLine(d.History, p, t)},
		{"tags", stackedBars(d.Tags, p, t("ax_customers"))},
		{"categories", stackedBars(d.Categories, p, t("ax_customers"))},
	}
	for _, s := range steps {
		if err := add(s.id, s.c); err != nil {
			return "", err
		}
	}
	js, err := json.Marshal(specs)
	if err != nil {
		return "", err
	}
	return template.JS(js), nil
}

func segmentColor(i int) string { return palette[i%len(palette)] }

// segmentColor is the colour of a segment by its rule order; grey for a
// segment the snapshot no longer has.
func (p *page) segmentColor(code string) string {
	if i, ok := p.segmentRank[code]; ok {
		return segmentColor(i)
	}
	return "#9ca3af"
}

func round2(x float64) float64 { return float64(int64(x*100+copysign(0.5, x))) / 100 }

func copysign(v, sign float64) float64 {
	if sign < 0 {
		return -v
	}
	return v
}

// common are the options every chart shares: no animation, so that the
// page is drawn at once (and prints whole), and labels kept inside. A
// chart that needs another grid passes its own: ECharts uses the first.
func common(extra ...charts.GlobalOpts) []charts.GlobalOpts {
	return append([]charts.GlobalOpts{
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true)}),
	}, extra...)
}

func defaultGrid() charts.GlobalOpts {
	return charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Top: "12%", Bottom: "12%", ContainLabel: opts.Bool(true)})
}

func segmentBar(labels []string, data []opts.BarData, xName, yName string) option {
	if len(data) == 0 {
		return nil
	}
	b := charts.NewBar()
	b.SetGlobalOptions(common(defaultGrid(),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithXAxisOpts(opts.XAxis{Name: xName, NameLocation: "middle", NameGap: 30}),
		charts.WithYAxisOpts(opts.YAxis{Name: yName}),
	)...)
	b.SetXAxis(labels).AddSeries(yName, data, charts.WithBarChartOpts(opts.BarChart{BarWidth: "45%"}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "top"}))
	return b
}

func paretoLine(points [][2]float64, t func(string) string) option {
	if len(points) == 0 {
		return nil
	}
	data := []opts.LineData{{Value: []float64{0, 0}}}
	for _, pt := range points {
		data = append(data, opts.LineData{Value: []float64{round2(pt[0]), round2(pt[1])}})
	}
	l := charts.NewLine()
	l.SetGlobalOptions(common(defaultGrid(),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: t("ax_cust_share"), NameLocation: "middle", NameGap: 30, Max: 100}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: t("ax_rev_share"), Max: 100}),
	)...)
	l.AddSeries(t("ax_rev_share"), data,
		charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.15)}),
		charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "80%", YAxis: 80}))
	return l
}

func rfHeatmap(cells []rfCell, t func(string) string, value func(rfCell) float64) option {
	if len(cells) == 0 {
		return nil
	}
	maxR, maxF := 1, 1
	var top float64
	for _, c := range cells {
		maxR, maxF = max(maxR, c.R), max(maxF, c.F)
		top = max(top, value(c))
	}
	rs, fs := scoreLabels(maxR), scoreLabels(maxF)
	data := make([]opts.HeatMapData, 0, len(cells))
	for _, c := range cells {
		data = append(data, opts.HeatMapData{Value: [3]any{c.R - 1, c.F - 1, value(c)}})
	}
	h := charts.NewHeatMap()
	// The heat map's own Validate leaves the x axis without its labels,
	// so both axes get theirs here; the colour scale stands at the right,
	// clear of the axis names.
	h.SetGlobalOptions(common(
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithGridOpts(opts.Grid{Left: "56", Right: "90", Top: "16", Bottom: "48", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: rs, Name: t("ax_r"), NameLocation: "middle", NameGap: 28, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: fs, Name: t("ax_f"), NameLocation: "middle", NameGap: 28, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithVisualMapOpts(opts.VisualMap{Calculable: opts.Bool(true), Min: 0, Max: float32(max(top, 1)),
			Orient: "vertical", Right: "0", Top: "middle", InRange: &opts.VisualMapInRange{Color: []string{"#eef3fb", "#5470c6"}}}),
	)...)
	h.AddSeries("", data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true)}))
	return h
}

func scoreLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i + 1)
	}
	return out
}

// movesSankey draws the flow from the previous segments (left) to the
// current ones (right). Node names carry "before"/"now" so that a segment
// appears on both sides, as a Sankey needs an acyclic graph.
func movesSankey(d *reportData, p *page, t func(string) string) option {
	if d.PrevDate == "" || len(d.Moves) == 0 {
		return nil
	}
	var nodes []opts.SankeyNode
	seen := map[string]bool{}
	node := func(side, code string) string {
		name := t(side) + " " + p.fromLabel(code, t)
		if !seen[name] {
			seen[name] = true
			nodes = append(nodes, opts.SankeyNode{Name: name, ItemStyle: &opts.ItemStyle{Color: p.segmentColor(code)}})
		}
		return name
	}
	var links []opts.SankeyLink
	for _, m := range d.Moves {
		from := node("prev", m.From)
		to := node("now", m.To)
		links = append(links, opts.SankeyLink{Source: from, Target: to, Value: float32(m.Customers)})
	}
	s := charts.NewSankey()
	s.SetGlobalOptions(charts.WithAnimation(false), charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}))
	s.AddSeries("", nodes, links, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true)}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: "source", Curveness: 0.5, Opacity: opts.Float(0.35)}))
	return s
}

// historyLine draws customers per segment at every snapshot date.
func historyLine(rows []countRow, p *page, t func(string) string) option {
	if len(rows) == 0 {
		return nil
	}
	var dates []string
	for _, r := range rows {
		if len(dates) == 0 || dates[len(dates)-1] != r.Label {
			dates = append(dates, r.Label)
		}
	}
	at := map[string]int{}
	for i, dt := range dates {
		at[dt] = i
	}
	l := charts.NewLine()
	l.SetGlobalOptions(common(defaultGrid(),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Name: t("ax_date"), NameLocation: "middle", NameGap: 30}),
		charts.WithYAxisOpts(opts.YAxis{Name: t("ax_customers")}),
	)...)
	l.SetXAxis(dates)
	for _, code := range segmentCodes(rows, p) {
		data := make([]opts.LineData, len(dates))
		for j := range data {
			data[j] = opts.LineData{Value: 0}
		}
		for _, r := range rows {
			if r.Segment == code {
				data[at[r.Label]] = opts.LineData{Value: r.Customers}
			}
		}
		l.AddSeries(p.fromLabel(code, t), data, charts.WithItemStyleOpts(opts.ItemStyle{Color: p.segmentColor(code)}),
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}))
	}
	return l
}

// stackedBars draws labels (tags, categories) down the side, with the
// customers of each segment stacked along.
func stackedBars(rows []countRow, p *page, xName string) option {
	if len(rows) == 0 {
		return nil
	}
	var labels []string
	for _, r := range rows {
		if !contains(labels, r.Label) {
			labels = append(labels, r.Label)
		}
	}
	b := charts.NewBar()
	b.SetGlobalOptions(common(defaultGrid(),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: xName, NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
	)...)
	b.SetXAxis(labels).XYReversal()
	for _, code := range segmentCodes(rows, p) {
		data := make([]opts.BarData, len(labels))
		for j, l := range labels {
			data[j] = opts.BarData{Value: 0}
			for _, r := range rows {
				if r.Label == l && r.Segment == code {
					data[j] = opts.BarData{Value: r.Customers}
				}
			}
		}
		b.AddSeries(p.fromLabel(code, func(string) string { return code }), data,
			charts.WithBarChartOpts(opts.BarChart{Stack: "segments"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: p.segmentColor(code)}))
	}
	return b
}

// segmentCodes are the segments rows mention, in the order of the rules.
func segmentCodes(rows []countRow, p *page) []string {
	var codes []string
	for _, r := range rows {
		if !contains(codes, r.Segment) {
			codes = append(codes, r.Segment)
		}
	}
	sort.SliceStable(codes, func(i, j int) bool {
		ri, ok := p.segmentRank[codes[i]]
		if !ok {
			ri = len(p.segmentRank)
		}
		rj, ok := p.segmentRank[codes[j]]
		if !ok {
			rj = len(p.segmentRank)
		}
		return ri < rj
	})
	return codes
}
