package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
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

// Each testdata/*.bad.yaml is a config that must be refused: its "# want:"
// lines are the problems it must give, each in full or as their start.
func TestBadConfigs(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad configs: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, line := range strings.Split(string(raw), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					want = append(want, w)
				}
			}
			if len(want) == 0 {
				t.Fatal("no # want: line")
			}
			_, problems := ParseConfig(raw)
			if len(problems) == 0 {
				t.Fatal("the config passed")
			}
			for _, w := range want {
				found := false
				for _, p := range problems {
					if strings.HasPrefix(p, w) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem starts with\n  %s\ngot:\n  %s", w, strings.Join(problems, "\n  "))
				}
			}
		})
	}
}

// Validation reports and changes nothing: the config it is given is the
// one a run uses, defaults filled in once, before it.
func TestValidateIsPure(t *testing.T) {
	cfg, problems := ParseConfig([]byte("sources: [{name: erp, encoding: GBK, decimal: Comma}]\noutputs: {categories: {delimiter: tab}}\njobs: [{name: n, schedule: \"@daily\"}]\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	before := fmt.Sprintf("%+v", cfg)
	_ = cfg.validate()
	if after := fmt.Sprintf("%+v", cfg); after != before {
		t.Errorf("validate changed the config:\n%s\n%s", before, after)
	}
	s := cfg.Sources[0]
	if s.Encoding != "gbk" || s.Decimal != "comma" || s.Duplicates != "drop" || s.Ledger != "erp" || s.Files != "*" {
		t.Errorf("source defaults: %+v", s)
	}
	if cfg.Outputs.Categories.Delimiter != "\t" || cfg.Jobs[0].Timeout != DefaultJobTimeout || cfg.Guard.MaxMoved != 0.2 {
		t.Errorf("defaults: %+v %+v %+v", cfg.Outputs.Categories, cfg.Jobs[0], cfg.Guard)
	}
	if d, _ := cfg.SourceFor("x.csv"); d.Name != "erp" {
		t.Errorf("SourceFor = %+v", d)
	}
	empty, _ := ParseConfig(nil)
	if d, _ := empty.SourceFor("x.csv"); fmt.Sprint(d) != fmt.Sprint(DefaultSource()) {
		t.Errorf("the source of a config without sources = %+v, want DefaultSource", d)
	}
	off, problems := ParseConfig([]byte("guard: off\n"))
	if len(problems) > 0 || !off.Guard.Off {
		t.Errorf("guard: off = %+v %v", off.Guard, problems)
	}
}
