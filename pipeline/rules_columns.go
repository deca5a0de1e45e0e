package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

var unknownColumn = regexp.MustCompile(`Referenced column "([^"]+)" not found`)

// ruleColumnHint turns DuckDB's binder error for a column a rule names but
// the features do not have into what a user can act on: the nearest
// column, and every column a rule may use.
func ruleColumnHint(ctx context.Context, c *sql.Conn, msg string) string {
	m := unknownColumn.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	rows, err := c.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM scores) ORDER BY column_name")
	if err != nil {
		return msg
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil && name != "customer_key" {
			cols = append(cols, name)
		}
	}
	out := fmt.Sprintf("unknown column %s", m[1])
	if near := nearest(strings.ToLower(m[1]), cols); near != "" {
		out += fmt.Sprintf(" (did you mean %s?)", near)
	}
	return out + "; a rule may use: " + strings.Join(cols, ", ")
}
