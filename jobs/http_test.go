package jobs

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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
	t.Run("large header", func(t *testing.T) {
		status, _ := rawRequest(t, ts, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: "+auth+"\r\nX-Big: "+strings.Repeat("b", 20<<10)+"\r\nConnection: close\r\n\r\n")
		if status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", status)
		}
	})
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
	d.started = now.Add(-48 * time.Hour)
	if code, body := get(t, ts.URL+"/healthz"); code != 503 || !strings.Contains(body, "job nightly is overdue: it was due at 2026-03-09T02:00:00Z") {
		t.Errorf("no run for two days: %d %s", code, body)
	}
	ok := RunRecord{ID: 7, Job: "nightly", Trigger: "schedule", AsOf: "2026-03-10", Status: "ok",
		Start: time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 10, 2, 0, 3, 500e6, time.UTC),
		LinesLoaded: 991, LinesRejected: 3, Customers: 71, Segments: map[string]int64{"A": 5, "B": 20, "C": 46}}
	d.history.add(ok)
	if code, body := get(t, ts.URL+"/healthz"); code != 200 {
		t.Errorf("after a run today: %d %s", code, body)
	}
	if code, body := get(t, ts.URL+"/"); code != 200 || !strings.Contains(body, `<a href="/out/reports/report-2026-03-10.html">report</a>`) || !strings.Contains(body, `<a href="/out/categories.csv">categories.csv</a>`) {
		t.Errorf("index: %d\n%s", code, body)
	}
	code, body := get(t, ts.URL+"/metrics")
	for _, want := range []string{
		"# TYPE custcat_last_success_timestamp_seconds gauge\ncustcat_last_success_timestamp_seconds{job=\"nightly\"} " + strconv.FormatFloat(float64(ok.End.Unix())+0.5, 'g', -1, 64) + "\n",
		"custcat_last_run_duration_seconds{job=\"nightly\"} 3.5\n",
		"custcat_last_run_lines_loaded{job=\"nightly\"} 991\n",
		"custcat_last_run_lines_rejected{job=\"nightly\"} 3\n",
		"custcat_customers{job=\"nightly\",segment=\"A\"} 5\n",
		"custcat_customers{job=\"nightly\",segment=\"C\"} 46\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	// Every line is a HELP, a TYPE or a sample of the metric typed above it.
	sample := regexp.MustCompile(`^([a-z_]+)(\{[a-z_]+="(?:[^"\\]|\\.)*"(?:,[a-z_]+="(?:[^"\\]|\\.)*")*\})? -?[0-9.e+]+$`)
	typed := ""
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if m := regexp.MustCompile(`^# TYPE ([a-z_]+) gauge$`).FindStringSubmatch(line); m != nil {
			typed = m[1]
			continue
		}
		if strings.HasPrefix(line, "# HELP ") {
			continue
		}
		if m := sample.FindStringSubmatch(line); m == nil || m[1] != typed {
			t.Errorf("metrics line %q is not a sample of %s", line, typed)
		}
	}
	if code != 200 {
		t.Errorf("metrics status %d", code)
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
}

func TestLabelsEscape(t *testing.T) {
	if got, want := labels("job", "a\"b\\c\nd"), `{job="a\"b\\c\nd"}`; got != want {
		t.Errorf("labels %s, want %s", got, want)
	}
}

func testLog(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(t.Output(), nil))
}
