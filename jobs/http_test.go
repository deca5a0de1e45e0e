package jobs

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

const secret = "SECRET-OUTSIDE-OUT"

// pagesServer starts the daemon's HTTP on a config whose output folder
// holds a report, beside a secret file outside it and a symlink to it.
func pagesServer(t *testing.T, extra string, now time.Time) (*httptest.Server, *daemon) {
	t.Helper()
	cfg := outputsStore(t, "jobs: [{name: nightly, schedule: \"CRON_TZ=UTC 0 2 * * *\", timeout: 1h}]\n"+extra, nil)
	out := cfg.Path(cfg.Out)
	for name, text := range map[string]string{"categories.csv": "customer_code\nC1\n", "reports/report-2026-03-10.html": "<html>report</html>", ".categories.csv.123.tmp": "half"} {
		os.MkdirAll(filepath.Dir(filepath.Join(out, name)), 0o755)
		if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	outside := filepath.Join(filepath.Dir(out), "secret.txt")
	os.WriteFile(outside, []byte(secret), 0o644)
	os.Symlink(outside, filepath.Join(out, "link.txt"))
	os.Symlink(filepath.Dir(out), filepath.Join(out, "up"))
	if err := os.Link(outside, filepath.Join(out, "hard.txt")); err != nil {
		t.Fatal(err)
	}
	scheds, err := Schedules(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(cfg, scheds, ServeOptions{Now: func() time.Time { return now }, Log: testLog(t)})
	srv, err := newServer(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler)
	ts.Config = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, d
}

func TestHTTPRefusals(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ts, _ := pagesServer(t, "serve: {token: s3cret}\n", now)
	auth := "Bearer s3cret"
	for _, c := range []struct {
		name, method, target, auth string
		want                       int
	}{
		{"index", "GET", "/", auth, 200},
		{"report", "GET", "/out/reports/report-2026-03-10.html", auth, 200},
		{"head", "HEAD", "/out/categories.csv", auth, 200},
		{"no token", "GET", "/", "", 401},
		{"wrong token", "GET", "/out/categories.csv", "Bearer nope", 401},
		{"token not bearer", "GET", "/metrics", "Basic s3cret", 401},
		{"lower-case bearer", "GET", "/out/categories.csv", "bearer s3cret", 200},
		{"upper-case bearer", "GET", "/out/categories.csv", "BEARER s3cret", 200},
		{"options star without the token", "OPTIONS", "*", "", 401},
		{"options star", "OPTIONS", "*", auth, 405},
		{"options without the token", "OPTIONS", "/", "", 401},
		{"post to the login form, no token", "POST", "/login", "", 401},
		{"hard link outside", "GET", "/out/hard.txt", auth, 404},
		{"healthz needs the token too", "GET", "/healthz", "", 401},
		{"post", "POST", "/", auth, 405},
		{"put", "PUT", "/out/categories.csv", auth, 405},
		{"delete", "DELETE", "/out/categories.csv", auth, 405},
		{"dot dot", "GET", "/out/../secret.txt", auth, 404},
		{"encoded dot dot", "GET", "/out/%2e%2e/secret.txt", auth, 404},
		{"encoded slash", "GET", "/out/..%2fsecret.txt", auth, 404},
		{"absolute", "GET", "/out//etc/passwd", auth, 404},
		{"absolute encoded", "GET", "/out/%2fetc%2fpasswd", auth, 404},
		{"symlink outside", "GET", "/out/link.txt", auth, 404},
		{"symlink folder outside", "GET", "/out/up/secret.txt", auth, 404},
		{"temporary output", "GET", "/out/.categories.csv.123.tmp", auth, 404},
		{"folder", "GET", "/out/reports", auth, 404},
		{"outside out", "GET", "/secret.txt", auth, 404},
		{"long URL", "GET", "/out/" + strings.Repeat("a", 3000), auth, 414},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := rawRequest(t, ts, c.method+" "+c.target+" HTTP/1.1\r\nHost: x\r\nAuthorization: "+c.auth+"\r\nConnection: close\r\n\r\n")
			if status != c.want {
				t.Errorf("%s %s: status %d, want %d\n%s", c.method, c.target, status, c.want, body)
			}
			if strings.Contains(body, secret) {
				t.Errorf("%s %s: the answer holds the file outside out/", c.method, c.target)
			}
		})
	}
	// The README promises 431 past 8 KiB of request line and headers.
	for _, c := range []struct {
		size int
		want int
	}{{7 << 10, 200}, {8<<10 + 100, 431}, {12 << 10, 431}, {20 << 10, 431}} {
		t.Run(fmt.Sprintf("header of %d bytes", c.size), func(t *testing.T) {
			status, _ := rawRequest(t, ts, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\nX-Big: "+strings.Repeat("b", c.size)+"\r\nConnection: close\r\n\r\n")
			if status != c.want {
				t.Errorf("status %d, want %d", status, c.want)
			}
		})
	}
}

// rawRequest sends a request as written, so that no client cleans its path.
func rawRequest(t *testing.T, ts *httptest.Server, req string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthzAndMetrics(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ts, d := pagesServer(t, "", now)
	d.started = now.Add(-time.Hour)
	if code, body := get(t, ts.URL+"/healthz"); code != 200 {
		t.Errorf("no run due since start: %d %s", code, body)
	}
	// Before any run every series of the job and its segments is there.
	fams := scrape(t, ts.URL)
	for _, name := range []string{"custcat_job_last_run_timestamp_seconds", "custcat_job_last_success_timestamp_seconds", "custcat_job_next_run_timestamp_seconds"} {
		if got := value(t, fams, name, "job", "nightly"); got != 0 && name != "custcat_job_next_run_timestamp_seconds" {
			t.Errorf("%s = %v before any run, want 0", name, got)
		}
	}
	if got, want := value(t, fams, "custcat_job_next_run_timestamp_seconds", "job", "nightly"), float64(time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC).Unix()); got != want {
		t.Errorf("next run %v, want %v", got, want)
	}
	for _, st := range []string{"ok", "partial", "failed", "held"} {
		if got := value(t, fams, "custcat_runs_total", "job", "nightly", "status", st); got != 0 {
			t.Errorf("runs_total %s = %v", st, got)
		}
	}
	for _, k := range []string{"loaded", "rejected", "duplicate"} {
		value(t, fams, "custcat_lines_total", "kind", k)
	}
	for _, seg := range []string{"A", "B", "C"} {
		value(t, fams, "custcat_customers", "job", "nightly", "segment", seg)
	}
	value(t, fams, "custcat_files_failed")
	if fams["custcat_run_duration_seconds"].GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("custcat_run_duration_seconds is %v, want a histogram", fams["custcat_run_duration_seconds"].GetType())
	}

	d.started = now.Add(-48 * time.Hour)
	if code, body := get(t, ts.URL+"/healthz"); code != 503 || !strings.Contains(body, "job nightly is overdue: it was due at 2026-03-09T02:00:00Z") {
		t.Errorf("no run for two days: %d %s", code, body)
	}
	ok := RunRecord{ID: 7, Job: "nightly", Trigger: "schedule", AsOf: "2026-03-10", Status: "ok",
		Start: time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 2, 0, 3, 500e6, time.UTC),
		LinesLoaded: 991, LinesRejected: 3, Customers: 71, Segments: map[string]int64{"A": 5, "B": 20, "C": 46}}
	d.history.add(ok)
	d.metrics.observe(ok, nil)
	if code, body := get(t, ts.URL+"/healthz"); code != 200 {
		t.Errorf("after a run today: %d %s", code, body)
	}
	if code, body := get(t, ts.URL+"/"); code != 200 || !strings.Contains(body, `<a href="/out/reports/report-2026-03-10.html">报告（2026-03-10）</a>`) || !strings.Contains(body, `<a href="/out/categories.csv">categories.csv</a>`) {
		t.Errorf("index: %d\n%s", code, body)
	}
	fams = scrape(t, ts.URL)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"custcat_job_last_success_timestamp_seconds", []string{"job", "nightly"}, float64(ok.End.Unix()) + 0.5},
		{"custcat_job_last_run_timestamp_seconds", []string{"job", "nightly"}, float64(ok.End.Unix()) + 0.5},
		{"custcat_job_last_run_ok", []string{"job", "nightly"}, 1},
		{"custcat_customers", []string{"job", "nightly", "segment", "A"}, 5},
		{"custcat_customers", []string{"job", "nightly", "segment", "C"}, 46},
		{"custcat_runs_total", []string{"job", "nightly", "status", "ok"}, 1},
	} {
		if got := value(t, fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if h := fams["custcat_run_duration_seconds"].GetMetric()[0].GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() != 3.5 {
		t.Errorf("duration histogram: %d samples, sum %v", h.GetSampleCount(), h.GetSampleSum())
	}

	failed := ok
	failed.ID, failed.Status, failed.Error = 8, "failed", "load: disk full"
	failed.Start = failed.Start.Add(time.Hour)
	d.history.add(failed)
	if code, body := get(t, ts.URL+"/healthz"); code != 503 || !strings.Contains(body, "job nightly: the last scheduled run (8, started 2026-03-10T03:00:00Z) ended failed: load: disk full") {
		t.Errorf("after a failed run: %d %s", code, body)
	}
	// A manual run does not make the scheduled job healthy.
	manual := ok
	manual.ID, manual.Trigger, manual.Start = 9, "manual", failed.Start.Add(time.Hour)
	d.history.add(manual)
	if code, _ := get(t, ts.URL+"/healthz"); code != 503 {
		t.Errorf("a manual run hid the failed scheduled run: %d", code)
	}
	// A held run (the guard before the ERP) is as unhealthy as a failed one.
	held := ok
	held.ID, held.Status, held.Error, held.Start = 10, "held", "categories.csv held: 40 % of customers changed segment", manual.Start.Add(time.Hour)
	d.history.add(held)
	if code, body := get(t, ts.URL+"/healthz"); code != 503 || !strings.Contains(body, "ended held: categories.csv held") {
		t.Errorf("after a held run: %d %s", code, body)
	}
	if _, body := get(t, ts.URL+"/"); !regexp.MustCompile(`<tr class="bad" data-run="10">.*categories.csv held`).MatchString(body) {
		t.Errorf("the held run is not red with its reason:\n%s", body)
	}
}

// A file waiting in failed/ keeps /healthz at 503 with its name and
// reason, after a later good run too, until custcat retry takes it back.
func TestHealthRemembersFailedFiles(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ts, d := pagesServer(t, "", now)
	d.started = now.Add(-time.Hour)
	failed := d.cfg.Path(d.cfg.Failed)
	os.MkdirAll(failed, 0o755)
	os.WriteFile(filepath.Join(failed, "bad.csv"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(failed, "bad.csv.reason.txt"), []byte("12 of 20 lines rejected (60.0 %), more than max_reject_ratio 1.0 %\nsha256 abc\nrun 15\n"), 0o644)
	good := RunRecord{ID: 16, Job: "nightly", Trigger: "schedule", AsOf: "2026-03-10", Status: "ok",
		Start: now.Add(-time.Minute), End: now.Add(-time.Second)}
	d.history.add(good)
	code, body := get(t, ts.URL+"/healthz")
	want := "file bad.csv waits in failed/ (run 15): 12 of 20 lines rejected (60.0 %), more than max_reject_ratio 1.0 %; fix it, then run custcat retry bad.csv, or remove it"
	if code != 503 || !strings.Contains(body, want) {
		t.Errorf("healthz %d %q, want 503 with %q", code, body, want)
	}
	fams := scrape(t, ts.URL)
	if got := value(t, fams, "custcat_files_failed"); got != 1 {
		t.Errorf("custcat_files_failed %v, want 1", got)
	}
	value(t, fams, "custcat_failed_file_info", "file", "bad.csv", "reason", "12 of 20 lines rejected (60.0 %), more than max_reject_ratio 1.0 %")
	moved, err := Retry(d.cfg, []string{"failed/bad.csv"})
	if err != nil || len(moved) != 1 {
		t.Fatalf("retry: %v %v", moved, err)
	}
	if _, err := os.Stat(filepath.Join(d.cfg.Path(d.cfg.Inbox), "bad.csv")); err != nil {
		t.Errorf("bad.csv is not back in the inbox: %v", err)
	}
	if left, _ := os.ReadDir(failed); len(left) != 0 {
		t.Errorf("failed/ still holds %v", left)
	}
	if code, body := get(t, ts.URL+"/healthz"); code != 200 {
		t.Errorf("after the retry: %d %s", code, body)
	}
	if _, err := Retry(d.cfg, []string{"nope.csv"}); err == nil || !strings.Contains(err.Error(), "nope.csv not in the failed folder") {
		t.Errorf("retry of a name not in failed/: %v", err)
	}
}

// scrape reads /metrics with Prometheus' own text parser.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	return fams
}

// value is the sample of the family name with exactly the labels given
// (name, value pairs); it fails the test when there is none.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Errorf("metrics have no %s", name)
		return -1
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		match := len(got) == len(labels)/2
		for i := 0; match && i+1 < len(labels); i += 2 {
			match = got[labels[i]] == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Errorf("metrics have no %s%v", name, labels)
	return -1
}

func testLog(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}

// With a token, a browser gets the login form; the right token sets an
// HttpOnly, SameSite=Strict cookie that opens every page, and the form
// goes back only to a page of the daemon.
func TestLoginCookie(t *testing.T) {
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ts, _ := pagesServer(t, "language: en\nserve: {token: s3cret}\n", now)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", ts.URL+"/out/categories.csv", nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	form, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(form), `<form method="post" action="/login">`) || !strings.Contains(string(form), `name="next" value="/out/categories.csv"`) {
		t.Errorf("a browser without the cookie: %d\n%s", resp.StatusCode, form)
	}
	post := func(token, next string) *http.Response {
		t.Helper()
		resp, err := client.PostForm(ts.URL+"/login", url.Values{"token": {token}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := post("wrong", "/"); resp.StatusCode != 401 || len(resp.Cookies()) != 0 {
		t.Errorf("a wrong token: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	resp = post("s3cret", "/out/categories.csv")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/out/categories.csv" || len(resp.Cookies()) != 1 {
		t.Fatalf("login: %d to %q, cookies %v", resp.StatusCode, resp.Header.Get("Location"), resp.Cookies())
	}
	c := resp.Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || strings.Contains(c.Value, "s3cret") {
		t.Errorf("cookie %+v", c)
	}
	// Behind a proxy that took https, the cookie goes over https only.
	req, _ = http.NewRequest("POST", ts.URL+"/login", strings.NewReader(url.Values{"token": {"s3cret"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) != 1 || !resp.Cookies()[0].Secure || c.Secure {
		t.Errorf("Secure over http %v, behind an https proxy %v", c.Secure, resp.Cookies())
	}
	for _, next := range []string{"https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com"} {
		if loc := post("s3cret", next).Header.Get("Location"); loc != "/" {
			t.Errorf("next %q led to %q", next, loc)
		}
	}
	for _, path := range []string{"/", "/out/categories.csv", "/metrics", "/healthz"} {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.AddCookie(c)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s with the cookie: %d", path, resp.StatusCode)
		}
	}
	req, _ = http.NewRequest("GET", ts.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "s3cret"})
	if resp, _ := client.Do(req); resp.StatusCode != 401 {
		t.Errorf("the token itself as the cookie: %d", resp.StatusCode)
	}
}
