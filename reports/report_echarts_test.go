package reports_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"testing"
)

// pageOptions reads the chart options (built with go-echarts) and the
// segments out of a report's page data.
func pageOptions(t *testing.T, path string) (map[string]any, []map[string]any) {
	t.Helper()
	html, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="report-data">(.*?)</script>`).FindSubmatch(html)
	if m == nil {
		t.Fatal("the report has no page data")
	}
	var page struct {
		Options  map[string]any
		Segments []map[string]any
	}
	if err := json.Unmarshal(m[1], &page); err != nil {
		t.Fatal(err)
	}
	return page.Options, page.Segments
}

// path reads a value out of decoded JSON: keys of objects, indexes of lists.
func path(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			o, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %q", keys, k)
			}
			v = o[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d", keys, k)
			}
			v = l[k]
		}
	}
	return v
}

func noNulls(t *testing.T, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case nil:
		t.Errorf("%s is null: ECharts would take it over its default", where)
	case map[string]any:
		for k, e := range x {
			noNulls(t, where+"."+k, e)
		}
	case []any:
		for i, e := range x {
			noNulls(t, fmt.Sprintf("%s[%d]", where, i), e)
		}
	}
}

// TestReportChartOptions checks the charts' options the report carries, as
// go-echarts built them, against the database: the eleven segments as
// horizontal bars in their colours, the heat map's cells, the Sankey's
// flows and the history per snapshot; and that the three-segment report
// has its upright bars too.
func TestReportChartOptions(t *testing.T) {
	rc := rfmCase(t)
	o, segs := pageOptions(t, rc.path)
	for id, chart := range o {
		noNulls(t, id, chart)
	}

	// Eleven segments: horizontal bars only, names down the side in rule order.
	bars := path(t, o, "seg_customers").(map[string]any)
	if _, ok := bars["v"]; ok || len(segs) != 11 {
		t.Errorf("%d segments: the options have upright bars too (%v)", len(segs), reflect.ValueOf(bars).MapKeys())
	}
	h := bars["h"]
	if path(t, h, "yAxis", 0, "type") != "category" || path(t, h, "xAxis", 0, "type") != "value" {
		t.Errorf("the horizontal bars have a %v Y axis", path(t, h, "yAxis", 0, "type"))
	}
	for i, s := range segs {
		if got := path(t, h, "yAxis", 0, "data", i); got != s["label"] {
			t.Errorf("bar %d is named %v, the segment %v", i, got, s["label"])
		}
		if got := path(t, h, "series", 0, "data", i, "itemStyle", "color"); got != s["color"] {
			t.Errorf("bar %d (%v) is %v, the segment's colour %v", i, s["code"], got, s["color"])
		}
		var n float64
		if err := rc.db.QueryRow(`SELECT count(*) FROM snapshots WHERE as_of = ? AND segment_code = ?`, rc.asOf, s["code"]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if got := path(t, h, "series", 0, "data", i, "value"); got != n {
			t.Errorf("bar %v: %v customers, the database %v", s["code"], got, n)
		}
		if got := path(t, o, "seg_revenue", "h", "series", 0, "label", "position"); got != "right" {
			t.Errorf("the revenue bars' labels are at %v", got)
		}
	}

	// The heat map: R and F columns named 1..n, every cell as in SQL.
	rf := o["rf_count"]
	rows, err := rc.db.Query(`SELECT r_score, f_score, count(*) FROM snapshots WHERE as_of = ? AND r_score IS NOT NULL AND f_score IS NOT NULL
		GROUP BY ALL ORDER BY ALL`, rc.asOf)
	if err != nil {
		t.Fatal(err)
	}
	want := map[[2]float64]float64{}
	maxR := 0
	for rows.Next() {
		var r, f int
		var n float64
		if err := rows.Scan(&r, &f, &n); err != nil {
			t.Fatal(err)
		}
		want[[2]float64{float64(r - 1), float64(f - 1)}] = n
		maxR = max(maxR, r)
	}
	rows.Close()
	xs, _ := path(t, rf, "xAxis", 0, "data").([]any)
	if len(xs) != maxR || len(xs) == 0 || xs[0] != "1" || xs[len(xs)-1] != strconv.Itoa(maxR) {
		t.Errorf("the heat map's R columns are %v, want 1..%d", xs, maxR)
	}
	cells := path(t, rf, "series", 0, "data").([]any)
	if len(cells) != len(want) {
		t.Errorf("the heat map has %d cells, the database %d", len(cells), len(want))
	}
	for i := range cells {
		v := path(t, cells, i, "value").([]any)
		if n := want[[2]float64{v[0].(float64), v[1].(float64)}]; n != v[2] {
			t.Errorf("heat-map cell R %v F %v: %v customers, the database %v", v[0].(float64)+1, v[1].(float64)+1, v[2], n)
		}
	}

	// The Sankey by customers: one flow per move, as in SQL.
	flows := map[string]float64{}
	rows, err = rc.db.Query(`SELECT coalesce(prev_segment, ''), segment_code, count(*) FROM snapshots WHERE as_of = ? GROUP BY ALL`, rc.asOf)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var from, to string
		var n float64
		if err := rows.Scan(&from, &to, &n); err != nil {
			t.Fatal(err)
		}
		flows["p:"+from+" n:"+to] = n
	}
	rows.Close()
	links := path(t, o, "moves", "customers", "series", 0, "links").([]any)
	if len(links) != len(flows) {
		t.Errorf("the Sankey has %d flows, the database %d moves", len(links), len(flows))
	}
	for i := range links {
		k := fmt.Sprint(path(t, links, i, "source"), " ", path(t, links, i, "target"))
		if got := path(t, links, i, "value"); got != flows[k] {
			t.Errorf("flow %s: %v customers, the database %v", k, got, flows[k])
		}
	}

	// History: a time axis, a line per segment, a point per snapshot.
	hist := o["history"]
	if path(t, hist, "xAxis", 0, "type") != "time" {
		t.Errorf("the history axis is %v", path(t, hist, "xAxis", 0, "type"))
	}
	var dates int
	if err := rc.db.QueryRow(`SELECT count(DISTINCT as_of) FROM snapshots WHERE as_of <= ?`, rc.asOf).Scan(&dates); err != nil {
		t.Fatal(err)
	}
	for _, s := range path(t, hist, "series").([]any) {
		name := path(t, s, "name")
		data := path(t, s, "data").([]any)
		if len(data) != dates {
			t.Errorf("history of %v: %d points, %d snapshots", name, len(data), dates)
		}
		for i := range data {
			v := path(t, data, i, "value").([]any)
			var n float64
			err := rc.db.QueryRow(`SELECT count(*) FROM snapshots WHERE as_of = CAST(? AS DATE) AND segment_code || ' ' = substr(?, 1, length(segment_code) + 1)`,
				v[0], name).Scan(&n)
			if err != nil && err != sql.ErrNoRows {
				t.Fatal(err)
			}
			if n != v[1] {
				t.Errorf("history of %v at %v: %v customers, the database %v", name, v[0], v[1], n)
			}
		}
	}

	// Three segments: the bars stand up too, labels on top.
	g, _ := pageOptions(t, generatedCase(t).path)
	if got := path(t, g, "seg_revenue", "v", "series", 0, "label", "position"); got != "top" {
		t.Errorf("three segments: the upright bars' labels are at %v", got)
	}
	if path(t, g, "seg_revenue", "v", "xAxis", 0, "type") != "category" {
		t.Error("three segments: the upright bars have no category X axis")
	}
}
