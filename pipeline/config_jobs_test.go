package pipeline

import (
	"strings"
	"testing"
	"time"
)

func TestJobsConfig(t *testing.T) {
	cfg, problems := ParseConfig([]byte(`
timezone: Asia/Shanghai
sources:
  - {name: erp, files: "*.csv"}
  - {name: pulled, files: sales.csv, url: "https://erp.example.com/export/sales.csv"}
jobs:
  - {name: nightly, schedule: "0 2 * * *", timeout: 30m, retries: 2, backoff: 10s, sources: [erp]}
  - {name: hourly, schedule: "@hourly", timezone: Europe/Berlin}
serve: {listen: "127.0.0.1:0", catch_up: true, settle: 2s}
`))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	n := cfg.Jobs[0]
	if n.Timeout != 30*time.Minute || n.Retries != 2 || n.Backoff != 10*time.Second || n.Spec() != "CRON_TZ=Asia/Shanghai 0 2 * * *" {
		t.Errorf("nightly: %+v, spec %q", n, n.Spec())
	}
	h := cfg.Jobs[1]
	if h.Timeout != DefaultJobTimeout || h.Backoff != DefaultJobBackoff || h.Spec() != "CRON_TZ=Europe/Berlin @hourly" {
		t.Errorf("hourly: %+v, spec %q", h, h.Spec())
	}
	if !cfg.Serve.CatchUp || cfg.Serve.Settle != 2*time.Second || FetchName(cfg.Sources[1]) != "sales.csv" {
		t.Errorf("serve %+v", cfg.Serve)
	}
}

func TestJobsConfigProblems(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"bad cron", `jobs: [{name: n, schedule: "0 2 * *"}]`, `jobs[0] (n).schedule "0 2 * *"`},
		{"six fields", `jobs: [{name: n, schedule: "0 0 2 * * *"}]`, `jobs[0] (n).schedule`},
		{"no schedule", `jobs: [{name: n}]`, `jobs[0] (n).schedule is empty`},
		{"unknown source", `jobs: [{name: n, schedule: "@daily", sources: [nope]}]`, `jobs[0] (n).sources names "nope", which is not a source; write one of: default`},
		{"twice", `jobs: [{name: n, schedule: "@daily"}, {name: n, schedule: "@daily"}]`, `jobs[1] (n).name is used twice`},
		{"zone", `timezone: Mars/Base`, `timezone "Mars/Base" is unknown`},
		{"job zone", `jobs: [{name: n, schedule: "@daily", timezone: Nowhere}]`, `jobs[0] (n).timezone "Nowhere" is unknown`},
		{"cron zone", `jobs: [{name: n, schedule: "CRON_TZ=Nowhere 0 2 * * *"}]`, `jobs[0] (n).schedule`},
		{"negative retries", `jobs: [{name: n, schedule: "@daily", retries: -1}]`, `jobs[0] (n).retries is -1`},
		{"listen", `serve: {listen: "8377"}`, `serve.listen "8377" is not host:port`},
		{"url scheme", `sources: [{name: s, url: "ftp://x/a.csv"}]`, `sources[0] (s).url is not an http(s) URL`},
		{"url name", `sources: [{name: s, files: "*.xlsx", url: "https://x/a.csv"}]`, `downloads as a.csv, which this source's files pattern "*.xlsx" does not match`},
		{"webhook", `webhook: "hooks.example.com"`, `webhook "hooks.example.com" is not an http(s) URL`},
		{"unknown key", `jobs: [{name: n, schedule: "@daily", timout: 1h}]`, `unknown key "jobs[0].timout"; did you mean "timeout"?`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, problems := ParseConfig([]byte(c.yaml))
			if !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Errorf("problems %q do not say %q", problems, c.want)
			}
		})
	}
}
