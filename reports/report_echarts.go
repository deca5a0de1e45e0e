package reports

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// The charts are built here with go-echarts, the project's chart library:
// series, data, axes, colours, label positions, grids and tooltips. Each
// chart's option object goes, as JSON, into the page data (options, by
// chart id); the page script adds to it only what ECharts needs as a
// function (formatters of grouped amounts, click handlers, sizes that
// depend on the width the chart gets in the browser) and calls setOption.

// optionVisitor leaves out the components go-echarts writes for every
// chart that the report does not use (an empty title and toolbox).
type optionVisitor struct {
	charts.BaseConfigurationVisitor
}

func (optionVisitor) Visit(o map[string]interface{}) {
	delete(o, "title")
	delete(o, "toolbox")
}

type validator interface {
	Validate()
	Accept(charts.ConfigurationVisitor)
	JSON() map[string]interface{}
}

// chartJSON is a chart's options as go-echarts gives them, less the
// nulls: go-echarts writes some fields it has no value for as null (an
// axis label's showMinLabel and showMaxLabel), which ECharts would take
// over its own defaults (a time axis hides its first and last labels, which
// are not on a round date).
func chartJSON(c validator) map[string]interface{} {
	c.Validate()
	c.Accept(optionVisitor{})
	b, err := json.Marshal(c.JSON())
	if err != nil {
		panic(err) // the options are only strings, numbers and lists of them
	}
	var o map[string]interface{}
	if err := json.Unmarshal(b, &o); err != nil {
		panic(err)
	}
	dropNulls(o)
	return o
}

func dropNulls(v interface{}) {
	switch x := v.(type) {
	case map[string]interface{}:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			dropNulls(e)
		}
	case []interface{}:
		for _, e := range x {
			dropNulls(e)
		}
	}
}

// common are the options of every chart: no animation, no legend unless
// the chart sets one. Every series of a segment has the segment's colour
// of the palette; the others (the Pareto curve, the histograms) keep
// ECharts' first colour, which go-echarts' default colours begin with.
func common(more ...charts.GlobalOpts) []charts.GlobalOpts {
	return append([]charts.GlobalOpts{
		charts.WithAnimation(false),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
	}, more...)
}

func grid(left, right, top, bottom int) charts.GlobalOpts {
	return charts.WithGridOpts(opts.Grid{Left: strconv.Itoa(left), Right: strconv.Itoa(right), Top: strconv.Itoa(top),
		Bottom: strconv.Itoa(bottom), ContainLabel: opts.Bool(true)})
}

// chartOptions builds every chart the page has data for.
func chartOptions(d *reportData, p *page, labels, colors map[string]string) map[string]interface{} {
	out := map[string]interface{}{}
	label := func(code string) string {
		if l, ok := labels[code]; ok {
			return l
		}
		return code
	}
	color := func(code string) string {
		if c, ok := colors[code]; ok {
			return c
		}
		return otherColor
	}
	rank := func(code string) int {
		if code == "" {
			return 1e6
		}
		if i, ok := p.segmentRank[code]; ok {
			return i
		}
		return 1e5
	}
	if len(d.Segments) > 0 {
		for _, key := range []string{"customers", "revenue"} {
			bars := map[string]interface{}{"h": segmentBars(d, p, key, true)}
			// Past five segments the bars lie; the script also lays them
			// down on a narrow screen, so both are there up to five.
			if len(d.Segments) <= 5 {
				bars["v"] = segmentBars(d, p, key, false)
			}
			out["seg_"+key] = bars
		}
	}
	if len(d.Pareto) > 0 {
		out["pareto"] = paretoChart(d, p)
	}
	if len(d.RF) > 0 {
		out["rf_count"] = heatmapChart(d, p, false)
		out["rf_avg"] = heatmapChart(d, p, true)
	}
	for id, m := range map[string]string{"hist_r": "recency_days", "hist_f": "frequency", "hist_m": "monetary"} {
		if sumCounts(d.Histograms[m]) > 0 {
			out[id] = histogramChart(p, m, d.Histograms[m])
		}
	}
	if d.PrevDate != "" && len(d.Moves) > 0 {
		out["moves"] = sankeyCharts(d, color, rank)
	}
	if len(d.History) > 0 {
		out["history"] = historyChart(d, p, label, color, rank)
	}
	if len(d.Tags) > 0 {
		out["tags"] = stackedChart(d.Tags, p, label, color, rank)
	}
	if len(d.Categories) > 0 {
		out["categories"] = stackedChart(d.Categories, p, label, color, rank)
	}
	return out
}

// segmentBars is the customers or the revenue per segment, one bar each in
// the segment's colour, with its value as a label; horizontal lists the
// segments down the side in rule order.
func segmentBars(d *reportData, p *page, key string, horizontal bool) map[string]interface{} {
	c := charts.NewBar()
	cats := make([]string, 0, len(d.Segments))
	data := make([]opts.BarData, 0, len(d.Segments))
	for _, s := range d.Segments {
		cats = append(cats, p.segmentLabel[s.Code])
		v := float64(s.Customers)
		if key == "revenue" {
			v = round2(s.Revenue)
		}
		data = append(data, opts.BarData{Value: v, ItemStyle: &opts.ItemStyle{Color: p.segmentColor(s.Code)}})
	}
	c.SetXAxis(cats)
	values := &opts.AxisLabel{HideOverlap: opts.Bool(true), ShowMaxLabel: opts.Bool(false)}
	catLabel := &opts.AxisLabel{FontSize: 12}
	pos := "top"
	if horizontal {
		c.XYReversal()
		values.Show = opts.Bool(false) // the bars carry their values
		catLabel.Overflow = "truncate"
		pos = "right"
		c.SetGlobalOptions(common(grid(8, 12, 8, 8),
			charts.WithXAxisOpts(opts.XAxis{Type: "value", SplitNumber: 4, AxisLabel: values}),
			charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), AxisLabel: catLabel}),
			charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}))...)
	} else {
		catLabel.Interval = "0" // every segment's name, wrapped to its bar's width
		catLabel.Overflow = "break"
		c.SetGlobalOptions(common(grid(8, 16, 24, 8),
			charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: catLabel, AxisTick: &opts.AxisTick{AlignWithLabel: opts.Bool(true)}}),
			charts.WithYAxisOpts(opts.YAxis{Type: "value", SplitNumber: 4, AxisLabel: values}),
			charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}))...)
	}
	c.AddSeries(key, data, charts.WithBarChartOpts(opts.BarChart{}),
		charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.BarMaxWidth = "48" }),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: pos}))
	return chartJSON(c)
}

// paretoChart is the share of revenue against the share of customers,
// best customers first, with the 80% line.
func paretoChart(d *reportData, p *page) map[string]interface{} {
	c := charts.NewLine()
	pts := []opts.LineData{{Value: [2]float64{0, 0}}}
	for _, pt := range d.Pareto {
		pts = append(pts, opts.LineData{Value: pt})
	}
	c.SetGlobalOptions(common(grid(8, 40, 32, 36),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "axis"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Max: 100, Name: text(p.Lang, "ax_cust_share"), NameLocation: "middle", NameGap: 26,
			AxisLabel: &opts.AxisLabel{AlignMaxLabel: "right"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Max: 100, Name: text(p.Lang, "ax_rev_share"), AxisLabel: &opts.AxisLabel{}}))...)
	c.AddSeries("pareto", pts, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.15)}),
		charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{YAxis: 80}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"}, Label: &opts.Label{Formatter: "80%"}}))
	return chartJSON(c)
}

// heatmapChart is the R x F grid: customers per cell, or their average revenue.
func heatmapChart(d *reportData, p *page, avg bool) map[string]interface{} {
	c := charts.NewHeatMap()
	maxR, maxF, top := 1, 1, 1.0
	data := make([]opts.HeatMapData, 0, len(d.RF))
	for _, r := range d.RF {
		maxR, maxF = max(maxR, r.R), max(maxF, r.F)
		v := float64(r.Customers)
		if avg {
			v = round2(r.AvgRev)
		}
		top = math.Max(top, v)
		data = append(data, opts.HeatMapData{Value: [3]float64{float64(r.R - 1), float64(r.F - 1), v}})
	}
	var rs, fs []string
	for i := 1; i <= maxR; i++ {
		rs = append(rs, strconv.Itoa(i))
	}
	for i := 1; i <= maxF; i++ {
		fs = append(fs, strconv.Itoa(i))
	}
	c.SetGlobalOptions(common(grid(40, 64, 10, 40),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: rs, Name: text(p.Lang, "ax_r"), NameLocation: "middle", NameGap: 24,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: fs, Name: text(p.Lang, "ax_f"), NameLocation: "middle", NameGap: 24,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}, AxisLabel: &opts.AxisLabel{}}),
		charts.WithVisualMapOpts(opts.VisualMap{Calculable: opts.Bool(false), Min: 0, Max: float32(top), Orient: "vertical",
			Right: "0", Top: "middle", InRange: &opts.VisualMapInRange{Color: []string{"#eef3fb", "#1e3a8a"}},
			TextStyle: &opts.TextStyle{FontSize: 11}}))...)
	c.AddSeries("rf", data,
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), FontSize: 11}),
		charts.WithEmphasisOpts(opts.Emphasis{ItemStyle: &opts.ItemStyle{BorderColor: "#111", BorderWidth: 1}}))
	return chartJSON(c)
}

// histogramChart is the customers per bin of recency, frequency or monetary.
func histogramChart(p *page, metric string, h *histogram) map[string]interface{} {
	c := charts.NewBar()
	cats := make([]string, len(h.Counts))
	for i := range h.Counts {
		cats[i] = binLabel(p.Lang, metric, h, i)
	}
	c.SetXAxis(cats)
	c.SetGlobalOptions(common(grid(8, 16, 32, 36),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: text(p.Lang, "ax_"+metric), NameLocation: "middle", NameGap: 26,
			AxisLabel: &opts.AxisLabel{HideOverlap: opts.Bool(true), FontSize: 11, AlignMaxLabel: "right", AlignMinLabel: "left"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: text(p.Lang, "ax_customers"), AxisLabel: &opts.AxisLabel{}}))...)
	c.AddSeries(metric, nil, charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "8%"}),
		charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.Data = h.Counts }), // the counts as plain numbers
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "#5470c6"}))
	return chartJSON(c)
}

// binLabel names a histogram bin: its range, "≥" for an open last bin.
func binLabel(lang, metric string, h *histogram, i int) string {
	lo := h.Start + float64(i)*h.Width
	f := func(x float64) string { return compactNumber(lang, x) }
	if metric == "monetary" {
		f = func(x float64) string { return compactMoney(lang, x) }
	}
	if i == len(h.Counts)-1 && h.Open {
		return "≥" + f(lo)
	}
	if metric == "monetary" {
		return f(lo) + "–" + f(lo+h.Width) // from, up to but not including
	}
	// Days and orders are whole numbers: a bin's last value is the next bin's start less 1.
	if h.Width == 1 {
		return f(lo)
	}
	return f(lo) + "–" + f(lo+h.Width-1)
}

// compactNumber writes large numbers short, as the page script's compact
// does for axes: 1.2万 (zh), 1.2K (en).
func compactNumber(lang string, x float64) string {
	a, s := math.Abs(x), ""
	if x < 0 {
		s = "-"
	}
	f := func(v float64) string { return strconv.FormatFloat(math.Floor(v*10+0.5)/10, 'f', -1, 64) }
	if lang == "zh" {
		switch {
		case a >= 1e8:
			return s + f(a/1e8) + "亿"
		case a >= 1e4:
			return s + f(a/1e4) + "万"
		}
		return s + formatMoney(a)
	}
	switch {
	case a >= 1e9:
		return s + f(a/1e9) + "B"
	case a >= 1e6:
		return s + f(a/1e6) + "M"
	case a >= 1e4:
		return s + f(a/1e3) + "K"
	}
	return s + formatMoney(a)
}

func compactMoney(lang string, x float64) string {
	if x < 0 {
		return "-" + currency + compactNumber(lang, -x)
	}
	return currency + compactNumber(lang, x)
}

// sankeyLevel places a column's labels: the left column's to the right of
// its nodes, the right column's to the left.
type sankeyLevel struct {
	Depth int        `json:"depth"`
	Label opts.Label `json:"label"`
}

// sankeyCharts is the flow between the last two snapshots, by customers
// and by revenue: nodes "p:CODE" (previous) and "n:CODE" (now) in rule
// order, the synthetic "not in the previous snapshot" (code "") last.
func sankeyCharts(d *reportData, color func(string) string, rank func(string) int) map[string]interface{} {
	moves := append([]moveRow(nil), d.Moves...)
	sort.SliceStable(moves, func(a, b int) bool {
		if ra, rb := rank(moves[a].From), rank(moves[b].From); ra != rb {
			return ra < rb
		}
		return rank(moves[a].To) < rank(moves[b].To)
	})
	var nodes []opts.SankeyNode
	seen := map[string]bool{}
	node := func(side, code string) {
		id := side + ":" + code
		if seen[id] {
			return
		}
		seen[id] = true
		depth := 0
		if side == "n" {
			depth = 1
		}
		c := color(code)
		if code == "" {
			c = "#d1d5db"
		}
		nodes = append(nodes, opts.SankeyNode{Name: id, Depth: &depth, ItemStyle: &opts.ItemStyle{Color: c}})
	}
	for _, m := range moves {
		node("p", m.From)
	}
	byTo := append([]moveRow(nil), moves...)
	sort.SliceStable(byTo, func(a, b int) bool { return rank(byTo[a].To) < rank(byTo[b].To) })
	for _, m := range byTo {
		node("n", m.To)
	}
	out := map[string]interface{}{}
	for _, mode := range []string{"customers", "revenue"} {
		// A flow of no or negative revenue has no width to draw; the page says how many customers it leaves out.
		var links []opts.SankeyLink
		for _, m := range moves {
			v := float64(m.Customers)
			if mode == "revenue" {
				v = m.Revenue
			}
			if v > 0 {
				links = append(links, opts.SankeyLink{Source: "p:" + m.From, Target: "n:" + m.To, Value: float32(v)})
			}
		}
		c := charts.NewSankey()
		c.SetGlobalOptions(common(charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}))...)
		c.AddSeries("moves", nodes, orEmpty(links),
			charts.WithSeriesOpts(func(s *charts.SingleSeries) {
				s.Left, s.Right, s.Top, s.Bottom = "8", "8", "8", "8"
				s.NodeGap, s.NodeWidth = opts.Int(14), opts.Int(14)
				s.Draggable = opts.Bool(false)
				s.Levels = []sankeyLevel{{0, opts.Label{Position: "right"}}, {1, opts.Label{Position: "left"}}}
			}),
			charts.WithLabelOpts(opts.Label{FontSize: 12}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: "source", Curveness: 0.5, Opacity: opts.Float(0.35)}),
			charts.WithEmphasisOpts(opts.Emphasis{Focus: "adjacency"}))
		out[mode] = chartJSON(c)
	}
	return out
}

// historyChart is the customers per segment at every snapshot, on a time axis.
func historyChart(d *reportData, p *page, label, color func(string) string, rank func(string) int) map[string]interface{} {
	var dates []string
	by := map[string]map[string]int64{}
	for _, r := range d.History {
		if !slices.Contains(dates, r.Label) {
			dates = append(dates, r.Label)
		}
		if by[r.Segment] == nil {
			by[r.Segment] = map[string]int64{}
		}
		by[r.Segment][r.Label] = r.Customers
	}
	codes := sortedCodes(by, rank)
	names := make([]string, len(codes))
	for i, code := range codes {
		names[i] = label(code)
	}
	size := 5
	if len(dates) == 1 {
		size = 10 // a lone snapshot's dots
	}
	c := charts.NewLine()
	c.SetGlobalOptions(common(grid(8, 24, 64, 36),
		charts.WithLegendOpts(opts.Legend{Type: "scroll", Top: "0", Data: names}),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "axis"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "time", Name: text(p.Lang, "ax_date"), NameLocation: "middle", NameGap: 26,
			AxisLabel: &opts.AxisLabel{HideOverlap: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: text(p.Lang, "ax_customers"), AxisLabel: &opts.AxisLabel{}}))...)
	for _, code := range codes {
		data := make([]opts.LineData, len(dates))
		for i, day := range dates {
			data[i] = opts.LineData{Value: []interface{}{day, by[code][day]}}
		}
		c.AddSeries(label(code), data, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), SymbolSize: size}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color(code)}))
	}
	return chartJSON(c)
}

// stackedChart is the customers per tag or category, stacked by segment,
// one series per segment whose id is the segment's code.
func stackedChart(rows []countRow, p *page, label, color func(string) string, rank func(string) int) map[string]interface{} {
	var labels []string
	by := map[string]map[string]int64{}
	for _, r := range rows {
		if !slices.Contains(labels, r.Label) {
			labels = append(labels, r.Label)
		}
		if by[r.Segment] == nil {
			by[r.Segment] = map[string]int64{}
		}
		by[r.Segment][r.Label] = r.Customers
	}
	codes := make([]string, 0, len(by))
	for _, r := range rows { // first seen, then in rule order
		if !slices.Contains(codes, r.Segment) {
			codes = append(codes, r.Segment)
		}
	}
	sort.SliceStable(codes, func(a, b int) bool { return rank(codes[a]) < rank(codes[b]) })
	names := make([]string, len(codes))
	for i, code := range codes {
		names[i] = label(code)
	}
	c := charts.NewBar()
	c.SetXAxis(labels).XYReversal()
	c.SetGlobalOptions(common(grid(8, 16, 40, 36),
		charts.WithLegendOpts(opts.Legend{Type: "scroll", Top: "0", Data: names}),
		charts.WithTooltipOpts(opts.Tooltip{Trigger: "item"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: text(p.Lang, "ax_customers"), NameLocation: "middle", NameGap: 24,
			AxisLabel: &opts.AxisLabel{HideOverlap: opts.Bool(true), AlignMaxLabel: "right"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Overflow: "truncate"}}))...)
	for _, code := range codes {
		// Plain numbers for the data, which the stacked bars need no more than: a smaller page.
		data := make([]int64, len(labels))
		for i, l := range labels {
			data[i] = by[code][l]
		}
		c.AddSeries(label(code), nil, charts.WithSeriesId(code), charts.WithBarChartOpts(opts.BarChart{Stack: "segments"}),
			charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.Data = data }),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color(code)}))
	}
	return chartJSON(c)
}

// sortedCodes orders segment codes by the rules, the codes the rules no
// longer have after them by code.
func sortedCodes[V any](m map[string]V, rank func(string) int) []string {
	codes := slices.Sorted(maps.Keys(m))
	sort.SliceStable(codes, func(a, b int) bool {
		ra, rb := rank(codes[a]), rank(codes[b])
		if ra >= 1e5 {
			ra = 1e6
		}
		if rb >= 1e5 {
			rb = 1e6
		}
		return ra < rb
	})
	return codes
}
