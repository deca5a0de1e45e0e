package reports

import (
	"context"
	"database/sql"
	"fmt"

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
}

// countRow is a count of customers by a label and a segment: history, tags, categories.
type countRow struct {
	Label, Segment string
	Customers      int64
}

type customerRow struct {
	Segment, Code, Name string
	Revenue             float64
	Frequency           int64
	Recency             sql.NullInt64
	RFM, ABC, Prev      string
	Tags                string
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
	Top        []customerRow
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
	d := &reportData{RunID: opt.RunID}
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
			err := s.Scan(&m.From, &m.To, &m.Customers)
			d.Moves = append(d.Moves, m)
			return err
		}},
		{"ReportHistory", []any{opt.AsOf}, countInto(&d.History)},
		{"ReportTags", []any{opt.AsOf, barLimit}, countInto(&d.Tags)},
		{"ReportCategories", []any{opt.AsOf, barLimit}, countInto(&d.Categories)},
		{"ReportTopCustomers", []any{opt.AsOf, opt.TopN}, func(s scanner) error {
			var c customerRow
			err := s.Scan(&c.Segment, &c.Code, &c.Name, &c.Revenue, &c.Frequency, &c.Recency, &c.RFM, &c.ABC, &c.Prev, &c.Tags)
			d.Top = append(d.Top, c)
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
	return d, nil
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
