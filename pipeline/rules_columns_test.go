package pipeline

import (
	"context"
	"strings"
	"testing"
)

// A rule naming a column the features do not have says which it meant and
// which it may use, not DuckDB's binder error.
func TestRuleUnknownColumn(t *testing.T) {
	cfg, problems := ParseConfig([]byte("segments:\n  - {code: A, when: \"m_scor >= 4\"}\n  - {code: C, when: \"true\"}\n"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got, err := CheckRules(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `segment A: when "m_scor >= 4": unknown column m_scor (did you mean m_score?); a rule may use: abc_class, active_months, `
	if len(got) != 1 || !strings.HasPrefix(got[0], want) || !strings.Contains(got[0], "recency_days") {
		t.Errorf("problems = %q, want one starting %q", got, want)
	}
}
