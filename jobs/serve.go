package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"custcat/pipeline"
)

// ServeOptions are the choices of the daemon.
type ServeOptions struct {
	Now func() time.Time
	Log *slog.Logger // the daemon logs "listening" with the HTTP address
}

// daemon runs the jobs of a config on their schedules, one at a time.
type daemon struct {
	cfg     *pipeline.Config
	scheds  map[string]Schedule
	now     func() time.Time
	log     *slog.Logger
	history *historyCache
	started time.Time
	metrics *metrics

	mu   sync.Mutex
	busy map[string]bool // running or waiting to run
	// notices being sent: they do not hold the next job, and the daemon
	// waits for them when it stops.
	notices  sync.WaitGroup
	lastSeen map[string]RunRecord
}

// Serve runs the schedules of cfg until ctx is cancelled, and the HTTP
// pages when serve.listen is not off. The database is opened only while
// a job runs, so that custcat run works beside the daemon. Jobs run one at
// a time; a job whose time comes while it still runs or waits is skipped
// and logged. When ctx is cancelled, the running job rolls back (or
// finishes its commit), then Serve returns.
func Serve(ctx context.Context, cfg *pipeline.Config, opt ServeOptions) error {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	scheds, err := Schedules(cfg)
	if err != nil {
		return err
	}
	if len(scheds) == 0 {
		return errors.New("the config has no jobs; add jobs: [{name: nightly, schedule: \"0 2 * * *\"}]")
	}
	d := newDaemon(cfg, scheds, opt)
	if err := d.history.refresh(ctx, cfg, d.started); err != nil {
		d.log.Warn("read run history", slog.Any("err", err))
	}
	for _, f := range d.failedFiles() {
		d.log.Warn("file waits in failed/", slog.String("file", f.Name), slog.String("reason", f.Reason), slog.Int64("run", f.Run),
			slog.String("fix", "fix it, then run custcat retry "+f.Name+", or remove it"))
	}

	var srv *http.Server
	if cfg.Serve.Listen != "off" {
		ln, err := net.Listen("tcp", cfg.Serve.Listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w; set serve.listen to a free address", cfg.Serve.Listen, err)
		}
		srv, err = newServer(cfg, d)
		if err != nil {
			ln.Close()
			return err
		}
		d.log.Info("listening", slog.String("addr", ln.Addr().String()))
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.log.Error("http", slog.Any("err", err))
			}
		}()
	}

	d.loop(ctx, scheds)
	if srv != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}
	d.log.Info("stopped")
	return nil
}

// loop starts the jobs when they are due until ctx is cancelled, then
// waits for the running one to finish or roll back.
func (d *daemon) loop(ctx context.Context, scheds []Schedule) {
	queue := make(chan string, len(scheds))
	enqueue := func(name, why string) {
		d.mu.Lock()
		defer d.mu.Unlock()
		if d.busy[name] {
			d.log.Warn("skip: the job still runs or waits to run", slog.String("job", name), slog.String("why", why))
			return
		}
		d.busy[name] = true
		queue <- name
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case name := <-queue:
				d.runJob(ctx, d.scheds[name])
				d.mu.Lock()
				delete(d.busy, name)
				d.mu.Unlock()
			}
		}
	})

	if d.cfg.Serve.CatchUp {
		for _, name := range Missed(scheds, d.lastScheduled(), d.started) {
			enqueue(name, "catch up")
		}
	}
	prev := d.started
	for ctx.Err() == nil {
		next := NextTick(scheds, prev)
		if next.IsZero() {
			d.log.Warn("no job has a time in the next five years; waiting for a signal")
			<-ctx.Done()
			break
		}
		timer := time.NewTimer(next.Sub(d.now()))
		select {
		case <-ctx.Done():
			timer.Stop()
		case <-timer.C:
		}
		if ctx.Err() != nil {
			break
		}
		now := d.now()
		if now.Before(next) {
			continue // the timer fired early by the clock: wait on
		}
		d.mu.Lock()
		busy := maps.Clone(d.busy)
		d.mu.Unlock()
		plan := PlanTick(scheds, prev, now, busy)
		for _, name := range plan.Skip {
			d.log.Warn("skip: the job still runs or waits to run", slog.String("job", name), slog.Time("due", now))
		}
		for _, name := range plan.Run {
			enqueue(name, "schedule")
		}
		prev = now
	}
	d.log.Info("stopping: the running job finishes or rolls back")
	wg.Wait()
	d.notices.Wait()
}

func newDaemon(cfg *pipeline.Config, scheds []Schedule, opt ServeOptions) *daemon {
	d := &daemon{cfg: cfg, scheds: map[string]Schedule{}, now: opt.Now, log: opt.Log,
		history: &historyCache{}, started: opt.Now(), busy: map[string]bool{}, lastSeen: map[string]RunRecord{}}
	for _, s := range scheds {
		d.scheds[s.Job.Name] = s
	}
	d.metrics = newMetrics(d)
	return d
}

// failedFiles are the files waiting in failed/, or none when the folder
// cannot be read (logged).
func (d *daemon) failedFiles() []FailedFile {
	files, err := FailedFiles(d.cfg)
	if err != nil {
		d.log.Warn("list the failed folder", slog.Any("err", err))
	}
	return files
}

// lastScheduled is when each job last ran on its schedule, by the history.
func (d *daemon) lastScheduled() map[string]time.Time {
	out := map[string]time.Time{}
	for _, r := range d.history.list() {
		if r.Trigger != "schedule" {
			continue
		}
		if t, ok := out[r.Job]; !ok || r.Start.After(t) {
			out[r.Job] = r.Start
		}
	}
	return out
}

// runJob runs one job with its timeout, retrying a failed run with
// backoff, then reads the history anew and sends the failure notice.
func (d *daemon) runJob(ctx context.Context, s Schedule) {
	j := s.Job
	log := d.log.With(slog.String("job", j.Name))
	start := d.now()
	asOf := start.In(s.Loc).Format(time.DateOnly)
	var res *RunResult
	var err error
	attempts := 0
	for attempt := 0; attempt <= j.Retries; attempt++ {
		if attempt > 0 {
			wait := j.Backoff << (attempt - 1)
			log.Warn("retry", slog.Int("attempt", attempt+1), slog.Duration("after", wait), slog.Any("err", err))
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			if ctx.Err() != nil {
				break
			}
		}
		attempts++
		log.Info("run", slog.String("as_of", asOf), slog.Int("attempt", attempts))
		rctx, cancel := context.WithTimeout(ctx, j.Timeout)
		res, err = d.runWhenFree(rctx, log, RunOptions{AsOf: asOf, Job: j.Name, Trigger: "schedule", Now: d.now,
			Log: log, Settle: d.cfg.Serve.Settle, Sources: j.Sources})
		if rerr := rctx.Err(); errors.Is(rerr, context.DeadlineExceeded) && err != nil {
			err = fmt.Errorf("timeout after %s: %w", j.Timeout, err)
		}
		cancel()
		if !retryable(ctx, err) {
			break
		}
	}
	end := d.now()
	rec := record(j.Name, "schedule", res, start, end, err)
	log = log.With(slog.Int64("run", rec.ID))
	for _, f := range rec.Failed {
		log.Error("file failed", slog.String("file", f.Name), slog.String("reason", f.Reason),
			slog.String("moved_to", d.cfg.Failed+"/"), slog.String("fix", "fix it, then run custcat retry "+f.Name+", or remove it"))
	}
	if res != nil {
		// What the summary of custcat run warns of the input files.
		for _, n := range res.FileNotes {
			log.Warn("input file", slog.String("note", n))
		}
	}
	switch {
	case err == nil:
		log.Info("done", slog.Int64("lines_loaded", rec.LinesLoaded),
			slog.Int64("customers", rec.Customers), slog.Any("waiting", res.Waiting))
	case rec.Status == "held":
		// The guard kept the outputs from the ERP: its error says why.
		log.Warn("held", slog.Int64("lines_loaded", rec.LinesLoaded), slog.Any("err", err))
	case rec.Status == "partial":
		log.Error("run partial: some files failed", slog.String("status", rec.Status), slog.Int64("files_failed", rec.FilesFailed),
			slog.String("failed", failedList(rec.Failed)), slog.Int64("lines_loaded", rec.LinesLoaded), slog.Int64("customers", rec.Customers))
	default:
		log.Error("run failed", slog.String("status", rec.Status), slog.Any("err", err))
	}
	d.metrics.observe(rec, res)
	// Read the history anew: this process just released the database.
	if herr := d.history.refresh(context.WithoutCancel(ctx), d.cfg, end); herr != nil {
		log.Warn("read run history", slog.Any("err", herr))
		d.history.add(rec)
	}
	d.mu.Lock()
	d.lastSeen[j.Name] = rec
	d.mu.Unlock()
	// Each target logs what became of its notice; none fails the run, and
	// a slow or absent receiver does not hold the next job.
	d.notices.Go(func() {
		_ = NotifyRun(ctx, d.cfg, log, j.Name, "schedule", res, start, end, attempts, err)
	})
}

// failedList is "a.csv: reason; b.csv: reason" for a log line.
func failedList(files []FailedFile) string {
	parts := make([]string, 0, len(files))
	for _, f := range files {
		parts = append(parts, f.Name+": "+f.Reason)
	}
	return strings.Join(parts, "; ")
}

// lockPoll is how often a job waiting for the database tries again.
const lockPoll = 500 * time.Millisecond

// runWhenFree runs, waiting while another process (a manual custcat run)
// holds the database: that is no failure of the job, so it takes no retry;
// the job's timeout still bounds the wait.
func (d *daemon) runWhenFree(ctx context.Context, log *slog.Logger, opt RunOptions) (*RunResult, error) {
	for waited := false; ; waited = true {
		res, err := Run(ctx, d.cfg, opt)
		if !errors.Is(err, pipeline.ErrLocked) || ctx.Err() != nil {
			return res, err
		}
		if !waited {
			log.Info("waiting for the database", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(lockPoll):
		}
	}
}

// retryable says whether a failed run may succeed when tried again: not a
// run that committed with failed files, nor a bad config, nor a stop.
func retryable(ctx context.Context, err error) bool {
	var rules *RulesError
	return err != nil && ctx.Err() == nil && !errors.Is(err, ErrFilesFailed) && !errors.Is(err, ErrHeld) && !errors.As(err, &rules)
}
