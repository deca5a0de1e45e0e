package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	custsql "custcat/sql"
)

// Rule is a segment or tag condition of the config, named for messages.
type Rule struct {
	What string // "segment A" or "tag 流失风险"
	When string
}

// Rules lists every condition of the config.
func (c *Config) Rules() []Rule {
	var out []Rule
	for _, s := range c.Segments {
		out = append(out, Rule{"segment " + s.Code, s.When})
	}
	for _, t := range c.Tags {
		out = append(out, Rule{"tag " + t.Name, t.When})
	}
	return out
}

// CheckRules compiles every segment and tag condition against the scores
// table of an empty in-memory store that cannot touch files, and returns a
// problem, naming the rule, per bad rule.
// A condition must be one expression over the customer's features: no
// second statement, no subquery, no table.
func CheckRules(ctx context.Context, cfg *Config) ([]string, error) {
	store, err := OpenStore(ctx, StoreConfig{}, ":memory:")
	if err != nil {
		return nil, err
	}
	defer store.Close()
	// The checks run rule text; like the run, they may not touch files
	// (DuckDB folds constant calls while it plans, even under LIMIT 0) nor
	// load extensions (an operator such as >>= would fetch one).
	for _, set := range []string{"SET autoinstall_known_extensions = false", "SET autoload_known_extensions = false",
		"SET enable_external_access = false", "SET lock_configuration = true"} {
		if _, err := store.DB.ExecContext(ctx, set); err != nil {
			return nil, fmt.Errorf("sandbox the rule checks: %w", err)
		}
	}
	// Each check runs on its own, not in one transaction: a rule that
	// fails would abort it and every later rule would be blamed.
	c, err := store.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	for _, step := range []struct {
		name string
		args []any
	}{{"Features", []any{"2000-01-01", cfg.WindowDays}}, {"QuantileCuts", []any{"[0.5]"}}, {"Scores", []any{0.8, 0.95}}} {
		if _, err := c.ExecContext(ctx, custsql.Query(step.name), step.args...); err != nil {
			return nil, err
		}
	}
	var problems []string
	for _, r := range cfg.Rules() {
		if msg := checkRule(ctx, c, r.When); msg != "" {
			problems = append(problems, fmt.Sprintf("%s: when %q: %s", r.What, r.When, msg))
		}
	}
	return problems, nil
}

func checkRule(ctx context.Context, c *sql.Conn, when string) string {
	var js string
	if err := c.QueryRowContext(ctx, "SELECT CAST(json_serialize_sql(CAST($1 AS VARCHAR)) AS VARCHAR)", "SELECT ("+when+") AS rule FROM scores").Scan(&js); err != nil {
		return err.Error()
	}
	var tree struct {
		Error        bool   `json:"error"`
		ErrorMessage string `json:"error_message"`
		Statements   []any  `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &tree); err != nil {
		return err.Error()
	}
	if tree.Error {
		return ruleColumnHint(ctx, c, tree.ErrorMessage)
	}
	if len(tree.Statements) != 1 {
		return "must be one expression, not several statements"
	}
	if strings.Contains(js, `"class":"SUBQUERY"`) {
		return "must not hold a subquery; use the features of the customer only"
	}
	if strings.Contains(js, `"type":"TABLE_FUNCTION"`) || strings.Count(js, `"type":"BASE_TABLE"`) != 1 {
		return "must not read tables or files; use the features of the customer only"
	}
	var ok sql.NullBool
	err := c.QueryRowContext(ctx, "SELECT CAST(("+when+") AS BOOLEAN) AS rule FROM scores LIMIT 0").Scan(&ok)
	if err != nil && err != sql.ErrNoRows {
		msg := err.Error()
		if i := strings.Index(msg, "\n"); i > 0 {
			msg = msg[:i]
		}
		return ruleColumnHint(ctx, c, msg)
	}
	return ""
}
