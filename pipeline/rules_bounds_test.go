package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"
)

// What passes custcat check passes a run: check refuses rules that would
// fail a run or take it over (a value blown up from a small one, an error
// on purpose, a sequence of the store, a cast that fails on a customer's
// value), naming each, and lets ordinary rules through.
func TestCheckRulesAsARunWould(t *testing.T) {
	bad := map[string]string{
		"len(range(100000000)) > 0":                                        "uses range",
		"list_reduce(range(monetary::BIGINT*100000), (a, b) -> a + b) > 0": "uses ",
		"length(repeat(customer_name, 200000000)) > 0":                     "uses repeat",
		"length(lpad(customer_name, 2000000000, 'x')) > 0":                 "uses lpad",
		"CAST(customer_name AS BOOLEAN)":                                   "fails on a customer a run may have: Conversion Error",
		"CASE WHEN monetary > 1e12 THEN error('boom') ELSE true END":       "uses error",
		"nextval('file_ids') > 0":                                          "uses nextval",
		"CAST(monetary AS TINYINT) > 0":                                    "fails on a customer a run may have",
		"CAST(customer_code AS INTEGER) > 10":                              "fails on a customer a run may have",
		"random() < 0.5":                                                   "uses random",
	}
	good := []string{
		"m_score >= 4 AND f_score >= 4 AND active_months >= 6",
		"customer_name LIKE '甲%' OR lower(customer_name) = 'total'",
		"regexp_matches(customer_name, '公司$') AND coalesce(r_score, 0) >= 3",
		"abs(returns_share) < 0.1 AND monetary / greatest(frequency, 1) > 100",
		"trend_ratio IS NULL OR round(trend_ratio, 1) >= 1.5",
		"CAST(r_score AS TINYINT) > 2",
	}
	cfg := DefaultConfig()
	for when := range bad {
		cfg.Tags = append(cfg.Tags, TagRule{Name: when, When: when})
	}
	for _, when := range good {
		cfg.Tags = append(cfg.Tags, TagRule{Name: when, When: when})
	}
	problems, err := CheckRules(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(problems, "\n")
	for when, want := range bad {
		found := false
		for _, p := range problems {
			if strings.HasPrefix(p, "tag "+when+":") && strings.Contains(p, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("rule %q: no problem saying %q in:\n%s", when, want, text)
		}
	}
	for _, when := range good {
		if strings.Contains(text, "tag "+when+":") {
			t.Errorf("rule %q refused:\n%s", when, text)
		}
	}
	if len(problems) != len(bad) {
		t.Errorf("%d problems, want %d:\n%s", len(problems), len(bad), text)
	}
}

// The rules of a run are bounded in time: past the bound they are
// stopped and the run is told so. (Their memory is bounded by what they
// may call, TestCheckRulesAsARunWould: DuckDB's memory_limit, set in the
// sandbox too, does not hold an in-memory table nor a function's values.)
func TestRuleSandboxLimits(t *testing.T) {
	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{}, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c, err := store.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `CREATE TEMP TABLE scores AS
		SELECT 'C' || i AS customer_key, '客户' || i AS customer_name, i::DOUBLE AS monetary FROM range(3000000) t(i)`); err != nil {
		t.Fatal(err)
	}
	q := `CREATE OR REPLACE TEMP TABLE segmented AS SELECT s.*,
		CAST(regexp_matches(customer_name || customer_name || customer_name, '(甲|乙)+丙$') AS BOOLEAN) AS rule_result FROM scores s`
	for _, c2 := range []struct {
		lim  SandboxLimits
		want string
	}{
		{SandboxLimits{Memory: "1GB", Time: 50 * time.Millisecond}, "the segment and tag rules took longer than 50ms, the limit of a run"},
	} {
		start := time.Now()
		err := applyRulesSandboxed(ctx, c, q, nil, c2.lim)
		if err == nil || !strings.Contains(err.Error(), c2.want) {
			t.Errorf("limits %+v: err = %v, want %q", c2.lim, err, c2.want)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Errorf("limits %+v: stopped after %v", c2.lim, took)
		}
	}
	var n int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FROM scores").Scan(&n); err != nil || n != 3000000 {
		t.Errorf("the store after the stopped rules: %d rows, %v", n, err)
	}
}
