package jobs

import (
	"net/http"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// runStatuses are the ways a run ends; held is a run stopped before the
// ERP got its file.
var runStatuses = []string{"ok", "partial", "failed", "held"}

// lineKinds are the kinds of lines custcat_lines_total counts.
var lineKinds = []string{"loaded", "rejected", "duplicate"}

// metrics are the daemon's Prometheus series. Counters count what this
// process did; the gauges of the state (last runs, next runs, customers,
// failed files) are read from the daemon at each scrape. Every series a
// job or segment of the config has exists from the start, at zero, so
// that an alert on a job that never ran can fire.
type metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	lines    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(d *daemon) *metrics {
	m := &metrics{reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "custcat_runs_total",
			Help: "Runs this daemon finished, by job and how they ended (ok, partial: some files failed, failed, held)."}, []string{"job", "status"}),
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "custcat_lines_total",
			Help: "Input lines the runs of this daemon read, by what became of them."}, []string{"kind"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "custcat_run_duration_seconds",
			Help:    "How long the runs of this daemon took, by job.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600}}, []string{"job"}),
	}
	for _, s := range d.sortedScheds() {
		for _, st := range runStatuses {
			m.runs.WithLabelValues(s.Job.Name, st)
		}
		m.duration.WithLabelValues(s.Job.Name)
	}
	for _, k := range lineKinds {
		m.lines.WithLabelValues(k)
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.runs, m.lines, m.duration, &stateCollector{d: d},
	)
	return m
}

// observe counts a run the daemon finished.
func (m *metrics) observe(r RunRecord, res *RunResult) {
	m.runs.WithLabelValues(r.Job, r.Status).Inc()
	if d := r.Duration(); d > 0 {
		m.duration.WithLabelValues(r.Job).Observe(d.Seconds())
	}
	if res != nil && res.Load != nil {
		t := res.Load.Totals()
		m.lines.WithLabelValues("loaded").Add(float64(t.Loaded))
		m.lines.WithLabelValues("rejected").Add(float64(t.Rejected))
		m.lines.WithLabelValues("duplicate").Add(float64(t.Duplicate))
	}
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

var (
	descLastRun = prometheus.NewDesc("custcat_job_last_run_timestamp_seconds",
		"Unix time at which the last run of the job ended; 0 if it never ran.", []string{"job"}, nil)
	descLastSuccess = prometheus.NewDesc("custcat_job_last_success_timestamp_seconds",
		"Unix time at which the last successful run of the job ended; 0 if none did.", []string{"job"}, nil)
	descNextRun = prometheus.NewDesc("custcat_job_next_run_timestamp_seconds",
		"Unix time at which the job is next due; 0 if it has no time in the next five years.", []string{"job"}, nil)
	descLastOK = prometheus.NewDesc("custcat_job_last_run_ok",
		"1 when the last run of the job ended ok (or accepted), else 0 (never ran, failed, partial, held).", []string{"job"}, nil)
	descCustomers = prometheus.NewDesc("custcat_customers",
		"Customers per segment after the last successful run of the job.", []string{"job", "segment"}, nil)
	descFilesFailed = prometheus.NewDesc("custcat_files_failed",
		"Files waiting in the failed folder for a person (custcat retry, or remove them).", nil, nil)
	descFailedFile = prometheus.NewDesc("custcat_failed_file_info",
		"1 for each file waiting in the failed folder, with the first line of its reason.", []string{"file", "reason"}, nil)
	descHistoryRead = prometheus.NewDesc("custcat_history_read_timestamp_seconds",
		"Unix time at which the daemon last read the run history.", nil, nil)
)

// stateCollector reads the daemon's state at each scrape.
type stateCollector struct{ d *daemon }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLastRun, descLastSuccess, descNextRun, descLastOK, descCustomers, descFilesFailed, descFailedFile, descHistoryRead} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.d
	now := d.now()
	last := d.lastRuns("")
	lastOK := d.lastSuccess()
	segments := d.segmentCodes()
	unix := func(r RunRecord, ok bool) float64 {
		if !ok || r.End.IsZero() {
			return 0
		}
		return float64(r.End.UnixMilli()) / 1000
	}
	for _, s := range d.sortedScheds() {
		j := s.Job.Name
		r, ran := last[j]
		ok, succeeded := lastOK[j]
		ch <- prometheus.MustNewConstMetric(descLastRun, prometheus.GaugeValue, unix(r, ran), j)
		ch <- prometheus.MustNewConstMetric(descLastSuccess, prometheus.GaugeValue, unix(ok, succeeded), j)
		next := 0.0
		if n := s.Cron.Next(now); !n.IsZero() {
			next = float64(n.Unix())
		}
		ch <- prometheus.MustNewConstMetric(descNextRun, prometheus.GaugeValue, next, j)
		lastWasOK := 0.0
		if ran && okLike(r.Status) {
			lastWasOK = 1
		}
		ch <- prometheus.MustNewConstMetric(descLastOK, prometheus.GaugeValue, lastWasOK, j)
		for _, seg := range segments {
			ch <- prometheus.MustNewConstMetric(descCustomers, prometheus.GaugeValue, float64(ok.Segments[seg]), j, seg)
		}
	}
	failed := d.failedFiles()
	ch <- prometheus.MustNewConstMetric(descFilesFailed, prometheus.GaugeValue, float64(len(failed)))
	for _, f := range failed {
		// The label holds the reason's first line: an alert's summary, not the whole story.
		first, _, _ := strings.Cut(f.Reason, " / ")
		ch <- prometheus.MustNewConstMetric(descFailedFile, prometheus.GaugeValue, 1, f.Name, clip(first, 200))
	}
	_, read := d.history.snapshot()
	readAt := 0.0
	if !read.IsZero() {
		readAt = float64(read.UnixMilli()) / 1000
	}
	ch <- prometheus.MustNewConstMetric(descHistoryRead, prometheus.GaugeValue, readAt)
}

// segmentCodes are the segments of the config, and any other a run of
// the history counted (the config may have changed since).
func (d *daemon) segmentCodes() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range d.cfg.Segments {
		if !seen[s.Code] {
			seen[s.Code] = true
			out = append(out, s.Code)
		}
	}
	var extra []string
	for _, r := range d.lastSuccess() {
		for c := range r.Segments {
			if !seen[c] {
				seen[c] = true
				extra = append(extra, c)
			}
		}
	}
	sort.Strings(extra)
	return append(out, extra...)
}
