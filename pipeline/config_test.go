package pipeline

import (
	"strings"
	"testing"
)

func TestParseConfigDefaults(t *testing.T) {
	cfg, problems := ParseConfig([]byte(""))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if cfg.WindowDays != 365 || cfg.Scoring.Method != "quintile" || cfg.Scoring.Bins != 5 || len(cfg.Segments) != 3 {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.Segments[0].When != "m_score >= 4 AND f_score >= 4 AND active_months >= 6" {
		t.Errorf("segment A = %+v", cfg.Segments[0])
	}
}

func TestParseConfigReportsEveryProblem(t *testing.T) {
	text := `window_days: -5
stor:
  path: x.duckdb
sources:
  - name: k
    encodng: gbk
    columns: {dat: 日期}
scoring:
  method: deciles
segments:
  - {code: A, when: "m_score >= 4"}
  - {code: B, when: "f_score >= 2"}
`
	_, problems := ParseConfig([]byte(text))
	all := strings.Join(problems, "\n")
	for _, want := range []string{
		`line 2: unknown key "stor"; did you mean "store"?`,
		`line 6: unknown key "sources[0].encodng"; did you mean "encoding"?`,
		`line 7: unknown column field "dat"`,
		`window_days is -5`,
		`scoring.method "deciles" is unknown; write quintile, thresholds or pareto`,
		`segments[1] (B) is the last segment, so it must match every customer; write when: true`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q; got:\n%s", want, all)
		}
	}
}

func TestParseConfigEnv(t *testing.T) {
	t.Setenv("CUSTCAT_TEST_DB", "/data/x.duckdb")
	cfg, problems := ParseConfig([]byte("store:\n  path: ${CUSTCAT_TEST_DB}\nout: ${CUSTCAT_TEST_UNSET:-reports}\ninbox: ${CUSTCAT_TEST_MISSING}\n"))
	if cfg.Store.Path != "/data/x.duckdb" || cfg.Out != "reports" {
		t.Errorf("expanded = %q, %q", cfg.Store.Path, cfg.Out)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "line 4: environment variable CUSTCAT_TEST_MISSING is not set") {
		t.Errorf("problems = %q", problems)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("window_days: 30\nsegments:\n  - {code: A, when: \"true\"}\n")
	f.Add("sources:\n  - name: a\n    columns: {date: 2}\n")
	f.Add("scoring: {method: thresholds, thresholds: {frequency: [1, 2]}}")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, problems := ParseConfig([]byte(text))
		if len(problems) == 0 && len(cfg.Segments) == 0 {
			t.Fatal("a config without segments passed")
		}
	})
}
