package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"custcat/pipeline"
	custsql "custcat/sql"
)

// RunRecord is one line of the run history.
type RunRecord struct {
	ID            int64
	Job           string
	Trigger       string // manual | schedule | backfill
	AsOf          string
	Start         time.Time
	End           time.Time // zero while running
	Status        string    // running | ok | partial | held | accepted | failed
	FilesLoaded   int64
	FilesFailed   int64
	FilesSkipped  int64
	LinesLoaded   int64
	LinesRejected int64
	Customers     int64
	Segments      map[string]int64
	Error         string
	// Failed are the files that failed in the run, with their reasons.
	Failed []FailedFile
}

// Duration is how long the run took; zero while it runs.
func (r RunRecord) Duration() time.Duration {
	if r.End.IsZero() {
		return 0
	}
	return r.End.Sub(r.Start)
}

// History reads the last n runs, newest first, from the database of cfg,
// opened read-only. A database not made yet has no history. It fails with
// pipeline.ErrLocked while a run holds the database.
func History(ctx context.Context, cfg *pipeline.Config, n int) ([]RunRecord, error) {
	store, err := pipeline.OpenReadOnly(cfg.Path(cfg.Store.Path))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer store.Close()
	rows, err := store.DB.QueryContext(ctx, custsql.Query("RecentRuns"), n)
	if err != nil {
		return nil, fmt.Errorf("read run history: %w", err)
	}
	defer rows.Close()
	var out []RunRecord
	for rows.Next() {
		var r RunRecord
		var end *time.Time
		var segs string
		if err := rows.Scan(&r.ID, &r.Job, &r.Trigger, &r.AsOf, &r.Start, &end, &r.Status,
			&r.FilesLoaded, &r.FilesFailed, &r.FilesSkipped, &r.LinesLoaded, &r.LinesRejected,
			&r.Customers, &segs, &r.Error); err != nil {
			return nil, fmt.Errorf("read run history: %w", err)
		}
		if end != nil {
			r.End = *end
		}
		if err := json.Unmarshal([]byte(segs), &r.Segments); err != nil {
			return nil, fmt.Errorf("run %d segment counts: %w", r.ID, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	return out, failedOfRuns(ctx, store, out)
}

// failedOfRuns puts into each run the files it recorded as failed.
func failedOfRuns(ctx context.Context, store *pipeline.Store, runs []RunRecord) error {
	at := map[int64]int{}
	for i, r := range runs {
		at[r.ID] = i
	}
	rows, err := store.DB.QueryContext(ctx, custsql.Query("FailedFilesOfRuns"), runs[len(runs)-1].ID)
	if err != nil {
		return fmt.Errorf("read failed files: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var run int64
		var f FailedFile
		if err := rows.Scan(&run, &f.Name, &f.Reason); err != nil {
			return fmt.Errorf("read failed files: %w", err)
		}
		if i, ok := at[run]; ok {
			f.Run, f.Reason = run, clip(f.Reason, maxReasonBytes)
			runs[i].Failed = append(runs[i].Failed, f)
		}
	}
	return rows.Err()
}

// record is the history line of a run that just ended, made from what it
// returned: the daemon's view when it cannot read the database.
func record(job, trigger string, res *RunResult, start, end time.Time, err error) RunRecord {
	r := RunRecord{Job: job, Trigger: trigger, Start: start, End: end, Status: "ok", Segments: map[string]int64{}}
	if res != nil {
		r.ID, r.AsOf, r.Customers = res.RunID, res.AsOf, res.Customers
		for _, s := range res.Segments {
			r.Segments[s.Code] = s.Customers
		}
		if res.Load != nil {
			t := res.Load.Totals()
			r.LinesLoaded, r.LinesRejected = t.Loaded, t.Rejected
			r.FilesLoaded, r.FilesFailed, r.FilesSkipped = int64(res.Load.Count("loaded")), int64(res.Load.Count("failed")), int64(res.Load.Count("skipped"))
			for _, f := range res.Load.Files {
				if f.Status == "failed" {
					r.Failed = append(r.Failed, FailedFile{Name: f.Name, Reason: clip(f.Reason, maxReasonBytes), Run: r.ID})
				}
			}
		}
	}
	switch {
	case errors.Is(err, ErrHeld):
		r.Status, r.Error = "held", err.Error()
	case errors.Is(err, ErrFilesFailed):
		r.Status = "partial"
	case err != nil:
		r.Status, r.Error = "failed", err.Error()
	}
	return r
}

// historyCache is the run history the daemon shows. The daemon opens the
// database only while a job runs, so that a manual run stays possible;
// it reads the history at start and after each job, and keeps what it
// read when a manual run holds the database at that moment.
type historyCache struct {
	mu   sync.Mutex
	runs []RunRecord // newest first
	read time.Time
}

const historyDepth = 200

func (h *historyCache) refresh(ctx context.Context, cfg *pipeline.Config, now time.Time) error {
	runs, err := History(ctx, cfg, historyDepth)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.runs, h.read = runs, now
	return nil
}

// add puts a run the daemon made at the top, where refresh could not.
func (h *historyCache) add(r RunRecord) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.runs = append([]RunRecord{r}, h.runs...)
	if len(h.runs) > historyDepth {
		h.runs = h.runs[:historyDepth]
	}
}

func (h *historyCache) list() []RunRecord {
	runs, _ := h.snapshot()
	return runs
}

// snapshot is the history and when it was read.
func (h *historyCache) snapshot() ([]RunRecord, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]RunRecord(nil), h.runs...), h.read
}
