package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Reading a config: its YAML over the defaults, ${VAR} references expanded,
// and unknown keys named with the nearest known one.

// ConfigError lists every problem found in a config file.
type ConfigError struct {
	Path     string
	Problems []string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("config %s: %d problem(s):\n  %s", e.Path, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// LoadConfig reads, expands and checks the config at path. Every problem
// is reported at once in a *ConfigError.
func LoadConfig(path string) (Config, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, fmt.Errorf("config %s does not exist: give the config with -c FILE, or write one there (an empty file takes every default: the exports in inbox/ beside it, the outputs in out/; the README's \"The config file\" lists the keys)", path)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, problems := ParseConfig(raw)
	if len(problems) > 0 {
		return Config{}, &ConfigError{Path: path, Problems: problems}
	}
	abs, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return Config{}, err
	}
	cfg.dir = abs
	return cfg, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// ParseConfig parses config text over the defaults and returns the
// problems found, each naming its key and line.
func ParseConfig(raw []byte) (cfg Config, problems []string) {
	defer func() {
		if r := recover(); r != nil {
			problems = append(problems, fmt.Sprintf("invalid YAML: %v", r))
		}
	}()
	text := string(raw)
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		lines[i] = envRef.ReplaceAllStringFunc(line, func(ref string) string {
			m := envRef.FindStringSubmatch(ref)
			if v, ok := os.LookupEnv(m[1]); ok {
				return v
			}
			if strings.Contains(ref, ":-") {
				return m[2]
			}
			problems = append(problems, fmt.Sprintf("line %d: environment variable %s is not set; set it, or write ${%s:-default}", i+1, m[1], m[1]))
			return ""
		})
	}
	expanded := []byte(strings.Join(lines, "\n"))

	cfg = DefaultConfig()
	if strings.TrimSpace(string(expanded)) == "" {
		cfg.withDefaults(false)
		return cfg, problems
	}
	file, err := parser.ParseBytes(expanded, 0)
	if err != nil {
		return cfg, append(problems, yamlProblem(err))
	}
	keyAt := map[string]int{}
	typed := 0
	for _, doc := range file.Docs {
		if doc.Body != nil {
			problems = append(problems, unknownKeys(doc.Body, reflect.TypeOf(cfg), "")...)
			types := typeProblems(doc.Body, reflect.TypeOf(cfg), "")
			typed += len(types)
			problems = append(problems, types...)
			keyLines(doc.Body, "", keyAt)
		}
	}
	if typed > 0 {
		return cfg, problems // the decoder would stop at the first of them
	}
	// Lists given in the file replace the defaults, never merge with them.
	cfg.Segments = nil
	var present struct {
		Segments *[]SegmentRule `yaml:"segments"`
	}
	_ = safeUnmarshal(expanded, &present)
	if err := safeUnmarshal(expanded, &cfg); err != nil {
		return cfg, append(problems, yamlProblem(err))
	}
	cfg.withDefaults(present.Segments != nil)
	return cfg, append(problems, withLines(cfg.validate(), keyAt)...)
}

// safeUnmarshal decodes YAML, turning a panic of the decoder on odd input
// (seen with stray tags) into an error.
func safeUnmarshal(b []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("invalid YAML: %v", r)
		}
	}()
	return yaml.Unmarshal(b, v)
}

func yamlProblem(err error) string {
	var se yaml.Error
	if errors.As(err, &se) {
		tok := se.GetToken()
		if tok != nil {
			msg := se.GetMessage()
			if strings.Contains(msg, "unknown escape character") {
				// A Windows path in double quotes: C:\custcat reads \c as an escape.
				msg += `; in double quotes \ starts an escape: write a Windows path without quotes, in single quotes ('C:\custcat\inbox'), or with / (C:/custcat/inbox)`
			}
			return fmt.Sprintf("line %d: %s", tok.Position.Line, msg)
		}
	}
	return err.Error()
}

// unknownKeys walks the YAML tree beside the Go type and names every key
// the type does not have, with the nearest known key as a hint.
func unknownKeys(node ast.Node, t reflect.Type, at string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	switch n := node.(type) {
	case *ast.MappingNode:
		for _, v := range n.Values {
			out = append(out, unknownKeyIn(v, t, at)...)
		}
	case *ast.MappingValueNode:
		out = append(out, unknownKeyIn(n, t, at)...)
	case *ast.SequenceNode:
		if t.Kind() == reflect.Slice {
			for i, v := range n.Values {
				out = append(out, unknownKeys(v, t.Elem(), fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return out
}

func unknownKeyIn(v *ast.MappingValueNode, t reflect.Type, at string) []string {
	key := v.Key.GetToken().Value
	line := v.Key.GetToken().Position.Line
	path := key
	if at != "" {
		path = at + "." + key
	}
	switch t.Kind() {
	case reflect.Map:
		// Which fields a source has depends on its kind: validate checks that.
		if t.Elem() == reflect.TypeOf(ColumnRef{}) && !slices.Contains(Fields, key) && !slices.Contains(CustomerFields, key) {
			return []string{fmt.Sprintf("line %d: unknown column field %q at %s; write one of %s (sales) or %s (customers)",
				line, key, path, strings.Join(Fields, ", "), strings.Join(CustomerFields, ", "))}
		}
		return nil
	case reflect.Struct:
	default:
		return nil
	}
	var known []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		known = append(known, tag)
		if tag == key {
			return unknownKeys(v.Value, f.Type, path)
		}
	}
	hint := nearest(key, known)
	msg := fmt.Sprintf("line %d: unknown key %q", line, path)
	if hint != "" {
		msg += fmt.Sprintf("; did you mean %q?", hint)
	} else {
		msg += "; known keys here: " + strings.Join(known, ", ")
	}
	return []string{msg}
}

// nearest returns the known key closest to key by edit distance, if close.
func nearest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(key, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
