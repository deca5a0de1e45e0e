package jobs

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"custcat/pipeline"
)

func noticeConfig(t *testing.T, yaml string) *pipeline.Config {
	t.Helper()
	cfg, problems := pipeline.ParseConfig([]byte(yaml))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return &cfg
}

func TestNoticeText(t *testing.T) {
	start := time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC)
	partial := RunRecord{ID: 15, Job: "nightly", Trigger: "schedule", AsOf: "2026-03-10", Status: "partial",
		Start: start, End: start.Add(3200 * time.Millisecond), FilesFailed: 1, LinesLoaded: 991, LinesRejected: 3, Customers: 71,
		Segments: map[string]int64{"A": 5, "B": 20, "C": 46},
		Failed:   []FailedFile{{Name: "sales*03.csv", Reason: "12 of 20 lines rejected", Run: 15}}}
	waiting := []FailedFile{{Name: "sales*03.csv", Reason: "12 of 20 lines rejected", Run: 15}, {Name: "old.csv", Reason: "no data lines", Run: 9}}

	en := noticeOf(noticeConfig(t, "language: en\nserve: {public_url: \"https://custcat.example.com/\"}\n"), partial, 1, nil, waiting, "runs/2026-03-10/15/report.html")
	if en.Title != "custcat: job nightly, run 15: some files failed" {
		t.Errorf("title %q", en.Title)
	}
	md := en.body(true)
	for _, want := range []string{
		"**custcat: job nightly, run 15: some files failed**",
		"as of 2026-03-10, started 2026-03-10 02:00:00, took 3.2s, 1 attempt(s)",
		"Failed files (moved to the failed/ folder):\n\n- **sales\\*03.csv**: 12 of 20 lines rejected",
		"Files still waiting in failed/:\n\n- **old.csv**: no data lines",
		"991 lines loaded, 3 rejected\n\n71 customers (A 5, B 20, C 46)",
		"custcat retry",
		"[Open the report](https://custcat.example.com/out/runs/2026-03-10/15/report.html)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if !strings.Contains(en.Text, "- sales*03.csv: 12 of 20 lines rejected") || !strings.Contains(en.Text, "Open the report: https://custcat.example.com/out/runs/2026-03-10/15/report.html") {
		t.Errorf("plain text:\n%s", en.Text)
	}

	zh := noticeOf(noticeConfig(t, ""), partial, 2, nil, waiting[:1], "runs/2026-03-10/15/report.html")
	if zh.Title != "custcat：作业 nightly 第 15 次运行：部分文件失败" || !strings.Contains(zh.Text, "失败的文件（已移到 failed/ 文件夹）：\n\n- sales*03.csv: 12 of 20 lines rejected") || strings.Contains(zh.Text, "仍在") {
		t.Errorf("zh: %q\n%s", zh.Title, zh.Text)
	}
	if zh.ReportURL != "" || strings.Contains(zh.Text, "http") {
		t.Errorf("a link without serve.public_url: %s", zh.Text)
	}

	failed := RunRecord{ID: 16, Job: "nightly", Trigger: "schedule", Status: "failed", Start: start, End: start.Add(time.Second),
		Error: "open database: disk full"}
	f := noticeOf(noticeConfig(t, "language: en\nserve: {public_url: \"https://custcat.example.com\"}\n"), failed, 3, nil, nil, "")
	if !strings.Contains(f.Text, "Error: open database: disk full") || f.ReportURL != "" {
		t.Errorf("failed run (no report): %s", f.Text)
	}

	ok := partial
	ok.ID, ok.Status, ok.Failed = 17, "ok", nil
	s := noticeOf(noticeConfig(t, "language: en\n"), ok, 1, &Movers{Up: 3, Down: 2, New: 1}, nil, "")
	if want := "custcat: job nightly, run 17 succeeded: 71 customers (A 5, B 20, C 46), 3 moved up, 2 down, 1 new"; s.Text != want {
		t.Errorf("summary %q, want %q", s.Text, want)
	}
}

// A notice that cannot be sent is logged without the robot's key and
// returned; after a stop each target is tried once, not after backoffs.
func TestNoticeNotSent(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + ln.Addr().String()
	ln.Close()
	cfg := noticeConfig(t, "notify: [{kind: wecom, url: \""+down+"/send?key=SECRETKEY\"}, {kind: webhook, url: \""+down+"/hook\"}]\n")
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	began := time.Now()
	err := Notify(ctx, cfg, cfg.NotifyTargets(), noticeOf(cfg, RunRecord{ID: 3, Job: "n", Status: "failed", Error: "context canceled"}, 1, nil, nil, ""), log)
	if err == nil || !strings.Contains(err.Error(), "notice to wecom 127.0.0.1") || !strings.Contains(err.Error(), "notice to webhook") {
		t.Errorf("error %v", err)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("a stopped daemon waited %v on dead targets", took)
	}
	if strings.Contains(logged.String(), "SECRETKEY") || (err != nil && strings.Contains(err.Error(), "SECRETKEY")) {
		t.Errorf("the robot's key is in the log or error:\n%s", logged.String())
	}
	if n := strings.Count(logged.String(), `msg="notice not sent"`); n != 2 {
		t.Errorf("%d 'notice not sent' lines, want 2:\n%s", n, logged.String())
	}
	// A good run tells only the targets that asked for it.
	if err := Notify(ctx, cfg, cfg.NotifyTargets(), Notice{Status: "ok"}, log); err != nil {
		t.Errorf("a success notice went to targets without on_success: %v", err)
	}
}

// A robot answers 200 with an error code when it refuses a message: that
// is a failure of the notice, with the robot's words.
func TestRobotRefusal(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"errcode":310000,"errmsg":"sign not match"}`)
	}))
	defer srv.Close()
	cfg := noticeConfig(t, "notify: [{kind: dingtalk, url: \""+srv.URL+"/robot/send?access_token=t\", secret: SECx}]\n")
	err := send(context.Background(), cfg, cfg.Notify[0], Notice{Title: "t"})
	if err == nil || !strings.Contains(err.Error(), "errcode 310000: sign not match") {
		t.Errorf("error %v", err)
	}
}

type plainMail struct {
	got chan *mail.Message
}

func (p *plainMail) NewSession(*smtp.Conn) (smtp.Session, error) { return p, nil }
func (p *plainMail) Mail(string, *smtp.MailOptions) error        { return nil }
func (p *plainMail) Rcpt(string, *smtp.RcptOptions) error        { return nil }
func (p *plainMail) Reset()                                      {}
func (p *plainMail) Logout() error                               { return nil }
func (p *plainMail) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err == nil {
		p.got <- m
	}
	return err
}

// A mail server without STARTTLS gets no mail, unless the config says it
// is a relay on this machine (smtp.starttls: false).
func TestMailNeedsStartTLS(t *testing.T) {
	box := &plainMail{got: make(chan *mail.Message, 1)}
	srv := smtp.NewServer(box)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go srv.Serve(ln)
	defer srv.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	target := "{kind: email, smtp: {host: 127.0.0.1, port: " + port + "%s}, from: custcat@example.com, to: [it@example.com]}"
	cfg := noticeConfig(t, "notify: ["+strings.Replace(target, "%s", "", 1)+"]\n")
	n := noticeOf(cfg, RunRecord{ID: 4, Job: "nightly", Status: "failed", Error: "磁盘已满"}, 1, nil, nil, "")
	if err := send(context.Background(), cfg, cfg.Notify[0], n); err == nil || !strings.Contains(err.Error(), "offers no STARTTLS") {
		t.Errorf("without STARTTLS: %v", err)
	}
	cfg = noticeConfig(t, "notify: ["+strings.Replace(target, "%s", ", starttls: false", 1)+"]\n")
	if err := send(context.Background(), cfg, cfg.Notify[0], n); err != nil {
		t.Fatalf("to a relay with starttls: false: %v", err)
	}
	m := <-box.got
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if subject != "custcat：作业 nightly 第 4 次运行：失败" || m.Header.Get("To") != "it@example.com" || !strings.HasSuffix(m.Header.Get("Message-ID"), "@custcat>") {
		t.Errorf("subject %q, to %q", subject, m.Header.Get("To"))
	}
}

// Each run that reads files keeps its own report, categories.csv,
// quality.csv and rejects.csv, which the page links: two runs of one date
// are two folders. A run that reads nothing new writes the copies of the
// run it shows again, the same bytes, as it does the latest outputs.
func TestRunKeepsItsOwnOutputs(t *testing.T) {
	cfg := outputsStore(t, "", map[string]string{"sales1.csv": salesExport})
	run := func() {
		t.Helper()
		if _, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"}); err != nil {
			t.Fatal(err)
		}
	}
	run()
	os.WriteFile(filepath.Join(cfg.Path(cfg.Inbox), "sales2.csv"), []byte("单据日期,单据编号,客户编码,客户名称,价税合计\n2026-03-20,XS900,C900,新客户,70000\n"), 0o644)
	run()
	out := cfg.Path(cfg.Out)
	second := snapshot(t, filepath.Join(out, "runs", "2026-03-31", "2"))
	run()
	for _, k := range []string{"1", "2"} {
		for _, name := range []string{"report.html", "categories.csv", "quality.csv", "rejects.csv"} {
			if _, err := os.Stat(filepath.Join(out, "runs", "2026-03-31", k, name)); err != nil {
				t.Errorf("run %s: %v", k, err)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(out, "runs", "2026-03-31", "3")); err == nil {
		t.Error("run 3 read nothing new, yet has a folder of its own")
	}
	if first, _ := os.ReadFile(filepath.Join(out, "runs", "2026-03-31", "1", "categories.csv")); bytes.Equal(first, second["categories.csv"]) {
		t.Error("runs 1 and 2 read different files, yet their categories.csv are the same")
	}
	for name, b := range snapshot(t, filepath.Join(out, "runs", "2026-03-31", "2")) {
		if !bytes.Equal(b, second[name]) {
			t.Errorf("run 3 changed runs/2026-03-31/2/%s", name)
		}
	}
	latest, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !bytes.Equal(latest, second["report.html"]) {
		t.Error("runs/2026-03-31/2/report.html is not the latest report")
	}
	d := newDaemon(cfg, nil, ServeOptions{Now: time.Now, Log: testLog(t)})
	srv, err := newServer(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	p := srv.Handler.(*pages)
	for id, want := range map[int64]string{1: "runs/2026-03-31/1", 2: "runs/2026-03-31/2", 3: "runs/2026-03-31/2"} {
		if got := p.runDir(RunRecord{ID: id, AsOf: "2026-03-31", Status: "ok"}); got != want {
			t.Errorf("run %d links %q, want %q", id, got, want)
		}
	}
}

func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

// The movers of a notice's summary: on the first snapshot every customer
// is new; a later date on the same lines moves nobody.
func TestRunCountsMovers(t *testing.T) {
	cfg := outputsStore(t, "", map[string]string{"sales1.csv": salesExport})
	first, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	if first.Customers == 0 || first.Movers != (Movers{New: first.Customers}) {
		t.Errorf("first snapshot: %d customers, movers %+v", first.Customers, first.Movers)
	}
	second, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-04-01"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Movers != (Movers{}) {
		t.Errorf("a day later on the same lines: movers %+v", second.Movers)
	}
}
