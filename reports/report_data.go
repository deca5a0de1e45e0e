package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math"

	custsql "custcat/sql"
)

// The figures of one report, read from the store by the blocks of
// sql/report.sql.

type fileRow struct {
	Name, Source, Format, Status, Reason       string
	Read, Loaded, Rejected, Duplicate, Summary int64
}

type cutRow struct {
	Metric, Method, Cuts string
	Collapsed            bool
}

type segmentRow struct {
	Code, Name        string
	Customers, Scored int64
	Revenue           float64
	ParetoA           int64
}

type rfCell struct {
	R, F      int
	Customers int64
	AvgRev    float64
}

type moveRow struct {
	From, To  string
	Customers int64
	Revenue   float64
}

// countRow is a count of customers by a label and a segment: history, tags, categories.
type countRow struct {
	Label, Segment string
	Customers      int64
}

// segmentStats are the medians and the average order value of one segment,
// over its customers with an order in the window.
type segmentStats struct {
	Recency, Frequency, Monetary sql.NullFloat64
	Orders                       int64
	OrderRevenue                 float64
}

// histogram is the count of customers per bin of one metric.
type histogram struct {
	Start, Width float64
	Counts       []int64
	Open         bool // the last bin holds every value above its start
}

type rejectRow struct {
	Kind    string
	Lines   int64
	Example string
}

type masterRow struct {
	Customers, InMaster int64
}

// qualityRow is how many findings one check of the customer data made.
type qualityRow struct {
	Check       string
	NeedsMaster bool
	Customers   int64
}

// reportData is everything read from the store for one report.
type reportData struct {
	RunID      int64
	Files      []fileRow
	Cuts       []cutRow
	Segments   []segmentRow
	Pareto     [][2]float64
	RF         []rfCell
	PrevDate   string
	Moves      []moveRow
	History    []countRow
	Tags       []countRow
	Categories []countRow
	Stats      map[string]segmentStats
	Histograms map[string]*histogram // recency_days, frequency, monetary
	Rejects    []rejectRow
	Master     masterRow
	Quality    []qualityRow
	Reviewed   bool        // a run reviewed the customer data as of the date
	Notes      [][3]string // kind, subject, detail: the snapshot's warnings
}

// paretoPoints bounds the points of the Pareto curve whatever the number of customers.
const paretoPoints = 200

// barLimit is how many tags or categories the bar charts show.
const barLimit = 15

func loadReport(ctx context.Context, q Querier, opt ReportOptions) (*reportData, error) {
	d := &reportData{RunID: opt.RunID, Stats: map[string]segmentStats{}}
	if d.RunID == 0 {
		if err := queryRows(ctx, q, "ReportRunID", []any{opt.AsOf}, func(s scanner) error { return s.Scan(&d.RunID) }); err != nil {
			return nil, err
		}
	}
	steps := []struct {
		name string
		args []any
		scan func(scanner) error
	}{
		{"ReportFiles", []any{d.RunID}, func(s scanner) error {
			var f fileRow
			err := s.Scan(&f.Name, &f.Source, &f.Format, &f.Status, &f.Reason, &f.Read, &f.Loaded, &f.Rejected, &f.Duplicate, &f.Summary)
			d.Files = append(d.Files, f)
			return err
		}},
		{"ReportCuts", []any{opt.AsOf}, func(s scanner) error {
			var c cutRow
			err := s.Scan(&c.Metric, &c.Method, &c.Cuts, &c.Collapsed)
			d.Cuts = append(d.Cuts, c)
			return err
		}},
		{"ReportSegments", []any{opt.AsOf}, func(s scanner) error {
			var r segmentRow
			err := s.Scan(&r.Code, &r.Name, &r.Customers, &r.Scored, &r.Revenue, &r.ParetoA)
			d.Segments = append(d.Segments, r)
			return err
		}},
		{"ReportPareto", []any{opt.AsOf, paretoPoints}, func(s scanner) error {
			var p [2]float64
			err := s.Scan(&p[0], &p[1])
			d.Pareto = append(d.Pareto, p)
			return err
		}},
		{"ReportRF", []any{opt.AsOf}, func(s scanner) error {
			var c rfCell
			err := s.Scan(&c.R, &c.F, &c.Customers, &c.AvgRev)
			d.RF = append(d.RF, c)
			return err
		}},
		{"ReportPreviousDate", []any{opt.AsOf}, func(s scanner) error { return s.Scan(&d.PrevDate) }},
		{"ReportMoves", []any{opt.AsOf}, func(s scanner) error {
			var m moveRow
			err := s.Scan(&m.From, &m.To, &m.Customers, &m.Revenue)
			d.Moves = append(d.Moves, m)
			return err
		}},
		{"ReportHistory", []any{opt.AsOf}, countInto(&d.History)},
		{"ReportTags", []any{opt.AsOf, barLimit}, countInto(&d.Tags)},
		{"ReportCategories", []any{opt.AsOf, barLimit}, countInto(&d.Categories)},
		{"ReportSegmentStats", []any{opt.AsOf}, func(s scanner) error {
			var code string
			var st segmentStats
			err := s.Scan(&code, &st.Recency, &st.Frequency, &st.Monetary, &st.Orders, &st.OrderRevenue)
			d.Stats[code] = st
			return err
		}},
		{"ReportRejects", []any{d.RunID}, func(s scanner) error {
			var r rejectRow
			err := s.Scan(&r.Kind, &r.Lines, &r.Example)
			d.Rejects = append(d.Rejects, r)
			return err
		}},
		{"SnapshotNotes", []any{opt.AsOf}, func(s scanner) error {
			var n [3]string
			err := s.Scan(&n[0], &n[1], &n[2])
			d.Notes = append(d.Notes, n)
			return err
		}},
		{"ReportMasterData", []any{opt.AsOf}, func(s scanner) error {
			return s.Scan(&d.Master.Customers, &d.Master.InMaster)
		}},
		{"ReportQualityReviewed", []any{opt.AsOf}, func(s scanner) error { return s.Scan(&d.Reviewed) }},
		{"ReportQuality", []any{opt.AsOf}, func(s scanner) error {
			var r qualityRow
			err := s.Scan(&r.Check, &r.NeedsMaster, &r.Customers)
			d.Quality = append(d.Quality, r)
			return err
		}},
	}
	for _, st := range steps {
		if err := queryRows(ctx, q, st.name, st.args, st.scan); err != nil {
			return nil, err
		}
	}
	if err := loadHistograms(ctx, q, opt.AsOf, d); err != nil {
		return nil, err
	}
	return d, nil
}

// histogramBins is about how many bins a histogram has: the values up to
// the 99th percentile spread over them, the rest in one last bin.
const histogramBins = 20

// loadHistograms counts the customers with an order per bin of recency,
// frequency and monetary, with bins of a round width.
func loadHistograms(ctx context.Context, q Querier, asOf string, d *reportData) error {
	var r [6]float64
	if err := queryRows(ctx, q, "ReportMetricRanges", []any{asOf}, func(s scanner) error {
		return s.Scan(&r[0], &r[1], &r[2], &r[3], &r[4], &r[5])
	}); err != nil {
		return err
	}
	metrics := []string{"recency_days", "frequency", "monetary"}
	starts := []float64{0, 1, 0}
	d.Histograms = map[string]*histogram{}
	args := []any{asOf, 0.0, 0.0, 0.0, 0, 0, 0}
	for i, m := range metrics {
		p99, top := r[2*i], r[2*i+1]
		width := niceWidth((p99 - starts[i]) / histogramBins)
		if m != "monetary" { // days and orders are whole numbers
			width = math.Max(1, math.Ceil(width))
		}
		// max: a night of returns only nets every customer below zero, and
		// a 99th percentile below the start made a negative bin count.
		bins := max(1, int(math.Floor((p99-starts[i])/width))+1)
		open := top >= starts[i]+float64(bins)*width
		if open {
			bins++ // an open bin for the values past the 99th percentile
		}
		d.Histograms[m] = &histogram{Start: starts[i], Width: width, Counts: make([]int64, bins), Open: open}
		args[1+i], args[4+i] = width, bins
	}
	return queryRows(ctx, q, "ReportHistograms", args, func(s scanner) error {
		var m string
		var bin, n int64
		if err := s.Scan(&m, &bin, &n); err != nil {
			return err
		}
		if h := d.Histograms[m]; h != nil && bin >= 0 && int(bin) < len(h.Counts) {
			h.Counts[bin] = n
		}
		return nil
	})
}

// niceWidth rounds a bin width up to 1, 2 or 5 times a power of ten.
func niceWidth(raw float64) float64 {
	if !(raw > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

type scanner interface{ Scan(dest ...any) error }

func countInto(dst *[]countRow) func(scanner) error {
	return func(s scanner) error {
		var c countRow
		err := s.Scan(&c.Label, &c.Segment, &c.Customers)
		*dst = append(*dst, c)
		return err
	}
}

// queryRows runs the named statement and calls scan for every row.
func queryRows(ctx context.Context, q Querier, name string, args []any, scan func(scanner) error) error {
	rows, err := q.QueryContext(ctx, custsql.Query(name), args...)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
