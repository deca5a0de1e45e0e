package jobs

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"custcat/pipeline"
)

// Limits of a request to the daemon's pages: they only answer GETs (and
// the login form's POST), so a long URL or a large header is an attack or
// a mistake.
const (
	maxURI         = 2048
	maxHeaderBytes = 8 << 10 // request line and headers
	maxLoginBytes  = 4 << 10
)

// sessionCookie holds, after a login, a value derived from the token (not
// the token itself), so that links open in a browser.
const sessionCookie = "custcat_session"

// pages serves the daemon's HTTP: the run list, /healthz, /metrics and
// the files of the output folder, through an os.Root so that no path or
// symlink leads outside it.
type pages struct {
	d       *daemon
	out     *os.Root
	token   string
	metrics http.Handler
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
	p := &pages{d: d, out: root, token: cfg.Serve.Token, metrics: d.metrics.handler()}
	return &http.Server{
		Handler:           p,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      time.Minute,
		IdleTimeout:       time.Minute,
		// net/http reads 4096 bytes past MaxHeaderBytes before it answers
		// 431: take them off, so that the limit is the one documented.
		MaxHeaderBytes: maxHeaderBytes - 4096,
		// "OPTIONS *" comes to the handler, which asks for the token,
		// instead of net/http's own answer 200.
		DisableGeneralOptionsHandler: true,
	}, nil
}

func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	if len(r.RequestURI) > maxURI {
		http.Error(w, "URL too long", http.StatusRequestURITooLong)
		return
	}
	login := r.URL.Path == "/login" && r.RequestURI != "*"
	if login && r.Method == http.MethodPost {
		p.login(w, r)
		return
	}
	if p.token != "" && !p.authorized(r) {
		p.unauthorized(w, r, "")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "read-only: use GET or HEAD", http.StatusMethodNotAllowed)
		return
	}
	switch {
	case r.RequestURI == "*":
		http.NotFound(w, r)
	case r.URL.Path == "/" || login:
		p.index(w, r)
	case r.URL.Path == "/healthz":
		p.healthz(w)
	case r.URL.Path == "/metrics":
		p.metrics.ServeHTTP(w, r)
	case strings.HasPrefix(r.URL.Path, "/out/"):
		p.file(w, r, strings.TrimPrefix(r.URL.Path, "/out/"))
	default:
		http.NotFound(w, r)
	}
}

// authorized takes the token as "Authorization: Bearer <token>" (the
// scheme in any case, as HTTP has it) or the cookie of a login.
func (p *pages) authorized(r *http.Request) bool {
	scheme, got, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if ok && strings.EqualFold(scheme, "Bearer") && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(p.token)) == 1 {
		return true
	}
	c, err := r.Cookie(sessionCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(p.session())) == 1
}

// session is the cookie's value: it changes with the token, and does not
// give the token away to whoever reads the browser's cookies.
func (p *pages) session() string {
	m := hmac.New(sha256.New, []byte(p.token))
	m.Write([]byte("custcat session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// unauthorized answers 401: a browser gets the login form, a program the
// hint of the header it must send.
func (p *pages) unauthorized(w http.ResponseWriter, r *http.Request, problem string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="custcat"`)
	if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		next := r.URL.RequestURI()
		if r.URL.Path == "/login" {
			next = r.URL.Query().Get("next")
		}
		p.loginForm(w, next, problem)
		return
	}
	http.Error(w, "unauthorized: send Authorization: Bearer <serve.token>, or log in at / in a browser", http.StatusUnauthorized)
}

// login checks the token of the login form and sets the session cookie:
// HttpOnly (no script reads it) and SameSite=Strict (no other site's page
// sends it).
func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	if p.token == "" {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginBytes)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad login form", http.StatusBadRequest)
		return
	}
	next := r.PostForm.Get("next")
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), []byte(p.token)) != 1 {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		p.loginForm(w, next, tr(p.d.cfg.Language, "page wrong token"))
		return
	}
	// Secure when the browser came over https, here or to a proxy in front.
	secure := r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: p.session(), Path: "/",
		MaxAge: int((30 * 24 * time.Hour).Seconds()), HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

// safeNext is where a login goes on: a path of these pages, never another site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

// file serves a file of the output folder. Hidden names (the temporary
// files of outputs being written), folders and files with more than one
// link (a hard link may name a file outside the folder) are not served.
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
	if err != nil || !st.Mode().IsRegular() || hardLinked(f, st) {
		http.NotFound(w, r)
		return
	}
	http.ServeContent(w, r, path.Base(name), st.ModTime(), f)
}

// healthz answers 200 while the last scheduled run of every job went
// well, none is overdue and no file waits in failed/; else 503 with the
// reasons, one a line, in English (what monitoring greps for).
func (p *pages) healthz(w http.ResponseWriter) {
	reasons := p.d.health(p.d.now())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if len(reasons) > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, r := range reasons {
			fmt.Fprintln(w, r("en"))
		}
		return
	}
	fmt.Fprintln(w, "ok")
}

// failureLike says whether a run's status is one a person must look at:
// nothing of it reached the ERP.
func failureLike(status string) bool { return status == "failed" || status == "held" }

// A problem is one reason the daemon is not healthy, said in a language.
type problem func(lang string) string

// health lists what is wrong at now: a job whose last scheduled run
// failed or was held, a job overdue, a file waiting in failed/.
func (d *daemon) health(now time.Time) []problem {
	last := d.lastRuns("schedule")
	var out []problem
	for _, s := range d.sortedScheds() {
		name := s.Job.Name
		var lastRan time.Time
		if r, ok := last[name]; ok {
			if failureLike(r.Status) {
				out = append(out, func(lang string) string {
					msg := fmt.Sprintf("job %s: the last scheduled run (%d, started %s) ended %s", name, r.ID, r.Start.Format(time.RFC3339), r.Status)
					if lang == "zh" {
						msg = fmt.Sprintf("作业 %s：上次计划运行（%d，开始于 %s）%s", name, r.ID, r.Start.Format(time.RFC3339), tr(lang, r.Status))
					}
					if r.Error != "" {
						msg += ": " + r.Error
					}
					return msg
				})
				continue
			}
			// A partial run committed: what failed in it is in failed/.
			lastRan = r.Start
		}
		if due := OverdueSince(s, lastRan, d.started, now, s.Job.Timeout); !due.IsZero() {
			out = append(out, func(lang string) string {
				if lang == "zh" {
					return fmt.Sprintf("作业 %s 已逾期：应在 %s 运行，此后没有成功过", name, due.Format(time.RFC3339))
				}
				return fmt.Sprintf("job %s is overdue: it was due at %s and has not succeeded since", name, due.Format(time.RFC3339))
			})
		}
	}
	files, err := FailedFiles(d.cfg)
	if err != nil {
		out = append(out, func(string) string { return err.Error() })
	}
	for _, f := range files {
		out = append(out, func(lang string) string {
			if lang == "zh" {
				run := ""
				if f.Run > 0 {
					run = fmt.Sprintf("（运行 %d）", f.Run)
				}
				return fmt.Sprintf("文件 %s 在 failed/ 中等待%s：%s；修正后运行 custcat retry %s，或删除它", f.Name, run, f.Reason, f.Name)
			}
			run := ""
			if f.Run > 0 {
				run = fmt.Sprintf(" (run %d)", f.Run)
			}
			return fmt.Sprintf("file %s waits in failed/%s: %s; fix it, then run custcat retry %s, or remove it", f.Name, run, f.Reason, f.Name)
		})
	}
	return out
}

// lastRuns is the newest finished run of each job, of trigger or of any
// trigger when trigger is "", from the history and the daemon's own runs.
func (d *daemon) lastRuns(trigger string) map[string]RunRecord {
	return d.newest(func(r RunRecord) bool {
		return (trigger == "" || r.Trigger == trigger) && r.Status != "running"
	})
}

// okLike says whether a run's outputs reached the ERP as they should:
// ok, or accepted (held, then let through by a person).
func okLike(status string) bool { return status == "ok" || status == "accepted" }

// lastSuccess is the newest run of each job that ended ok (or accepted).
func (d *daemon) lastSuccess() map[string]RunRecord {
	return d.newest(func(r RunRecord) bool { return okLike(r.Status) })
}

func (d *daemon) newest(keep func(RunRecord) bool) map[string]RunRecord {
	out := map[string]RunRecord{}
	consider := func(r RunRecord) {
		if !keep(r) {
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

// sortedScheds are the jobs by name.
func (d *daemon) sortedScheds() []Schedule {
	out := make([]Schedule, 0, len(d.scheds))
	for _, s := range d.scheds {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Job.Name < out[j].Job.Name })
	return out
}
