package jobs

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"custcat/pipeline"
)

// Schedule is a job of the config with its parsed cron spec.
type Schedule struct {
	Job  pipeline.Job
	Cron cron.Schedule
	Loc  *time.Location // of the as-of date
}

// Schedules parses the jobs of cfg (validated already by the config).
func Schedules(cfg *pipeline.Config) ([]Schedule, error) {
	var out []Schedule
	for _, j := range cfg.Jobs {
		c, err := cron.ParseStandard(j.Spec())
		if err != nil {
			return nil, fmt.Errorf("job %s schedule %q: %w", j.Name, j.Schedule, err)
		}
		loc, err := time.LoadLocation(j.Timezone)
		if err != nil {
			return nil, fmt.Errorf("job %s timezone %q: %w", j.Name, j.Timezone, err)
		}
		out = append(out, Schedule{Job: j, Cron: c, Loc: loc})
	}
	return out, nil
}

// Plan is what the daemon does at one tick.
type Plan struct {
	Run  []string // jobs to start
	Skip []string // jobs due but still running (or waiting to): never twice at once
}

// PlanTick decides which jobs to start at now, the previous tick having
// been at prev: those with a time in (prev, now], less those busy. A job
// whose time came several times since prev runs once.
func PlanTick(scheds []Schedule, prev, now time.Time, busy map[string]bool) Plan {
	var p Plan
	for _, s := range scheds {
		if s.Cron.Next(prev).After(now) {
			continue
		}
		if busy[s.Job.Name] {
			p.Skip = append(p.Skip, s.Job.Name)
		} else {
			p.Run = append(p.Run, s.Job.Name)
		}
	}
	return p
}

// NextTick is when the next job is due after t; the zero time without jobs.
func NextTick(scheds []Schedule, t time.Time) time.Time {
	var next time.Time
	for _, s := range scheds {
		if n := s.Cron.Next(t); !n.IsZero() && (next.IsZero() || n.Before(next)) {
			next = n
		}
	}
	return next
}

// Missed says which jobs had a time pass while the daemon was down, to
// catch up once at start: a time after the job's last scheduled run and
// not after now. A job that never ran has missed nothing.
func Missed(scheds []Schedule, lastRun map[string]time.Time, now time.Time) []string {
	var out []string
	for _, s := range scheds {
		last, ok := lastRun[s.Job.Name]
		if !ok {
			continue
		}
		if n := s.Cron.Next(last); !n.IsZero() && !n.After(now) {
			out = append(out, s.Job.Name)
		}
	}
	return out
}

// Overdue says why a job is late, or "": a time of the job came more than
// grace ago, after both its last successful scheduled run and since (when
// the daemon started).
func Overdue(s Schedule, lastOK, since, now time.Time, grace time.Duration) string {
	n := OverdueSince(s, lastOK, since, now, grace)
	if n.IsZero() {
		return ""
	}
	return fmt.Sprintf("job %s is overdue: it was due at %s and has not succeeded since", s.Job.Name, n.Format(time.RFC3339))
}

// OverdueSince is the time the job was due at and missed, as Overdue
// says it; the zero time when the job is not late.
func OverdueSince(s Schedule, lastOK, since, now time.Time, grace time.Duration) time.Time {
	from := since
	if lastOK.After(from) {
		from = lastOK
	}
	n := s.Cron.Next(from)
	if n.IsZero() || now.Sub(n) <= grace {
		return time.Time{}
	}
	return n
}
