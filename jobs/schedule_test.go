package jobs

import (
	"slices"
	"testing"
	"time"

	"custcat/pipeline"
)

func schedules(t *testing.T, yaml string) []Schedule {
	t.Helper()
	cfg, problems := pipeline.ParseConfig([]byte(yaml))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	s, err := Schedules(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlanTick(t *testing.T) {
	scheds := schedules(t, `
timezone: Asia/Shanghai
jobs:
  - {name: nightly, schedule: "0 2 * * *"}
  - {name: berlin, schedule: "0 2 * * *", timezone: Europe/Berlin}
  - {name: utc, schedule: "CRON_TZ=UTC 30 18 * * *"}
  - {name: daily, schedule: "@daily"}
  - {name: often, schedule: "@every 1s"}
`)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time {
		t.Helper()
		tm, err := time.ParseInLocation("2006-01-02 15:04:05", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, c := range []struct {
		name      string
		prev, now string
		busy      []string
		run, skip []string
	}{
		{"02:00 Shanghai", "2026-03-10 01:59:59", "2026-03-10 02:00:00", nil, []string{"nightly", "often"}, nil},
		{"a second before", "2026-03-10 01:59:58", "2026-03-10 01:59:59", nil, []string{"often"}, nil},
		{"midnight Shanghai is @daily", "2026-03-09 23:59:59", "2026-03-10 00:00:00", nil, []string{"daily", "often"}, nil},
		// 02:00 in Berlin (CET, UTC+1) is 09:00 in Shanghai.
		{"02:00 Berlin", "2026-03-10 08:59:59", "2026-03-10 09:00:00", nil, []string{"berlin", "often"}, nil},
		// 18:30 UTC is 02:30 the next day in Shanghai.
		{"CRON_TZ=UTC", "2026-03-11 02:29:59", "2026-03-11 02:30:00", nil, []string{"utc", "often"}, nil},
		{"busy is skipped", "2026-03-10 01:59:59", "2026-03-10 02:00:00", []string{"nightly"}, []string{"often"}, []string{"nightly"}},
		{"a long gap runs once", "2026-03-08 00:00:00", "2026-03-10 12:00:00", nil, []string{"nightly", "berlin", "utc", "daily", "often"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			busy := map[string]bool{}
			for _, b := range c.busy {
				busy[b] = true
			}
			p := PlanTick(scheds, at(c.prev), at(c.now), busy)
			if !slices.Equal(p.Run, c.run) || !slices.Equal(p.Skip, c.skip) {
				t.Errorf("run %v skip %v, want run %v skip %v", p.Run, p.Skip, c.run, c.skip)
			}
		})
	}
	if got, want := NextTick(scheds[:1], at("2026-03-10 02:00:00")), at("2026-03-11 02:00:00"); !got.Equal(want) {
		t.Errorf("next tick %v, want %v", got, want)
	}
}

func TestMissedAndOverdue(t *testing.T) {
	scheds := schedules(t, `jobs: [{name: nightly, schedule: "CRON_TZ=UTC 0 2 * * *"}]`)
	at := func(s string) time.Time { tm, _ := time.Parse("2006-01-02 15:04", s); return tm }
	last := map[string]time.Time{"nightly": at("2026-03-09 02:00")}
	if got := Missed(scheds, last, at("2026-03-10 01:59")); len(got) != 0 {
		t.Errorf("missed %v before the time came", got)
	}
	if got := Missed(scheds, last, at("2026-03-10 02:00")); !slices.Equal(got, []string{"nightly"}) {
		t.Errorf("missed %v, want nightly", got)
	}
	if got := Missed(scheds, map[string]time.Time{}, at("2026-03-10 12:00")); len(got) != 0 {
		t.Errorf("a job that never ran missed %v", got)
	}
	s := scheds[0]
	since := at("2026-03-08 12:00")
	if r := Overdue(s, at("2026-03-10 02:00"), since, at("2026-03-10 12:00"), time.Hour); r != "" {
		t.Errorf("ran today, but %s", r)
	}
	if r := Overdue(s, at("2026-03-09 02:00"), since, at("2026-03-10 02:30"), time.Hour); r != "" {
		t.Errorf("within the grace, but %s", r)
	}
	if r := Overdue(s, at("2026-03-09 02:00"), since, at("2026-03-10 03:01"), time.Hour); r == "" {
		t.Errorf("not overdue an hour after the missed time")
	}
	if r := Overdue(s, time.Time{}, at("2026-03-10 02:30"), at("2026-03-10 12:00"), time.Hour); r != "" {
		t.Errorf("started after the last time, but %s", r)
	}
}
