package pipeline

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
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
	if err := computeFeatures(ctx, c, "2000-01-01", cfg.WindowDays); err != nil {
		return nil, err
	}
	for _, step := range []struct {
		name string
		args []any
	}{{"QuantileCuts", []any{"[0.5]"}}, {"Scores", []any{0.8, 0.95}}} {
		if _, err := c.ExecContext(ctx, custsql.Query(step.name), step.args...); err != nil {
			return nil, err
		}
	}
	var problems []string
	var good []Rule
	for _, r := range cfg.Rules() {
		if msg := checkRule(ctx, c, r.When); msg != "" {
			problems = append(problems, fmt.Sprintf("%s: when %q: %s", r.What, r.When, msg))
		} else {
			good = append(good, r)
		}
	}
	// What compiles may still fail on a customer: text cast to a number,
	// a value out of range. Each rule is applied, as a run applies it (in
	// the sandbox, within its limits), to sample customers with the real
	// column types.
	if err := sampleScores(ctx, c); err != nil {
		return nil, fmt.Errorf("sample customers: %w", err)
	}
	for _, r := range good {
		q := "CREATE OR REPLACE TEMP TABLE segmented AS SELECT s.*, CAST((" + r.When + ") AS BOOLEAN) AS rule_result FROM scores s"
		if err := applyRulesSandboxed(ctx, c, q, nil, ruleLimits(cfg)); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			problems = append(problems, fmt.Sprintf("%s: when %q: fails on a customer a run may have: %s", r.What, r.When, firstLine(err.Error())))
		}
	}
	return problems, nil
}

// sampleScores fills the empty scores table on c with customers of the
// kinds a run meets: without orders in the window (NULL scores), with
// returns (negative amounts), small and very large ones, and names in
// Chinese, empty, or with quotes. Values follow each column's type.
func sampleScores(ctx context.Context, c *sql.Conn) error {
	rows, err := c.QueryContext(ctx, "SELECT column_name, column_type FROM (DESCRIBE scores)")
	if err != nil {
		return err
	}
	var vals [sampleCustomers][]string
	var names []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return err
		}
		names = append(names, `"`+strings.ReplaceAll(name, `"`, `""`)+`"`)
		for i, v := range sampleValues(name, typ) {
			vals[i] = append(vals[i], v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range vals {
		// The values are this program's own constants, not data.
		q := fmt.Sprintf("INSERT INTO scores (%s) VALUES (%s)", strings.Join(names, ", "), strings.Join(vals[i], ", "))
		if _, err := c.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

const sampleCustomers = 6

// sampleValues gives the sampleCustomers values of a column of scores,
// as SQL literals cast to its type.
func sampleValues(name, typ string) [sampleCustomers]string {
	var v [sampleCustomers]string
	switch {
	case strings.HasSuffix(name, "_score"):
		v = [sampleCustomers]string{"NULL", "1", "2", "3", "4", "5"}
	case name == "abc_class":
		v = [sampleCustomers]string{"NULL", "'A'", "'B'", "'C'", "'A'", "'C'"}
	case typ == "BOOLEAN":
		v = [sampleCustomers]string{"NULL", "false", "true", "false", "true", "true"}
	case typ == "VARCHAR":
		v = [sampleCustomers]string{"NULL", "''", "'甲公司'", "'C0012'", "'Total (China) Co.'", "'O''Brien; 1=1 \"x\"'"}
	case typ == "DATE":
		v = [sampleCustomers]string{"NULL", "'2024-01-01'", "'1999-12-31'", "'2024-02-29'", "'2030-12-31'", "'2024-12-31'"}
	case strings.HasPrefix(typ, "DECIMAL"):
		v = [sampleCustomers]string{"NULL", "0", "12.50", "-300.00", "1000000.00", "9999999999.99"}
	case typ == "DOUBLE" || typ == "FLOAT":
		v = [sampleCustomers]string{"NULL", "0", "0.5", "-0.25", "1.5", "1000000"}
	case strings.Contains(typ, "INT"):
		v = [sampleCustomers]string{"NULL", "0", "1", "7", "365", "100000"}
	default:
		v = [sampleCustomers]string{"NULL", "NULL", "NULL", "NULL", "NULL", "NULL"}
	}
	for i := range v {
		v[i] = "CAST(" + v[i] + " AS " + typ + ")"
	}
	return v
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
	var generic any
	if err := json.Unmarshal([]byte(js), &generic); err != nil {
		return err.Error()
	}
	if fn := unboundedFunction(generic); fn != "" {
		return fmt.Sprintf("uses %s, which a rule may not: a rule compares and computes the features of one customer with operators, CASE, CAST and the functions %s", fn, strings.Join(ruleFunctionNames(), ", "))
	}
	var ok sql.NullBool
	err := c.QueryRowContext(ctx, "SELECT CAST(("+when+") AS BOOLEAN) AS rule FROM scores LIMIT 0").Scan(&ok)
	if err != nil && err != sql.ErrNoRows {
		return ruleColumnHint(ctx, c, firstLine(err.Error()))
	}
	return ""
}

func firstLine(msg string) string {
	if i := strings.Index(msg, "\n"); i > 0 {
		msg = msg[:i]
	}
	return msg
}

// ruleFunctions are the functions and operators a rule may call. Each
// gives a value no larger than its arguments and the rule's own text, in
// time linear in them, so a rule is bounded by the size of one customer's
// features. Left out: functions that build large values from small ones
// (range, repeat, lpad, list functions with lambdas, replace), that fail
// on purpose (error), that touch state (nextval, random, current_date), or
// that aggregate.
var ruleFunctions = map[string]bool{
	// operators: arithmetic, concatenation, LIKE, ILIKE, GLOB and their NOT
	"+": true, "-": true, "*": true, "/": true, "//": true, "%": true, "^": true, "**": true, "||": true,
	"~~": true, "!~~": true, "~~*": true, "!~~*": true, "~~~": true, "!~~~": true,
	// numbers
	"abs": true, "round": true, "floor": true, "ceil": true, "ceiling": true, "trunc": true, "sign": true,
	"sqrt": true, "cbrt": true, "ln": true, "log": true, "log2": true, "log10": true, "exp": true,
	"pow": true, "power": true, "least": true, "greatest": true, "isnan": true, "isinf": true, "isfinite": true,
	// text
	"lower": true, "upper": true, "lcase": true, "ucase": true, "trim": true, "ltrim": true, "rtrim": true,
	"length": true, "len": true, "strlen": true, "starts_with": true, "ends_with": true, "prefix": true,
	"suffix": true, "contains": true, "strpos": true, "instr": true, "position": true, "substring": true,
	"substr": true, "left": true, "right": true, "concat": true, "regexp_matches": true,
	"regexp_full_match": true,
	// NULLs
	"ifnull": true, "nullif": true,
}

func ruleFunctionNames() []string {
	var names []string
	for n := range ruleFunctions {
		if n[0] >= 'a' && n[0] <= 'z' {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// unboundedFunction returns the first function of a parsed rule that is
// not one of ruleFunctions, or "".
func unboundedFunction(node any) string {
	switch n := node.(type) {
	case map[string]any:
		if n["class"] == "FUNCTION" {
			name, _ := n["function_name"].(string)
			if !ruleFunctions[strings.ToLower(name)] {
				return name
			}
		}
		if n["class"] == "LAMBDA" {
			return "a lambda (->)"
		}
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if fn := unboundedFunction(n[k]); fn != "" {
				return fn
			}
		}
	case []any:
		for _, v := range n {
			if fn := unboundedFunction(v); fn != "" {
				return fn
			}
		}
	}
	return ""
}
