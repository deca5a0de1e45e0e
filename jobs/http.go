package jobs

import (
	"crypto/subtle"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"custcat/pipeline"
)

// Limits of a request to the daemon's pages: they only answer GETs, so
// a long URL or a large header is an attack or a mistake.
const (
	maxURI         = 2048
	maxHeaderBytes = 8 << 10
)

// pages serves the daemon's read-only HTTP: the run list, /healthz,
// /metrics and the files of the output folder, through an os.Root so
// that no path or symlink leads outside it.
type pages struct {
	d     *daemon
	out   *os.Root
	token string
}

func newServer(cfg *pipeline.Config, d *daemon) (*http.Server, error) {
	dir := cfg.Path(cfg.Out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("output folder: %w", err)
	}
	return &http.Server{
		Handler:           &pages{d: d, out: root, token: cfg.Serve.Token},
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}, nil
}

func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: use GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	if len(r.RequestURI) > maxURI {
		http.Error(w, "URL too long", http.StatusRequestURITooLong)
		return
	}
	if p.token != "" && !p.authorized(r) {
		h.Set("WWW-Authenticate", `Bearer realm="custcat"`)
		http.Error(w, "unauthorized: send Authorization: Bearer <serve.token>", http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/":
		p.index(w, r)
	case r.URL.Path == "/healthz":
		p.healthz(w)
	case r.URL.Path == "/metrics":
		p.metrics(w)
	case strings.HasPrefix(r.URL.Path, "/out/"):
		p.file(w, r, strings.TrimPrefix(r.URL.Path, "/out/"))
	default:
		http.NotFound(w, r)
	}
}

func (p *pages) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(p.token)) == 1
}

// file serves a file of the output folder. Hidden names (the temporary
// files of outputs being written) and folders are not served.
func (p *pages) file(w http.ResponseWriter, r *http.Request, name string) {
	if !fs.ValidPath(name) || name == "." || slices.ContainsFunc(strings.Split(name, "/"), func(s string) bool { return strings.HasPrefix(s, ".") }) {
		http.NotFound(w, r)
		return
	}
	f, err := p.out.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, path.Base(name), st.ModTime(), f)
}

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>custcat runs</title>
<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}.failed{color:#b00}.partial{color:#a60}</style>
</head><body>
<h1>custcat</h1>
<p>{{range .Latest}}<a href="/out/{{.}}">{{.}}</a> · {{end}}<a href="/metrics">metrics</a> · <a href="/healthz">health</a></p>
<p>History read at {{.Read}}; the daemon reads it at start and after each of its jobs.</p>
<table><tr><th>run</th><th>job</th><th>trigger</th><th>as of</th><th>started</th><th>took</th><th>status</th><th>files</th><th>lines loaded</th><th>rejected</th><th>customers</th><th>segments</th><th>report</th><th>error</th></tr>
{{range .Runs}}<tr class="{{.Status}}"><td>{{.ID}}</td><td>{{.Job}}</td><td>{{.Trigger}}</td><td>{{.AsOf}}</td><td>{{.Start}}</td><td>{{.Took}}</td><td>{{.Status}}</td><td>{{.Files}}</td><td>{{.LinesLoaded}}</td><td>{{.LinesRejected}}</td><td>{{.Customers}}</td><td>{{.Segments}}</td><td>{{if .Report}}<a href="/out/{{.Report}}">report</a>{{end}}</td><td>{{.Error}}</td></tr>
{{end}}</table></body></html>
`))

type indexRow struct {
	ID                                    int64
	Job, Trigger, AsOf, Start, Took       string
	Status, Files, Segments, Report       string
	Error                                 string
	LinesLoaded, LinesRejected, Customers int64
}

func (p *pages) index(w http.ResponseWriter, r *http.Request) {
	runs, read := p.d.history.snapshot()
	var latest []string
	for _, n := range []string{"report.html", "categories.csv", "categories.xlsx", "manifest.json", "rejects.csv", "customers.parquet"} {
		if _, err := p.out.Stat(n); err == nil {
			latest = append(latest, n)
		}
	}
	rows := make([]indexRow, 0, len(runs))
	for _, run := range runs {
		row := indexRow{ID: run.ID, Job: run.Job, Trigger: run.Trigger, AsOf: run.AsOf,
			Start: run.Start.Format("2006-01-02 15:04:05"), Status: run.Status, Error: run.Error,
			Files:       fmt.Sprintf("%d loaded, %d failed, %d skipped", run.FilesLoaded, run.FilesFailed, run.FilesSkipped),
			LinesLoaded: run.LinesLoaded, LinesRejected: run.LinesRejected, Customers: run.Customers}
		if d := run.Duration(); d > 0 {
			row.Took = d.Round(time.Millisecond).String()
		}
		var segs []string
		for code, n := range run.Segments {
			segs = append(segs, fmt.Sprintf("%s %d", code, n))
		}
		sort.Strings(segs)
		row.Segments = strings.Join(segs, ", ")
		if run.AsOf != "" && run.Status != "failed" {
			rep := "reports/report-" + run.AsOf + ".html"
			if _, err := p.out.Stat(rep); err == nil {
				row.Report = rep
			}
		}
		rows = append(rows, row)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := indexPage.Execute(w, map[string]any{"Runs": rows, "Latest": latest, "Read": read.Format(time.RFC3339)})
	if err != nil {
		p.d.log.Warn("index page", slog.Any("err", err))
	}
}

// healthz answers 200 while the last scheduled run of every job succeeded
// and none is overdue, else 503 with the reasons.
func (p *pages) healthz(w http.ResponseWriter) {
	reasons := p.d.health(p.d.now())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(reasons) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, strings.Join(reasons, "\n"))
		return
	}
	fmt.Fprintln(w, "ok")
}

// health lists what is wrong with the scheduled jobs at now.
func (d *daemon) health(now time.Time) []string {
	last := d.lastRuns("schedule")
	var reasons []string
	names := make([]string, 0, len(d.scheds))
	for n := range d.scheds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		s := d.scheds[name]
		var lastOK time.Time
		if r, ok := last[name]; ok {
			switch r.Status {
			case "ok", "accepted":
				lastOK = r.Start
			case "failed", "partial", "held":
				msg := fmt.Sprintf("job %s: the last scheduled run (%d, started %s) ended %s", name, r.ID, r.Start.Format(time.RFC3339), r.Status)
				if r.Error != "" {
					msg += ": " + r.Error
				}
				reasons = append(reasons, msg)
				continue
			}
		}
		if why := Overdue(s, lastOK, d.started, now, s.Job.Timeout); why != "" {
			reasons = append(reasons, why)
		}
	}
	return reasons
}

// lastRuns is the newest finished run of each job, of trigger or of any
// trigger when trigger is "", from the history and the daemon's own runs.
func (d *daemon) lastRuns(trigger string) map[string]RunRecord {
	out := map[string]RunRecord{}
	consider := func(r RunRecord) {
		if (trigger != "" && r.Trigger != trigger) || r.Status == "running" {
			return
		}
		if have, ok := out[r.Job]; !ok || r.Start.After(have.Start) {
			out[r.Job] = r
		}
	}
	runs, _ := d.history.snapshot()
	for _, r := range runs {
		consider(r)
	}
	d.mu.Lock()
	for _, r := range d.lastSeen {
		consider(r)
	}
	d.mu.Unlock()
	return out
}

// metrics writes the Prometheus text format (version 0.0.4): per job, of
// its last run, when it last succeeded and the customers per segment.
func (p *pages) metrics(w http.ResponseWriter) {
	last := p.d.lastRuns("")
	jobs := make([]string, 0, len(last))
	for j := range last {
		jobs = append(jobs, j)
	}
	sort.Strings(jobs)
	lastOK := map[string]RunRecord{}
	runs, read := p.d.history.snapshot()
	for _, r := range runs {
		if have, ok := lastOK[r.Job]; r.Status == "ok" && (!ok || r.Start.After(have.Start)) {
			lastOK[r.Job] = r
		}
	}
	p.d.mu.Lock()
	for _, r := range p.d.lastSeen {
		if have, ok := lastOK[r.Job]; r.Status == "ok" && (!ok || r.Start.After(have.Start)) {
			lastOK[r.Job] = r
		}
	}
	p.d.mu.Unlock()

	var b strings.Builder
	gauge := func(name, help string, each func(emit func(labels string, v float64))) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
		each(func(labels string, v float64) {
			fmt.Fprintf(&b, "%s%s %s\n", name, labels, strconv.FormatFloat(v, 'g', -1, 64))
		})
	}
	perJob := func(f func(r RunRecord) float64) func(emit func(string, float64)) {
		return func(emit func(string, float64)) {
			for _, j := range jobs {
				emit(labels("job", j), f(last[j]))
			}
		}
	}
	gauge("custcat_last_success_timestamp_seconds", "Unix time at which the last successful run of the job ended.", func(emit func(string, float64)) {
		for _, j := range jobs {
			if r, ok := lastOK[j]; ok {
				emit(labels("job", j), float64(r.End.UnixMilli())/1000)
			}
		}
	})
	gauge("custcat_last_run_success", "1 when the last run of the job succeeded, else 0 (failed, or some files failed).", perJob(func(r RunRecord) float64 {
		if r.Status == "ok" {
			return 1
		}
		return 0
	}))
	gauge("custcat_last_run_duration_seconds", "How long the last run of the job took.", perJob(func(r RunRecord) float64 { return r.Duration().Seconds() }))
	gauge("custcat_last_run_lines_loaded", "Lines the last run of the job loaded.", perJob(func(r RunRecord) float64 { return float64(r.LinesLoaded) }))
	gauge("custcat_last_run_lines_rejected", "Lines the last run of the job rejected.", perJob(func(r RunRecord) float64 { return float64(r.LinesRejected) }))
	gauge("custcat_customers", "Customers per segment after the last successful run of the job.", func(emit func(string, float64)) {
		for _, j := range jobs {
			r, ok := lastOK[j]
			if !ok {
				continue
			}
			codes := make([]string, 0, len(r.Segments))
			for c := range r.Segments {
				codes = append(codes, c)
			}
			sort.Strings(codes)
			for _, c := range codes {
				emit(labels("job", j, "segment", c), float64(r.Segments[c]))
			}
		}
	})
	gauge("custcat_history_read_timestamp_seconds", "Unix time at which the daemon last read the run history.", func(emit func(string, float64)) {
		emit("", float64(read.UnixMilli())/1000)
	})
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	fmt.Fprint(w, b.String())
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// labels writes name="value" pairs in braces, escaped as the format wants.
func labels(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+`="`+labelEscaper.Replace(kv[i+1])+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}
