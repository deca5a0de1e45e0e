package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// webhookTimeout bounds one notice: a slow receiver must not hold the daemon.
const webhookTimeout = 10 * time.Second

// Notice is the JSON summary of a failed run that the webhook receives.
type Notice struct {
	Job           string           `json:"job"`
	Trigger       string           `json:"trigger"`
	RunID         int64            `json:"run_id,omitempty"`
	AsOf          string           `json:"as_of,omitempty"`
	Status        string           `json:"status"` // failed | partial (some files failed) | held (the guard held the category file back)
	Started       time.Time        `json:"started_at"`
	Finished      time.Time        `json:"finished_at"`
	Attempts      int              `json:"attempts"`
	FilesFailed   int64            `json:"files_failed"`
	LinesLoaded   int64            `json:"lines_loaded"`
	LinesRejected int64            `json:"lines_rejected"`
	Customers     int64            `json:"customers"`
	Segments      map[string]int64 `json:"segments,omitempty"`
	Error         string           `json:"error,omitempty"`
}

func noticeOf(r RunRecord, attempts int) Notice {
	return Notice{Job: r.Job, Trigger: r.Trigger, RunID: r.ID, AsOf: r.AsOf, Status: r.Status,
		Started: r.Start, Finished: r.End, Attempts: attempts, FilesFailed: r.FilesFailed,
		LinesLoaded: r.LinesLoaded, LinesRejected: r.LinesRejected, Customers: r.Customers,
		Segments: r.Segments, Error: r.Error}
}

// Notify posts n as JSON to url. It runs under its own timeout, and also
// after the caller's context was cancelled: a run stopped by a signal is
// a failure worth telling.
func Notify(ctx context.Context, url string, n Notice) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "custcat")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: the receiver answered %s", resp.Status)
	}
	return nil
}

// NotifyFailure tells the webhook of cfg, if any, that a run did not
// end well. It returns the error of the notice, to be logged.
func NotifyFailure(ctx context.Context, webhook string, job, trigger string, res *RunResult, start, end time.Time, attempts int, runErr error) error {
	if webhook == "" || runErr == nil {
		return nil
	}
	return Notify(ctx, webhook, noticeOf(record(job, trigger, res, start, end, runErr), attempts))
}
