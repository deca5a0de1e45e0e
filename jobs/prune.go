package jobs

import (
	"cmp"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// runCopy is a folder out/runs/<as_of>/<run>/ of a run's outputs.
type runCopy struct {
	asOf string
	run  int64
}

// pruneRuns removes the copies of the outputs of all but the latest keep
// runs (by run number) from out/runs/, and from out/reports/ the reports
// of the as-of dates that no copy kept shows. The copy of the outputs
// just put in place stays, whatever its number, and so does the report
// of its date. Only names custcat writes are touched: a file or folder of
// another name in out/runs/ or out/reports/ stays. It returns what it
// removed, as paths inside out; an error does not stop the others.
func pruneRuns(out string, keep int, current runCopy) ([]string, error) {
	if keep <= 0 {
		return nil, nil
	}
	runs := filepath.Join(out, "runs")
	var copies []runCopy
	dates, err := os.ReadDir(runs)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, d := range dates {
		if !d.IsDir() || !isDate(d.Name()) {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(runs, d.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if n, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() && strconv.FormatInt(n, 10) == e.Name() {
				copies = append(copies, runCopy{d.Name(), n})
			}
		}
	}
	slices.SortFunc(copies, func(a, b runCopy) int {
		return cmp.Or(cmp.Compare(b.run, a.run), strings.Compare(b.asOf, a.asOf))
	})
	kept := map[string]bool{current.asOf: true}
	var removed []string
	var errs []error
	for i, c := range copies {
		if i < keep || c == current {
			kept[c.asOf] = true
			continue
		}
		rel := filepath.Join("runs", c.asOf, strconv.FormatInt(c.run, 10))
		if err := os.RemoveAll(filepath.Join(out, rel)); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, rel)
		os.Remove(filepath.Join(runs, c.asOf)) // only once empty
	}
	reports, err := os.ReadDir(filepath.Join(out, "reports"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	for _, r := range reports {
		date, ok := strings.CutPrefix(r.Name(), "report-")
		date, html := strings.CutSuffix(date, ".html")
		if !ok || !html || !isDate(date) || kept[date] || r.IsDir() {
			continue
		}
		rel := filepath.Join("reports", r.Name())
		if err := os.Remove(filepath.Join(out, rel)); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, rel)
	}
	return removed, errors.Join(errs...)
}

// isDate reports whether s is a date as custcat names folders: YYYY-MM-DD.
func isDate(s string) bool {
	t, err := time.Parse(time.DateOnly, s)
	return err == nil && t.Format(time.DateOnly) == s
}
