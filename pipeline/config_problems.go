package pipeline

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// How a config's problems are told: values of the wrong type in the words
// of their key, and the line of the key before each problem of validate.

// typeNouns say in a user's words what a key takes, where the Go type
// alone would say less.
var typeNouns = map[string]string{
	"window_days":          "a whole number of days",
	"downgrade_after_runs": "a whole number of runs",
	"retries":              "a whole number of retries",
	"threads":              "a whole number of threads",
	"bins":                 "a whole number of score bins",
	"max_reject_ratio":     "a share between 0 and 1, such as 0.01",
	"max_moved":            "a share between 0 and 1, such as 0.2",
	"max_scored_change":    "a share between 0 and 1, such as 0.5",
	"share":                "a share between 0 and 1",
}

var bytesUnmarshaler = reflect.TypeOf((*yaml.BytesUnmarshaler)(nil)).Elem()

// typeProblems walks the YAML tree beside the Go type and names every
// value of the wrong kind (text where a number goes, a list where a
// mapping goes) with its line, in the words of typeNouns, so that all of
// them are told at once rather than the decoder's first.
func typeProblems(node ast.Node, t reflect.Type, at string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node == nil {
		return nil
	}
	if reflect.PointerTo(t).Implements(bytesUnmarshaler) {
		// Guard reads off or a mapping of plain keys; ColumnRef any scalar.
		_, mapping := node.(*ast.MappingNode)
		_, pair := node.(*ast.MappingValueNode)
		if t != reflect.TypeOf(Guard{}) {
			return nil
		}
		if !mapping && !pair {
			if w, ok := node.(*ast.StringNode); !ok || !strings.EqualFold(w.Value, "off") && !strings.EqualFold(w.Value, "on") {
				if _, ok := node.(*ast.BoolNode); !ok {
					return []string{fmt.Sprintf("line %d: %s is off, or the limits such as {max_moved: 0.2, max_scored_change: 0.5}, not %q",
						node.GetToken().Position.Line, at, strings.TrimSpace(node.String()))}
				}
			}
			return nil
		}
	}
	switch node.(type) {
	case *ast.NullNode, *ast.TagNode, *ast.AnchorNode, *ast.AliasNode, *ast.CommentGroupNode:
		return nil
	}
	key := at
	if i := strings.LastIndexAny(at, ".]"); i >= 0 {
		key = at[i+1:]
	}
	bad := func(noun string) []string {
		if n, ok := typeNouns[key]; ok {
			noun = n
		}
		tok := node.GetToken()
		text := strings.TrimSpace(node.String())
		if len(text) > 40 {
			text = text[:40] + "…"
		}
		return []string{fmt.Sprintf("line %d: %s is %s, not %q", tok.Position.Line, at, noun, text)}
	}
	switch {
	case t == reflect.TypeOf(time.Duration(0)):
		switch n := node.(type) {
		case *ast.StringNode:
			if _, err := time.ParseDuration(n.Value); err != nil {
				return bad("a duration such as 30s, 5m or 1h")
			}
		case *ast.IntegerNode:
		default:
			return bad("a duration such as 30s, 5m or 1h")
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		if _, ok := node.(*ast.IntegerNode); !ok {
			return bad("a whole number")
		}
	case reflect.Float64:
		switch node.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			return bad("a number")
		}
	case reflect.Bool:
		if _, ok := node.(*ast.BoolNode); !ok {
			return bad("true or false")
		}
	case reflect.String:
		switch node.(type) {
		case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
			return bad("a text")
		}
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			return bad("a list")
		}
		var out []string
		for i, v := range seq.Values {
			out = append(out, typeProblems(v, t.Elem(), fmt.Sprintf("%s[%d]", at, i))...)
		}
		return out
	case reflect.Struct:
		var values []*ast.MappingValueNode
		switch n := node.(type) {
		case *ast.MappingNode:
			values = n.Values
		case *ast.MappingValueNode:
			values = []*ast.MappingValueNode{n}
		default:
			return bad("a mapping of keys")
		}
		var out []string
		for _, v := range values {
			k := v.Key.GetToken().Value
			for i := 0; i < t.NumField(); i++ {
				if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag == k {
					path := k
					if at != "" {
						path = at + "." + k
					}
					out = append(out, typeProblems(v.Value, t.Field(i).Type, path)...)
				}
			}
		}
		return out
	}
	return nil
}

// keyLines maps each key path of the YAML tree (sources[0].decimal) to its line.
func keyLines(node ast.Node, at string, out map[string]int) {
	switch n := node.(type) {
	case *ast.MappingNode:
		for _, v := range n.Values {
			keyLines(v, at, out)
		}
	case *ast.MappingValueNode:
		path := n.Key.GetToken().Value
		if at != "" {
			path = at + "." + path
		}
		out[path] = n.Key.GetToken().Position.Line
		keyLines(n.Value, path, out)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			p := fmt.Sprintf("%s[%d]", at, i)
			out[p] = v.GetToken().Position.Line
			keyLines(v, p, out)
		}
	}
}

// withLines puts the line of its key before each problem that starts with
// a key path and has none.
func withLines(problems []string, lines map[string]int) []string {
	for i, p := range problems {
		if strings.HasPrefix(p, "line ") {
			continue
		}
		best := ""
		for path := range lines {
			if len(path) > len(best) && strings.HasPrefix(p, path) && len(p) > len(path) && strings.ContainsRune(" .[(", rune(p[len(path)])) {
				best = path
			}
		}
		if best != "" {
			problems[i] = fmt.Sprintf("line %d: %s", lines[best], p)
		}
	}
	return problems
}
