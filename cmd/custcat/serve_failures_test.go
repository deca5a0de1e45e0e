package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// badExport fails: every line is rejected, past max_reject_ratio.
const badExport = "日期,单据编号,客户编码,客户名称,价税合计\nnot-a-date,S9,C9,丁,10\n2024-13-45,S10,C9,丁,20\n"

// A night goes wrong under a real daemon on a one-second schedule: a bad
// file arrives. The log, /healthz, /metrics, the page in Chromium (after
// the login form) and every notice target name the file and its reason;
// health stays 503 after later good runs, until the file is fixed and
// custcat retry puts it back.
func TestServeNamesFailures(t *testing.T) {
	const dingSecret, feishuSecret, token = "SECdingtalk-test-secret", "feishu-test-secret", "tok-3f9a"
	notices := newReceivers(t, dingSecret, feishuSecret)
	mailbox := startSMTP(t)
	dir := inboxCase(t, fmt.Sprintf(`store: {path: var/custcat.duckdb, threads: 1, memory_limit: 256MB}
language: zh
jobs: [{name: often, schedule: "@every 1s"}]
serve: {listen: "127.0.0.1:0", settle: 0s, token: %s, public_url: "http://custcat.example.test"}
notify:
  - {kind: wecom, url: "%s/cgi-bin/webhook/send?key=k1"}
  - {kind: dingtalk, url: "%s/robot/send?access_token=t1", secret: %s}
  - {kind: feishu, url: "%s/open-apis/bot/v2/hook/h1", secret: %s}
  - {kind: webhook, url: "%s/hook", on_success: true}
  - {kind: webhook, url: "%s"}
  - kind: email
    smtp: {host: 127.0.0.1, port: %d, username: it, password: pw, ca_file: %s}
    from: custcat@example.test
    to: [it@example.test]
`, token, notices.url, notices.url, dingSecret, notices.url, feishuSecret, notices.url, closedURL(t), mailbox.port, mailbox.caFile), nil)
	cfg := filepath.Join(dir, "custcat.yaml")
	p := start(t, "serve", "-c", cfg)
	at := 0
	addr := p.waitLog(t, &at, "listening", nil)["addr"].(string)
	base := "http://" + addr

	// Before the first run has ended, every series is there.
	fams, ranBefore := scrapeBeforeRun(t, p, base, token)
	for _, want := range [][]string{
		{"custcat_job_last_run_timestamp_seconds", "job", "often"},
		{"custcat_job_last_success_timestamp_seconds", "job", "often"},
		{"custcat_job_next_run_timestamp_seconds", "job", "often"},
		{"custcat_runs_total", "job", "often", "status", "ok"},
		{"custcat_runs_total", "job", "often", "status", "partial"},
		{"custcat_runs_total", "job", "often", "status", "failed"},
		{"custcat_runs_total", "job", "often", "status", "held"},
		{"custcat_lines_total", "kind", "loaded"},
		{"custcat_lines_total", "kind", "rejected"},
		{"custcat_lines_total", "kind", "duplicate"},
		{"custcat_run_duration_seconds", "job", "often"},
		{"custcat_customers", "job", "often", "segment", "A"},
		{"custcat_customers", "job", "often", "segment", "B"},
		{"custcat_customers", "job", "often", "segment", "C"},
		{"custcat_files_failed"},
	} {
		v := sample(t, fams, want[0], want[1:]...)
		if !ranBefore && v != 0 && want[0] != "custcat_job_next_run_timestamp_seconds" {
			t.Errorf("%v = %v before the first run, want 0", want, v)
		}
	}
	p.waitLog(t, &at, "done", nil)
	drop(t, dir, "a.csv", smallExport)
	p.waitLog(t, &at, "done", func(m map[string]any) bool { return m["lines_loaded"] == 2.0 })

	drop(t, dir, "bad.csv", badExport)
	failedLine := p.waitLog(t, &at, "file failed", func(m map[string]any) bool { return m["file"] == "bad.csv" })
	reason, _ := failedLine["reason"].(string)
	if !strings.Contains(reason, "2 of 2") && !strings.Contains(reason, "reject") {
		t.Errorf("the log line gives the reason %q", reason)
	}
	run := int64(failedLine["run"].(float64))
	partial := p.waitLog(t, &at, "run partial: some files failed", nil)
	if int64(partial["run"].(float64)) != run || !strings.Contains(fmt.Sprint(partial["failed"]), "bad.csv: "+reason) {
		t.Errorf("the run's log line: %v", partial)
	}
	// The reason in the log is the start of the .reason.txt.
	if b, err := os.ReadFile(filepath.Join(dir, "failed", "bad.csv.reason.txt")); err != nil || !strings.HasPrefix(string(b), reason) {
		t.Errorf("bad.csv.reason.txt %q (%v) does not start with %q", b, err, reason)
	}
	// The history holds the run under the id the log gave it.
	if code, out, _ := custcat(t, "runs", "-c", cfg, "--last", "100"); code != exitOK || !regexp.MustCompile(fmt.Sprintf(`(?m)^%d\s+often\s+schedule\s+\S+\s+\S+\s+\S+\s+\S+\s+partial`, run)).MatchString(out) {
		t.Errorf("custcat runs does not show run %d partial:\n%s", run, out)
	}

	// Every notice target hears of it, with the name and the reason, and
	// the robots with the link to the run's report: its own copy, or the
	// one of the run whose snapshot it kept (it loaded nothing new).
	reportLink := regexp.MustCompile(`\]\(http://custcat\.example\.test(/out/runs/\d{4}-\d\d-\d\d/(\d+)/report\.html)\)`)
	var linked string
	for _, kind := range []string{"wecom", "dingtalk", "feishu", "webhook"} {
		text := notices.wait(t, kind, "bad.csv")
		if !strings.Contains(text, reason) || !strings.Contains(text, "失败的文件") || !strings.Contains(text, fmt.Sprintf("第 %d 次运行", run)) {
			t.Errorf("%s notice lacks the reason, the Chinese words or the run:\n%s", kind, text)
		}
		if kind == "webhook" {
			continue
		}
		m := reportLink.FindStringSubmatch(text)
		var k int64
		if m != nil {
			k, _ = strconv.ParseInt(m[2], 10, 64)
		}
		if m == nil || k > run {
			t.Errorf("%s notice has no markdown link to the run's report:\n%s", kind, text)
		} else {
			linked = m[1]
		}
	}
	// The webhook asked for good runs too: one line with the segments.
	if ok := notices.wait(t, "webhook", "次运行成功，客户 2 个"); !regexp.MustCompile(`客户 2 个（A 0，B 0，C 2），升级 \d+，降级 \d+，新客户 \d+`).MatchString(ok) {
		t.Errorf("the summary of a good run: %q", ok)
	}
	if notices.count("wecom") < 2 {
		t.Errorf("wecom answered 500 the first time; the notice was not tried again")
	}
	msg := mailbox.wait(t)
	if !strings.Contains(msg.subject, fmt.Sprintf("第 %d 次运行", run)) || !strings.Contains(msg.body, "bad.csv: "+reason) || !msg.tls || msg.to != "it@example.test" {
		t.Errorf("mail: tls %v, to %s, subject %q\n%s", msg.tls, msg.to, msg.subject, msg.body)
	}
	// A target that cannot be reached is logged; the daemon goes on.
	p.waitLog(t, &at, "notice not sent", func(m map[string]any) bool { return m["notice"] == "webhook" })

	// Later runs succeed, and the health still remembers the file.
	p.waitLog(t, &at, "done", nil)
	code, body := authGet(t, base+"/healthz", token)
	if code != 503 || !strings.Contains(body, fmt.Sprintf("file bad.csv waits in failed/ (run %d): %s", run, reason)) {
		t.Errorf("healthz after a good run: %d %s", code, body)
	}
	fams = scrape(t, base, token)
	if v := sample(t, fams, "custcat_files_failed"); v != 1 {
		t.Errorf("custcat_files_failed = %v, want 1", v)
	}
	sample(t, fams, "custcat_failed_file_info", "file", "bad.csv", "reason", reason)
	if v := sample(t, fams, "custcat_runs_total", "job", "often", "status", "partial"); v != 1 {
		t.Errorf("custcat_runs_total partial = %v, want 1", v)
	}
	if v := sample(t, fams, "custcat_lines_total", "kind", "rejected"); v != 2 {
		t.Errorf("custcat_lines_total rejected = %v, want 2", v)
	}

	page := browse(t, base, token, run)
	if !strings.Contains(page.attention, "bad.csv") || !strings.Contains(page.attention, reason) {
		t.Errorf("the page's attention box: %q", page.attention)
	}
	if !strings.Contains(page.row, "bad.csv: "+reason) || page.rowColor != "rgb(170, 85, 0)" {
		t.Errorf("run %d on the page: %q in %s", run, page.row, page.rowColor)
	}
	if !strings.Contains(page.text, "下次运行") || !strings.Contains(page.text, "@every 1s") {
		t.Errorf("the page shows no schedule and next run in Chinese:\n%s", page.text)
	}
	if page.cookies != "" {
		t.Errorf("a script can read the session cookie: %q", page.cookies)
	}
	if page.reportPath != linked {
		t.Errorf("the page links run %d to %s, the notices to %s", run, page.reportPath, linked)
	}
	if !page.reportOpened {
		t.Errorf("the run's report link did not open in the browser")
	}

	// The IT person fixes the file and sends it again.
	if err := os.WriteFile(filepath.Join(dir, "failed", "bad.csv"), []byte("日期,单据编号,客户编码,客户名称,价税合计\n2024-05-01,S3,C3,丙,70\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := custcat(t, "retry", "-c", cfg, "bad.csv"); code != exitOK || !strings.Contains(out, "bad.csv -> ") {
		t.Fatalf("retry: exit %d\n%s%s", code, out, errOut)
	}
	p.waitLog(t, &at, "done", func(m map[string]any) bool { return m["lines_loaded"] == 1.0 })
	if code, body := authGet(t, base+"/healthz", token); code != 200 {
		t.Errorf("healthz after the retry: %d %s", code, body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 20*time.Second); code != exitOK {
		t.Errorf("exit %d after SIGTERM, want 0", code)
	}
}

// scrapeBeforeRun reads /metrics as soon as the daemon listens, and says
// whether a run had ended by then (its values are then no longer zero).
func scrapeBeforeRun(t *testing.T, p *proc, base, token string) (map[string]*dto.MetricFamily, bool) {
	t.Helper()
	fams := scrape(t, base, token)
	text := p.text()
	return fams, strings.Contains(text, `"msg":"done"`) || strings.Contains(text, `"msg":"run failed"`) || strings.Contains(text, `"msg":"run partial`)
}

func authGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// scrape reads /metrics with Prometheus' own text parser.
func scrape(t *testing.T, base, token string) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := authGet(t, base+"/metrics", token)
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, body)
	}
	return fams
}

// sample is the value of the sample of name with exactly these labels.
func sample(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	t.Helper()
	for _, m := range fams[name].GetMetric() {
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

// receivers is one local HTTP server standing in for the robots of WeCom,
// DingTalk and Feishu and a JSON webhook: each path checks its format (and
// the signatures) and keeps the text of what it got.
type receivers struct {
	url  string
	mu   sync.Mutex
	got  map[string][]string
	hits map[string]int
	more chan struct{}
}

func newReceivers(t *testing.T, dingSecret, feishuSecret string) *receivers {
	r := &receivers{got: map[string][]string{}, hits: map[string]int{}, more: make(chan struct{}, 1)}
	hmacB64 := func(key, msg string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(msg))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	fresh := func(ts int64, unit time.Duration) bool {
		return time.Since(time.Unix(0, ts*int64(unit))).Abs() < time.Hour
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var kind, text string
		var problem error
		body, _ := io.ReadAll(req.Body)
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			problem = fmt.Errorf("%s with %s", req.Method, req.Header.Get("Content-Type"))
		}
		switch req.URL.Path {
		case "/cgi-bin/webhook/send": // WeCom
			kind = "wecom"
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct {
					Content string `json:"content"`
				} `json:"markdown"`
			}
			if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "markdown" || m.Markdown.Content == "" || req.URL.Query().Get("key") != "k1" {
				problem = fmt.Errorf("not a WeCom markdown message: %s", body)
			}
			text = m.Markdown.Content
		case "/robot/send": // DingTalk
			kind = "dingtalk"
			q := req.URL.Query()
			ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			if want := hmacB64(dingSecret, q.Get("timestamp")+"\n"+dingSecret); q.Get("sign") != want || !fresh(ts, time.Millisecond) || q.Get("access_token") != "t1" {
				problem = fmt.Errorf("bad DingTalk signature: timestamp %s sign %s, want %s", q.Get("timestamp"), q.Get("sign"), want)
			}
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct {
					Title, Text string
				} `json:"markdown"`
			}
			if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "markdown" || m.Markdown.Title == "" {
				problem = fmt.Errorf("not a DingTalk markdown message: %s", body)
			}
			text = m.Markdown.Text
		case "/open-apis/bot/v2/hook/h1": // Feishu
			kind = "feishu"
			var m struct {
				Timestamp string `json:"timestamp"`
				Sign      string `json:"sign"`
				MsgType   string `json:"msg_type"`
				Card      struct {
					Header struct {
						Title struct{ Content string } `json:"title"`
					} `json:"header"`
					Elements []struct {
						Tag  string `json:"tag"`
						Text struct {
							Tag     string `json:"tag"`
							Content string `json:"content"`
						} `json:"text"`
					} `json:"elements"`
				} `json:"card"`
			}
			if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "interactive" || len(m.Card.Elements) == 0 || m.Card.Elements[0].Text.Tag != "lark_md" {
				problem = fmt.Errorf("not a Feishu card: %s", body)
			} else {
				text = m.Card.Elements[0].Text.Content
			}
			ts, _ := strconv.ParseInt(m.Timestamp, 10, 64)
			if want := hmacB64(m.Timestamp+"\n"+feishuSecret, ""); m.Sign != want || !fresh(ts, time.Second) {
				problem = fmt.Errorf("bad Feishu signature: %s, want %s", m.Sign, want)
			}
		case "/hook":
			kind = "webhook"
			var m struct {
				Status string `json:"status"`
				RunID  int64  `json:"run_id"`
				Files  []struct{ Name, Reason string }
				Text   string `json:"text"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				problem = err
			}
			if m.Status == "partial" && (len(m.Files) != 1 || m.Files[0].Name != "bad.csv" || m.Files[0].Reason == "") {
				problem = fmt.Errorf("the webhook's files: %+v", m.Files)
			}
			text = m.Text
		default:
			http.NotFound(w, req)
			return
		}
		r.mu.Lock()
		r.hits[kind]++
		first := r.hits[kind] == 1
		r.mu.Unlock()
		if problem != nil {
			t.Errorf("%s: %v", kind, problem)
			w.Write([]byte(`{"errcode":310000,"errmsg":"sign not match","code":19021,"msg":"sign match fail"}`))
			return
		}
		if kind == "wecom" && first {
			// Down for a moment: the daemon must try again.
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		r.mu.Lock()
		r.got[kind] = append(r.got[kind], text)
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
		switch kind {
		case "feishu":
			w.Write([]byte(`{"code":0,"msg":"success","data":{}}`))
		default:
			w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
		}
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *receivers) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[kind]
}

// wait returns the first message of kind that holds want.
func (r *receivers) wait(t *testing.T, kind, want string) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		r.mu.Lock()
		for _, text := range r.got[kind] {
			if strings.Contains(text, want) {
				r.mu.Unlock()
				return text
			}
		}
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s notice with %q in 60s", kind, want)
		}
	}
}

// closedURL is an address where nothing listens.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/down"
}

// mailbox is a local SMTP server that takes mail only over STARTTLS and
// after a login.
type mailbox struct {
	port   int
	caFile string
	got    chan gotMail
}

type gotMail struct {
	to, subject, body string
	tls               bool
}

type mailSession struct {
	m    *mailbox
	conn *smtp.Conn
	to   string
	auth bool
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "it" || pass != "pw" {
			return errors.New("bad login")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return errors.New("log in first")
	}
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	var body []byte
	if msg.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.m.got <- gotMail{to: s.to, subject: subject, body: string(body), tls: isTLS}
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func startSMTP(t *testing.T) *mailbox {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "custcat test mail"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	os.WriteFile(caFile, certPEM, 0o644)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{caFile: caFile, got: make(chan gotMail, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{m: m, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.AllowInsecureAuth = false
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailbox) wait(t *testing.T) gotMail {
	t.Helper()
	select {
	case g := <-m.got:
		return g
	case <-time.After(60 * time.Second):
		t.Fatal("no mail in 60s")
		return gotMail{}
	}
}

// pageView is what Chromium showed of the daemon's page.
type pageView struct {
	attention, row, rowColor, text, cookies string
	reportPath                              string
	reportOpened                            bool
}

// browse opens the daemon's page in headless Chromium: the login form
// first, then the page; it follows the report link of run, and saves a
// screenshot of the page (CUSTCAT_ARTIFACTS, else a temp folder).
func browse(t *testing.T, base, token string, run int64) pageView {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: install Debian's chromium (apt-get install chromium); CI installs it")
	}
	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	defer cancel()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	var v pageView
	sel := fmt.Sprintf(`tr[data-run="%d"]`, run)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("chromium on %s: %s: %v", base, what, err)
		}
	}
	must("open the page", chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`input[name="token"]`)))
	formShown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector("form[action='/login']")`))
	must("the login form", err)
	must("log in", chromedp.Do(ctx, chromedp.SendKeys(`input[name="token"]`, token), chromedp.Submit(`input[name="token"]`), chromedp.WaitVisible(`#runs`)))
	v.attention, err = chromedp.Run(ctx, chromedp.Text(`#attention`))
	must("the attention box", err)
	v.row, err = chromedp.Run(ctx, chromedp.Text(sel))
	must("the run's row", err)
	v.rowColor, err = chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`getComputedStyle(document.querySelector('%s td')).color`, sel)))
	must("the row's color", err)
	v.text, err = chromedp.Run(ctx, chromedp.Text(`body`))
	must("the page text", err)
	v.cookies, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.cookie`))
	must("the cookies", err)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must("screenshot", err)
	if !formShown {
		t.Error("the page without the cookie showed no login form")
	}
	dir := os.Getenv("CUSTCAT_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	os.MkdirAll(dir, 0o755)
	png := filepath.Join(dir, "serve-page.png")
	if err := os.WriteFile(png, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", png)

	// The run's own report opens from its link, with the cookie alone.
	if err := chromedp.Do(ctx, chromedp.Click(sel+` a[href$="/report.html"]`), chromedp.WaitReady(`body`)); err != nil {
		t.Errorf("open the report of run %d: %v", run, err)
		return v
	}
	title, _ := chromedp.Run(ctx, chromedp.Location())
	heading, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title + " " + (document.body ? document.body.innerText.slice(0, 200) : "")`))
	if u, err := url.Parse(title); err == nil {
		v.reportPath = u.Path
	}
	v.reportOpened = strings.HasPrefix(v.reportPath, "/out/runs/") && strings.HasSuffix(v.reportPath, "/report.html") && strings.Contains(heading, "运行编号")
	if !v.reportOpened {
		t.Logf("after the click: %s: %q", title, heading)
	}
	return v
}

// custcat run tells the notice targets too: here the older webhook key,
// which is a target of kind webhook.
func TestRunNotifies(t *testing.T) {
	got := make(chan map[string]any, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		got <- m
	}))
	defer hook.Close()
	dir := inboxCase(t, "language: en\nwebhook: "+hook.URL+"\n", map[string]string{"good.csv": smallExport, "bad.csv": badExport})
	code, out, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	if code != exitFailed {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	select {
	case m := <-got:
		files, _ := m["files"].([]any)
		var first map[string]any
		if len(files) > 0 {
			first, _ = files[0].(map[string]any)
		}
		if m["status"] != "partial" || m["trigger"] != "manual" || len(files) != 1 || first["name"] != "bad.csv" || !strings.Contains(fmt.Sprint(first["reason"]), "2 of 2 lines rejected") ||
			!strings.Contains(fmt.Sprint(m["text"]), "- bad.csv: 2 of 2 lines rejected") || !strings.Contains(out, fmt.Sprintf("custcat run %v,", m["run_id"])) {
			t.Errorf("notice %v\nsummary:\n%s", m, out)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook heard nothing of the run")
	}
}

// custcat serve -test-notice sends a test message to every target and
// says whether all arrived: here a WeCom robot, then one that is down.
func TestServeTestNotice(t *testing.T) {
	got := make(chan string, 4)
	robot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m struct {
			MsgType  string `json:"msgtype"`
			Markdown struct{ Content string }
		}
		json.NewDecoder(r.Body).Decode(&m)
		got <- m.MsgType + " " + m.Markdown.Content
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}))
	defer robot.Close()
	target := "notify: [{kind: wecom, url: \"" + robot.URL + "/cgi-bin/webhook/send?key=k\"}%s]\n"
	dir := inboxCase(t, fmt.Sprintf(target, ""), nil)
	code, out, errOut := custcat(t, "serve", "-c", filepath.Join(dir, "custcat.yaml"), "-test-notice")
	if code != exitOK || !strings.Contains(out, "test notice sent to 1 target(s)") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if m := <-got; !strings.HasPrefix(m, "markdown **custcat：测试通知**") {
		t.Errorf("the robot got %q", m)
	}
	dir = inboxCase(t, fmt.Sprintf(target, ", {kind: webhook, url: \""+closedURL(t)+"\"}"), nil)
	code, _, errOut = custcat(t, "serve", "-c", filepath.Join(dir, "custcat.yaml"), "-test-notice")
	if code != exitFailed || !strings.Contains(errOut, "custcat: test notice: notice to webhook 127.0.0.1:") {
		t.Errorf("with a target down: exit %d\n%s", code, errOut)
	}
	dir = inboxCase(t, "", nil)
	if code, _, errOut := custcat(t, "serve", "-c", filepath.Join(dir, "custcat.yaml"), "-test-notice"); code != exitFailed || !strings.Contains(errOut, "has no notify targets") {
		t.Errorf("without targets: exit %d\n%s", code, errOut)
	}
}
