package jobs

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// pageWords are the words of the daemon's pages, in the report's languages.
var pageWords = map[string]map[string]string{
	"zh": {
		"lang": "zh-CN", "title": "custcat 运行记录", "attention": "需要处理", "healthy": "一切正常：/healthz 为 200。",
		"jobs": "作业", "job": "作业", "schedule": "计划", "zone": "时区", "last run": "上次运行", "next run": "下次运行",
		"never": "从未运行", "latest": "最新输出", "runs": "运行", "run": "运行", "trigger": "触发", "as of": "截至日期",
		"started": "开始", "took": "用时", "status": "状态", "files": "文件", "lines loaded": "载入行", "rejected": "拒绝行",
		"customers": "客户", "segments": "分类", "outputs": "输出", "why": "原因",
		"files fmt": "载入 %d，失败 %d，跳过 %d", "report": "报告", "report of": "报告（%s）",
		"read": "运行记录读取于 %s；守护进程在启动时和每个作业之后读取。",
		"ok":   "成功", "partial": "部分文件失败", "failed": "失败", "held": "已暂停", "accepted": "已确认放行", "running": "运行中",
		"login": "登录", "login text": "这些页面需要 serve.token。输入一次，浏览器会记住（Cookie）。", "token": "令牌",
		"page wrong token": "令牌不对。",
	},
	"en": {
		"lang": "en", "title": "custcat runs", "attention": "Needs attention", "healthy": "All well: /healthz answers 200.",
		"jobs": "Jobs", "job": "job", "schedule": "schedule", "zone": "time zone", "last run": "last run", "next run": "next run",
		"never": "never ran", "latest": "Latest outputs", "runs": "Runs", "run": "run", "trigger": "trigger", "as of": "as of",
		"started": "started", "took": "took", "status": "status", "files": "files", "lines loaded": "lines loaded", "rejected": "rejected",
		"customers": "customers", "segments": "segments", "outputs": "outputs", "why": "why",
		"files fmt": "%d loaded, %d failed, %d skipped", "report": "report", "report of": "report (%s)",
		"read": "History read at %s; the daemon reads it at start and after each of its jobs.",
		"ok":   "ok", "partial": "partial", "failed": "failed", "held": "held", "accepted": "accepted", "running": "running",
		"login": "Log in", "login text": "These pages need serve.token. Enter it once; the browser keeps it (a cookie).", "token": "token",
		"page wrong token": "That is not the token.",
	},
}

// tr is the page's word for key in lang, formatted with args.
func tr(lang, key string, args ...any) string {
	w, ok := pageWords[lang]
	if !ok {
		w = pageWords["en"]
	}
	s, ok := w[key]
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

const pageStyle = `body{font:14px/1.4 sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin-bottom:1.5em}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.bad,.bad td{color:#b00}.partial td{color:#a50}.attention{border:2px solid #b00;padding:.5em 1em;color:#b00;max-width:70em}
.well{color:#070}.why{max-width:36em}form input{font-size:16px;padding:4px}`

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="{{.T.lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.T.title}}</title><style>` + pageStyle + `</style></head><body>
<h1>{{.T.title}}</h1>
{{if .Attention}}<div class="attention" id="attention"><h2>{{.T.attention}}</h2><ul>{{range .Attention}}<li>{{.}}</li>{{end}}</ul></div>
{{else}}<p class="well" id="attention">{{.T.healthy}}</p>{{end}}
<h2>{{.T.jobs}}</h2>
<table id="jobs"><tr><th>{{.T.job}}</th><th>{{.T.schedule}}</th><th>{{.T.zone}}</th><th>{{index .T "last run"}}</th><th>{{index .T "next run"}}</th></tr>
{{range .Jobs}}<tr{{if .Bad}} class="bad"{{end}}><td>{{.Name}}</td><td><code>{{.Schedule}}</code></td><td>{{.Zone}}</td><td>{{.Last}}</td><td>{{.Next}}</td></tr>
{{end}}</table>
<p>{{.T.latest}}: {{range .Latest}}<a href="/out/{{.}}">{{.}}</a> · {{end}}<a href="/metrics">metrics</a> · <a href="/healthz">health</a></p>
<h2>{{.T.runs}}</h2>
<table id="runs"><tr><th>{{.T.run}}</th><th>{{.T.job}}</th><th>{{.T.trigger}}</th><th>{{index .T "as of"}}</th><th>{{.T.started}}</th><th>{{.T.took}}</th><th>{{.T.status}}</th><th>{{.T.files}}</th><th>{{index .T "lines loaded"}}</th><th>{{.T.rejected}}</th><th>{{.T.customers}}</th><th>{{.T.segments}}</th><th>{{.T.outputs}}</th><th>{{.T.why}}</th></tr>
{{range .Runs}}<tr class="{{.Class}}" data-run="{{.ID}}"><td>{{.ID}}</td><td>{{.Job}}</td><td>{{.Trigger}}</td><td>{{.AsOf}}</td><td>{{.Start}}</td><td>{{.Took}}</td><td>{{.StatusWord}}</td><td>{{.Files}}</td><td>{{.LinesLoaded}}</td><td>{{.LinesRejected}}</td><td>{{.Customers}}</td><td>{{.Segments}}</td><td>{{range .Links}}<a href="/out/{{.Path}}">{{.Label}}</a> {{end}}</td><td class="why">{{range .Why}}<div>{{.}}</div>{{end}}</td></tr>
{{end}}</table>
<p>{{.Read}}</p>
</body></html>
`))

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="{{.T.lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.T.title}}</title><style>` + pageStyle + `</style></head><body>
<h1>{{.T.title}}</h1><p>{{index .T "login text"}}</p>{{if .Problem}}<p class="bad">{{.Problem}}</p>{{end}}
<form method="post" action="/login"><input type="hidden" name="next" value="{{.Next}}">
<label>{{.T.token}} <input type="password" name="token" autocomplete="current-password" autofocus></label>
<button type="submit">{{.T.login}}</button></form></body></html>
`))

type runLink struct{ Path, Label string }

type indexRow struct {
	ID                                    int64
	Job, Trigger, AsOf, Start, Took       string
	Status, StatusWord, Class             string
	Files, Segments                       string
	Links                                 []runLink
	Why                                   []string
	LinesLoaded, LinesRejected, Customers int64
}

type jobRow struct {
	Name, Schedule, Zone, Last, Next string
	Bad                              bool
}

// pageWordsOf are the words of lang, English where lang has none.
func pageWordsOf(lang string) map[string]string {
	out := maps.Clone(pageWords["en"])
	maps.Copy(out, pageWords[lang])
	return out
}

func (p *pages) loginForm(w io.Writer, next, problem string) {
	t := pageWordsOf(p.d.cfg.Language)
	if err := loginPage.Execute(w, map[string]any{"T": t, "Next": safeNext(next), "Problem": problem}); err != nil {
		p.d.log.Warn("login page", slog.Any("err", err))
	}
}

func (p *pages) index(w http.ResponseWriter, r *http.Request) {
	lang := p.d.cfg.Language
	now := p.d.now()
	runs, read := p.d.history.snapshot()
	var latest []string
	for _, n := range []string{"report.html", "categories.csv", "categories.xlsx", "manifest.json", "quality.csv", "rejects.csv", "customers.parquet"} {
		if _, err := p.out.Stat(n); err == nil {
			latest = append(latest, n)
		}
	}
	last := p.d.lastRuns("")
	var jobs []jobRow
	for _, s := range p.d.sortedScheds() {
		row := jobRow{Name: s.Job.Name, Schedule: s.Job.Schedule, Zone: s.Loc.String(), Last: tr(lang, "never"), Next: "-"}
		if r, ok := last[s.Job.Name]; ok {
			row.Last = fmt.Sprintf("%d · %s · %s", r.ID, r.Start.In(s.Loc).Format("2006-01-02 15:04:05"), tr(lang, r.Status))
			row.Bad = failureLike(r.Status)
		}
		if n := s.Cron.Next(now); !n.IsZero() {
			row.Next = n.In(s.Loc).Format("2006-01-02 15:04:05")
		}
		jobs = append(jobs, row)
	}
	rows := make([]indexRow, 0, len(runs))
	for _, run := range runs {
		row := indexRow{ID: run.ID, Job: run.Job, Trigger: run.Trigger, AsOf: run.AsOf,
			Start: run.Start.Format("2006-01-02 15:04:05"), Status: run.Status, StatusWord: tr(lang, run.Status),
			Files:       tr(lang, "files fmt", run.FilesLoaded, run.FilesFailed, run.FilesSkipped),
			LinesLoaded: run.LinesLoaded, LinesRejected: run.LinesRejected, Customers: run.Customers}
		switch {
		case failureLike(run.Status):
			row.Class = "bad"
		case run.Status == "partial":
			row.Class = "partial"
		}
		if d := run.Duration(); d > 0 {
			row.Took = d.Round(time.Millisecond).String()
		}
		var segs []string
		for code, n := range run.Segments {
			segs = append(segs, fmt.Sprintf("%s %d", code, n))
		}
		sort.Strings(segs)
		row.Segments = strings.Join(segs, ", ")
		row.Links = p.runLinks(lang, run)
		if run.Error != "" {
			row.Why = append(row.Why, run.Error)
		}
		for _, f := range run.Failed {
			row.Why = append(row.Why, f.Name+": "+f.Reason)
		}
		rows = append(rows, row)
	}
	var attention []string
	for _, why := range p.d.health(now) {
		attention = append(attention, why(lang))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	err := indexPage.Execute(w, map[string]any{"T": pageWordsOf(lang), "Attention": attention, "Jobs": jobs, "Runs": rows, "Latest": latest,
		"Read": tr(lang, "read", read.Format(time.RFC3339))})
	if err != nil {
		p.d.log.Warn("index page", slog.Any("err", err))
	}
}

// runLinks are the run's own outputs: out/runs/<as_of>/<k>/, where k is
// the run whose inputs they show, the newest such folder of the date up
// to this run. A run from before custcat kept them links the report of
// its as-of date, named so.
func (p *pages) runLinks(lang string, run RunRecord) []runLink {
	if run.Status == "failed" || run.Status == "running" || run.ID == 0 || run.AsOf == "" {
		return nil
	}
	var out []runLink
	if dir := p.runDir(run); dir != "" {
		for _, name := range RunFiles {
			if _, err := p.out.Stat(path.Join(dir, name)); err == nil {
				label := name
				if name == "report.html" {
					label = tr(lang, "report")
				}
				out = append(out, runLink{Path: path.Join(dir, name), Label: label})
			}
		}
	}
	if len(out) == 0 {
		rep := "reports/report-" + run.AsOf + ".html"
		if _, err := p.out.Stat(rep); err == nil {
			out = append(out, runLink{Path: rep, Label: tr(lang, "report of", run.AsOf)})
		}
	}
	return out
}

// runDir is the folder of run's copies, "" when there is none.
func (p *pages) runDir(run RunRecord) string {
	if !fs.ValidPath(run.AsOf) || strings.Contains(run.AsOf, "/") {
		return ""
	}
	entries, err := fs.ReadDir(p.out.FS(), path.Join("runs", run.AsOf))
	if err != nil {
		return ""
	}
	// 0 is the folder of a date without any customer: no run's inputs show.
	best := int64(-1)
	for _, e := range entries {
		if k, err := strconv.ParseInt(e.Name(), 10, 64); err == nil && e.IsDir() && k <= run.ID && k > best {
			best = k
		}
	}
	if best < 0 {
		return ""
	}
	return path.Join("runs", run.AsOf, strconv.FormatInt(best, 10))
}
