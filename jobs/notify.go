package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"custcat/pipeline"
)

// Bounds of sending one notice: a slow receiver must not hold the
// daemon, and a receiver that is down for a moment gets a second chance.
const (
	noticeTimeout  = 10 * time.Second // one attempt
	noticeAttempts = 3
	noticeBackoff  = 2 * time.Second // before the second attempt; it doubles
)

// Notice is what the targets hear of a run. A target of kind webhook
// receives it as JSON; the robots and email receive its text.
type Notice struct {
	Job           string           `json:"job"`
	Trigger       string           `json:"trigger"`
	RunID         int64            `json:"run_id,omitempty"`
	AsOf          string           `json:"as_of,omitempty"`
	Status        string           `json:"status"` // ok | failed | partial (some files failed) | held
	Started       time.Time        `json:"started_at"`
	Finished      time.Time        `json:"finished_at"`
	Attempts      int              `json:"attempts"`
	FilesFailed   int64            `json:"files_failed"`
	LinesLoaded   int64            `json:"lines_loaded"`
	LinesRejected int64            `json:"lines_rejected"`
	Customers     int64            `json:"customers"`
	Segments      map[string]int64 `json:"segments,omitempty"`
	Movers        *Movers          `json:"movers,omitempty"`
	Error         string           `json:"error,omitempty"`
	// Files are the files that failed in this run; Waiting all those that
	// wait in failed/ now, this run's and older ones.
	Files     []NoticeFile `json:"files,omitempty"`
	Waiting   []NoticeFile `json:"failed_waiting,omitempty"`
	ReportURL string       `json:"report_url,omitempty"`
	Title     string       `json:"title"`
	Text      string       `json:"text"` // the message as the email says it

	lang     string
	segOrder []string
}

// NoticeFile is a failed file and why.
type NoticeFile struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
	Run    int64  `json:"run,omitempty"`
}

// noticeOf makes the notice of a finished run. waiting are the files in
// failed/ after it; movers is nil where the run has no snapshot.
// report is the path of the run's report in the output folder, "" for none.
func noticeOf(cfg *pipeline.Config, r RunRecord, attempts int, movers *Movers, waiting []FailedFile, report string) Notice {
	n := Notice{Job: r.Job, Trigger: r.Trigger, RunID: r.ID, AsOf: r.AsOf, Status: r.Status,
		Started: r.Start, Finished: r.End, Attempts: attempts, FilesFailed: r.FilesFailed,
		LinesLoaded: r.LinesLoaded, LinesRejected: r.LinesRejected, Customers: r.Customers,
		Segments: r.Segments, Movers: movers, Error: r.Error, lang: cfg.Language}
	for _, s := range cfg.Segments {
		n.segOrder = append(n.segOrder, s.Code)
	}
	for _, f := range r.Failed {
		n.Files = append(n.Files, NoticeFile{Name: f.Name, Reason: f.Reason, Run: f.Run})
	}
	for _, f := range waiting {
		n.Waiting = append(n.Waiting, NoticeFile{Name: f.Name, Reason: f.Reason, Run: f.Run})
	}
	if cfg.Serve.PublicURL != "" && report != "" && r.Status != "failed" {
		n.ReportURL = strings.TrimRight(cfg.Serve.PublicURL, "/") + "/out/" + filepath.ToSlash(report)
	}
	n.Title = n.title()
	n.Text = n.body(false)
	return n
}

// NotifyRun tells the targets of cfg how a run ended: every target of a
// run that did not end ok, and the targets with on_success of one that
// did. A notice that cannot be sent is logged and returned, never a
// failure of the run.
func NotifyRun(ctx context.Context, cfg *pipeline.Config, log *slog.Logger, job, trigger string, res *RunResult, start, end time.Time, attempts int, runErr error) error {
	targets := cfg.NotifyTargets()
	if len(targets) == 0 {
		return nil
	}
	rec := record(job, trigger, res, start, end, runErr)
	waiting, werr := FailedFiles(cfg)
	if werr != nil {
		log.Warn("notice: list the failed folder", slog.Any("err", werr))
	}
	var movers *Movers
	if res != nil && res.Load != nil && runErr == nil {
		movers = &res.Movers
	}
	report := ""
	if res != nil && len(res.Outputs) > 0 {
		report = filepath.Join(RunDir(res.AsOf, res.Shown), "report.html")
	}
	return Notify(ctx, cfg, targets, noticeOf(cfg, rec, attempts, movers, waiting, report), log)
}

// NotifyTest sends a test notice to every target of cfg, whatever it
// asks for, so that whoever sets up a robot sees it arrive (or why not)
// before a night goes wrong.
func NotifyTest(ctx context.Context, cfg *pipeline.Config, log *slog.Logger, now time.Time) error {
	targets := cfg.NotifyTargets()
	if len(targets) == 0 {
		return errors.New("the config has no notify targets (nor webhook); add notify: [{kind: wecom, url: ...}]")
	}
	n := Notice{Job: "test", Trigger: "test", Status: "test", Started: now, Finished: now, lang: cfg.Language}
	n.Title = say(n.lang, "test title")
	n.Text = n.body(false)
	for i := range targets {
		targets[i].OnSuccess = true
	}
	return Notify(ctx, cfg, targets, n, log)
}

// Notify sends n to each target that wants it, all at once, each with its
// retries. It runs also after ctx was cancelled (a run stopped by a signal
// is worth telling), but then tries each target once.
func Notify(ctx context.Context, cfg *pipeline.Config, targets []pipeline.NotifyTarget, n Notice, log *slog.Logger) error {
	var wg sync.WaitGroup
	errs := make([]error, len(targets))
	for i, t := range targets {
		if okLike(n.Status) && !t.OnSuccess {
			continue
		}
		wg.Go(func() {
			errs[i] = sendWithRetries(ctx, cfg, t, n, log)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func sendWithRetries(ctx context.Context, cfg *pipeline.Config, t pipeline.NotifyTarget, n Notice, log *slog.Logger) error {
	log = log.With(slog.String("notice", t.Kind), slog.String("to", targetName(t)))
	var err error
	for attempt := 1; attempt <= noticeAttempts; attempt++ {
		if attempt > 1 {
			wait := noticeBackoff << (attempt - 2)
			log.Warn("notice not sent; trying again", slog.Int("attempt", attempt-1), slog.Duration("after", wait), slog.Any("err", err))
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			if ctx.Err() != nil {
				break
			}
		}
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), noticeTimeout)
		err = send(actx, cfg, t, n)
		cancel()
		if err == nil {
			log.Info("notice sent", slog.String("status", n.Status))
			return nil
		}
	}
	log.Error("notice not sent", slog.Any("err", err))
	return fmt.Errorf("notice to %s %s: %w", t.Kind, targetName(t), err)
}

// targetName names a target in logs without its secrets: a robot's URL
// carries its key in the query.
func targetName(t pipeline.NotifyTarget) string {
	if t.Kind == "email" {
		return t.SMTP.Host
	}
	u, err := url.Parse(t.URL)
	if err != nil {
		return "?"
	}
	return u.Host
}

func send(ctx context.Context, cfg *pipeline.Config, t pipeline.NotifyTarget, n Notice) error {
	switch t.Kind {
	case "webhook":
		return postJSON(ctx, t.URL, n, nil)
	case "wecom":
		// Group robots take markdown up to 4096 bytes.
		body := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": clip(n.body(true), 4000)}}
		return postJSON(ctx, t.URL, body, robotAnswer)
	case "dingtalk":
		u, err := dingTalkURL(t.URL, t.Secret, time.Now())
		if err != nil {
			return err
		}
		body := map[string]any{"msgtype": "markdown", "markdown": map[string]string{"title": n.Title, "text": clip(n.body(true), 18000)}}
		return postJSON(ctx, u, body, robotAnswer)
	case "feishu":
		body := feishuCard(n)
		if t.Secret != "" {
			ts := time.Now().Unix()
			body["timestamp"] = strconv.FormatInt(ts, 10)
			body["sign"] = FeishuSign(t.Secret, ts)
		}
		return postJSON(ctx, t.URL, body, robotAnswer)
	case "email":
		return sendMail(ctx, cfg, t, n)
	}
	return fmt.Errorf("unknown notice kind %q", t.Kind)
}

// DingTalkSign is the sign of a DingTalk robot request at timestamp ts
// (Unix milliseconds): base64 of HMAC-SHA256 over "ts\nsecret", keyed with
// the secret.
func DingTalkSign(secret string, ts int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// dingTalkURL adds timestamp and sign to a robot URL when it has a secret.
func dingTalkURL(raw, secret string, now time.Time) (string, error) {
	if secret == "" {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	ts := now.UnixMilli()
	q.Set("timestamp", strconv.FormatInt(ts, 10))
	q.Set("sign", DingTalkSign(secret, ts))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// FeishuSign is the sign of a Feishu bot request at timestamp ts (Unix
// seconds): base64 of HMAC-SHA256 over nothing, keyed with "ts\nsecret".
func FeishuSign(secret string, ts int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(ts, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func feishuCard(n Notice) map[string]any {
	color := "red"
	switch n.Status {
	case "ok", "accepted":
		color = "green"
	case "partial":
		color = "orange"
	case "test":
		color = "blue"
	}
	return map[string]any{"msg_type": "interactive", "card": map[string]any{
		"config":   map[string]any{"wide_screen_mode": true},
		"header":   map[string]any{"template": color, "title": map[string]string{"tag": "plain_text", "content": n.Title}},
		"elements": []any{map[string]any{"tag": "div", "text": map[string]string{"tag": "lark_md", "content": clip(n.body(true), 20000)}}},
	}}
}

// robotAnswer reads the answer of a WeCom, DingTalk or Feishu robot: HTTP
// 200 with an error code inside when the robot refused the message (a
// bad sign, a keyword missing, too many messages).
func robotAnswer(body []byte) error {
	var a struct {
		ErrCode    *int   `json:"errcode"` // WeCom, DingTalk
		ErrMsg     string `json:"errmsg"`
		Code       *int   `json:"code"` // Feishu
		Msg        string `json:"msg"`
		StatusCode *int   `json:"StatusCode"` // Feishu, older bots
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("the robot answered no JSON: %s", clip(string(body), 200))
	}
	switch {
	case a.ErrCode != nil && *a.ErrCode != 0:
		return fmt.Errorf("the robot refused the message: errcode %d: %s", *a.ErrCode, a.ErrMsg)
	case a.Code != nil && *a.Code != 0:
		return fmt.Errorf("the robot refused the message: code %d: %s", *a.Code, a.Msg)
	case a.StatusCode != nil && *a.StatusCode != 0:
		return fmt.Errorf("the robot refused the message: StatusCode %d", *a.StatusCode)
	}
	return nil
}

func postJSON(ctx context.Context, target string, v any, check func([]byte) error) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return redact(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "custcat")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return redact(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("the receiver answered %s", resp.Status)
	}
	if check != nil {
		return check(answer)
	}
	return nil
}

// redact drops the URL from an error of the HTTP client: it would put the
// robot's key into the log.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
