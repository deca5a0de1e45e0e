// Package sql holds custcat's SQL: the schema migrations and the named
// statements of every stage, embedded into the binary.
//
// A statement file holds blocks that each start with a line
// "-- name: Name"; Query returns a block by that name. Migrations are
// the files of migrations/, applied in the order of their names.
package sql

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.sql migrations/*.sql
var files embed.FS

// Migration is one schema step, applied once and recorded by name.
type Migration struct {
	Name string
	SQL  string
}

// Migrations returns the schema steps in the order they apply.
func Migrations() []Migration {
	names, err := fs.Glob(files, "migrations/*.sql")
	if err != nil {
		panic(err) // the pattern is constant
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, _ := files.ReadFile(n)
		out = append(out, Migration{Name: strings.TrimPrefix(n, "migrations/"), SQL: string(b)})
	}
	return out
}

var queries = parseAll()

// Query returns the statement named name. It panics on an unknown name:
// names are constants of the program, and a typo should fail every test.
func Query(name string) string {
	q, ok := queries[name]
	if !ok {
		panic(fmt.Sprintf("sql: no statement named %q", name))
	}
	return q
}

func parseAll() map[string]string {
	out := map[string]string{}
	names, _ := fs.Glob(files, "*.sql")
	for _, n := range names {
		b, _ := files.ReadFile(n)
		for name, q := range parseNamed(string(b)) {
			if _, dup := out[name]; dup {
				panic(fmt.Sprintf("sql: statement %q defined twice", name))
			}
			out[name] = q
		}
	}
	return out
}

func parseNamed(text string) map[string]string {
	out := map[string]string{}
	var name string
	var body strings.Builder
	flush := func() {
		if name != "" {
			out[name] = strings.TrimSpace(body.String())
		}
		body.Reset()
	}
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "-- name:"); ok {
			flush()
			name = strings.TrimSpace(rest)
			continue
		}
		body.WriteString(line)
		body.WriteByte('\n')
	}
	flush()
	return out
}
