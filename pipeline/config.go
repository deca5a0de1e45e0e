package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/robfig/cron/v3"
)

// Config is the whole of custcat's configuration: one YAML file.
// Relative paths in it are read from the folder of that file.
type Config struct {
	Store          StoreConfig   `yaml:"store"`
	Inbox          string        `yaml:"inbox"`
	Archive        string        `yaml:"archive"`
	Failed         string        `yaml:"failed"`
	Out            string        `yaml:"out"`
	WindowDays     int           `yaml:"window_days"`
	MaxRejectRatio float64       `yaml:"max_reject_ratio"`
	Sources        []Source      `yaml:"sources"`
	Scoring        Scoring       `yaml:"scoring"`
	Segments       []SegmentRule `yaml:"segments"`
	Tags           []TagRule     `yaml:"tags"`
	Preference     Preference    `yaml:"preference"`
	Outputs        Outputs       `yaml:"outputs"`
	Language       string        `yaml:"language"` // of the report: zh | en
	Timezone       string        `yaml:"timezone"` // of job schedules without their own; Local is the machine's
	Jobs           []Job         `yaml:"jobs"`
	Serve          ServeConfig   `yaml:"serve"`
	Webhook        string        `yaml:"webhook"` // receives a JSON summary of a failed or held run
	Guard          Guard         `yaml:"guard"`   // when a run holds its category file back (guard.go)

	// DowngradeAfterRuns is how many consecutive runs a customer must fall
	// below its segment before the lower segment takes effect; upgrades
	// take effect at once.
	DowngradeAfterRuns int `yaml:"downgrade_after_runs"`
	// Manual is a CSV of hand-set tags and pinned segments (see manual.go).
	Manual string `yaml:"manual"`
	// Notify lists where the daemon's notices of runs go (config_notify.go).
	Notify []NotifyTarget `yaml:"notify"`
	// KeepRuns is how many of the latest runs keep the copies of their
	// outputs under out/runs/ (and their dates' reports under
	// out/reports/); older ones are removed after each run. 0 keeps all.
	KeepRuns int `yaml:"keep_runs"`

	dir string // the folder of the config file
}

// StoreConfig says where the DuckDB database lives and how much it may use.
type StoreConfig struct {
	Path        string `yaml:"path"`
	MemoryLimit string `yaml:"memory_limit"`
	Threads     int    `yaml:"threads"`
}

// Source describes one kind of export that lands in the inbox.
type Source struct {
	Name           string               `yaml:"name"`
	Kind           string               `yaml:"kind"` // sales | customers (the customer master)
	Ledger         string               `yaml:"ledger"`
	Files          string               `yaml:"files"`
	Encoding       string               `yaml:"encoding"`
	Delimiter      string               `yaml:"delimiter"`
	Header         string               `yaml:"header"`
	Sheet          string               `yaml:"sheet"` // an .xlsx worksheet; the first one when empty
	Columns        map[string]ColumnRef `yaml:"columns"`
	MaxRejectRatio *float64             `yaml:"max_reject_ratio"`
	URL            string               `yaml:"url"` // an export to download into the inbox before each run
	// Decimal is the decimal mark of the export's numbers: auto (decided per
	// file from its number cells), point (1,234.50) or comma (1.234,50).
	Decimal string `yaml:"decimal"`
	// DateFormat reads dates that could be read two ways (01/05/2024):
	// DD/MM/YYYY, MM/DD/YYYY, DD.MM.YYYY, YY-MM-DD or excel (serial numbers).
	DateFormat string `yaml:"date_format"`
	// Duplicates says what becomes of a line repeated exactly within one
	// document: drop (counted as a duplicate) or keep (an export without a
	// line id, where two equal lines can be two real lines).
	Duplicates string `yaml:"duplicates"`
}

// Job is a run that the daemon starts on a schedule.
type Job struct {
	Name     string        `yaml:"name"`
	Schedule string        `yaml:"schedule"` // five cron fields, @daily, @every 1h; CRON_TZ=Zone before it
	Timezone string        `yaml:"timezone"` // the zone of the schedule and of the as-of date; default: timezone
	Timeout  time.Duration `yaml:"timeout"`
	Retries  int           `yaml:"retries"`
	Backoff  time.Duration `yaml:"backoff"` // the wait before the first retry; it doubles each time
	Sources  []string      `yaml:"sources"` // the sources whose files the job loads; default: all
}

// ServeConfig is how the daemon (custcat serve) runs.
type ServeConfig struct {
	Listen  string        `yaml:"listen"`   // the HTTP address; off turns HTTP off
	Token   string        `yaml:"token"`    // when set, HTTP requests need "Authorization: Bearer <token>"
	CatchUp bool          `yaml:"catch_up"` // run once at start a job whose time passed while the daemon was down
	Settle  time.Duration `yaml:"settle"`   // inbox files changed more recently wait for the next run
	// PublicURL is where people reach the pages (a proxy in front, say):
	// notices link the run's report under it.
	PublicURL string `yaml:"public_url"`
}

// ColumnRef names the column of a field: by its header text, or by its
// 1-based position in a file without a header.
type ColumnRef struct {
	Header   string
	Position int
}

// UnmarshalYAML takes a header text or a position.
func (c *ColumnRef) UnmarshalYAML(b []byte) error {
	var n int
	if err := yaml.Unmarshal(b, &n); err == nil {
		c.Position = n
		return nil
	}
	return yaml.Unmarshal(b, &c.Header)
}

// Scoring chooses how R, F and M scores are cut.
type Scoring struct {
	Method     string     `yaml:"method"` // quintile | thresholds | pareto
	Bins       int        `yaml:"bins"`
	Thresholds Thresholds `yaml:"thresholds"`
	Pareto     Pareto     `yaml:"pareto"`
}

// Thresholds are ascending cut lists, read as lower bounds.
type Thresholds struct {
	RecencyDays []float64 `yaml:"recency_days"`
	Frequency   []float64 `yaml:"frequency"`
	Monetary    []float64 `yaml:"monetary"`
}

// Pareto holds the cumulative revenue shares that end classes A and B.
type Pareto struct {
	A float64 `yaml:"a"`
	B float64 `yaml:"b"`
}

// SegmentRule is one rule of the ordered segment list: the first whose When
// holds for a customer gives its segment.
type SegmentRule struct {
	Code    string `yaml:"code"`
	Name    string `yaml:"name"`
	ERPCode string `yaml:"erp_code"`
	When    string `yaml:"when"`
}

// TagRule is assigned to every customer for whom When holds.
type TagRule struct {
	Name string `yaml:"name"`
	When string `yaml:"when"`
}

// Preference tags a customer whose top product category holds at least
// Share of its positive amount, as Prefix + category.
type Preference struct {
	Share  float64 `yaml:"share"`
	Prefix string  `yaml:"prefix"`
}

// Outputs chooses how the files a run writes are laid out.
type Outputs struct {
	Categories CategoryOutput `yaml:"categories"`
}

// CategoryOutput is the layout of categories.csv: what the import template
// of the ERP that reads it back wants.
type CategoryOutput struct {
	Preset    string           `yaml:"preset"`    // generic | kingdee | yonyou | custom
	Columns   []CategoryColumn `yaml:"columns"`   // preset custom only
	Encoding  string           `yaml:"encoding"`  // utf-8-bom | utf-8 | gbk | gb18030
	LineEnd   string           `yaml:"line_end"`  // crlf | lf
	Delimiter string           `yaml:"delimiter"` // comma | tab | semicolon | pipe, or the character itself
	Mode      string           `yaml:"mode"`      // full | delta (only customers whose erp_code or tags changed)
	// The ERP's own import form: see the block at the end of this file.
	Format          string                    `yaml:"format"`            // csv | xlsx; default xlsx for the xlsx presets and with a template
	Template        string                    `yaml:"template"`          // the .xlsx import template downloaded from the ERP
	TemplateColumns map[string]TemplateSource `yaml:"template_columns"`  // template column (caption or field key) -> what goes in it
	TemplateDataRow int                       `yaml:"template_data_row"` // the first row custcat fills; 0: the row after the header found
}

// CategoryColumn is one column of a custom category file: a field of
// CategoryFields under the header the ERP expects.
type CategoryColumn struct {
	Field  string `yaml:"field"`
	Header string `yaml:"header"`
}

// CategoryFields are the snapshot fields a category file can hold, in the
// order of the generic preset.
var CategoryFields = []string{"customer_code", "customer_name", "segment_code", "segment_name", "erp_code",
	"tags", "r_score", "f_score", "m_score", "abc_class", "recency_days", "frequency", "monetary",
	"active_months", "tenure_days", "avg_order_value", "returns_share", "top_category",
	"top_category_share", "trend_ratio", "prev_segment", "segment_since", "manual", "rule_segment"}

// Fields are the sales-line fields a column can map to.
var Fields = []string{"date", "doc_no", "customer_code", "customer_name", "item_code",
	"item_name", "category", "quantity", "unit_price", "amount"}

// CustomerFields are the fields of a customer master export (a source of
// kind customers); category is the customer's category in the ERP.
var CustomerFields = []string{"customer_code", "customer_name", "address", "contact", "phone", "category"}

// Source kinds: what an export holds.
const (
	KindSales     = "sales"
	KindCustomers = "customers"
)

// Guard decides when a run holds its category file back instead of
// replacing the one the ERP has: see jobs/guard.go. `guard: off` turns it off.
type Guard struct {
	Off             bool    `yaml:"-"`
	MaxMoved        float64 `yaml:"max_moved"`         // share of the customers in the file in place that change ERP code
	MaxScoredChange float64 `yaml:"max_scored_change"` // relative change of the number of scored customers
}

// UnmarshalYAML takes off (or false) or the mapping of the limits.
func (g *Guard) UnmarshalYAML(b []byte) error {
	var on bool
	if err := yaml.Unmarshal(b, &on); err == nil {
		g.Off = !on
		return nil
	}
	var word string
	if err := yaml.Unmarshal(b, &word); err == nil {
		switch strings.ToLower(strings.TrimSpace(word)) {
		case "off":
			g.Off = true
			return nil
		case "on":
			return nil
		}
		return fmt.Errorf("guard %q: write off, or the limits such as {max_moved: 0.2, max_scored_change: 0.5}", word)
	}
	type plain Guard
	p := plain(*g)
	if err := yaml.Unmarshal(b, &p); err != nil {
		return err
	}
	*g = Guard(p)
	return nil
}

// The choices of a source's reading, the default first.
var (
	decimalMarks   = []string{"auto", "point", "comma"}
	duplicateModes = []string{"drop", "keep"}
)

// DefaultSource is the source of a config without sources, and what every
// source of a config has for what it leaves out.
func DefaultSource() Source {
	return Source{Name: "default", Kind: KindSales, Ledger: "default", Files: "*", Encoding: "auto",
		Delimiter: "auto", Header: "auto", Decimal: "auto", Duplicates: "drop"}
}

// DefaultConfig returns the configuration a user gets with an empty file.
// With withDefaults it is the one place where defaults are set.
func DefaultConfig() Config {
	return Config{
		Store:          StoreConfig{Path: "var/custcat.duckdb", MemoryLimit: "512MB"},
		Inbox:          "inbox",
		Archive:        "archive",
		Failed:         "failed",
		Out:            "out",
		WindowDays:     365,
		MaxRejectRatio: 0.01,
		Scoring:        Scoring{Method: "quintile", Bins: 5, Pareto: Pareto{A: 0.80, B: 0.95}},
		Segments: []SegmentRule{
			{Code: "A", Name: "大客户", ERPCode: "A", When: "m_score >= 4 AND f_score >= 4 AND active_months >= 6"},
			{Code: "B", Name: "一般客户", ERPCode: "B", When: "m_score >= 3 OR f_score >= 3"},
			{Code: "C", Name: "潜在客户", ERPCode: "C", When: "true"},
		},
		Preference:         Preference{Share: 0.5, Prefix: "偏好:"},
		DowngradeAfterRuns: 1,
		// CRLF and a BOM are what Windows ERPs and Chinese Excel read without asking.
		Language: "zh",
		Outputs:  Outputs{Categories: CategoryOutput{Preset: "generic", Encoding: "utf-8-bom", LineEnd: "crlf", Delimiter: ",", Mode: "full"}},
		Timezone: "Local",
		// Loopback only: the pages list customers' figures.
		Serve: ServeConfig{Listen: "127.0.0.1:8377", Settle: 5 * time.Second},
		// A fifth of the customers changing category in one night, or half of
		// them appearing or vanishing, is an export gone wrong far more often
		// than a market.
		Guard: Guard{MaxMoved: 0.20, MaxScoredChange: 0.50},
	}
}

// withDefaults fills in what the file leaves to items of lists (sources,
// segments, jobs), which DefaultConfig cannot hold, and writes names of
// choices in one spelling. It runs before validate, which only reports.
func (c *Config) withDefaults(segmentsGiven bool) {
	if !segmentsGiven {
		c.Segments = DefaultConfig().Segments
		if c.Scoring.Method == "pareto" {
			c.Segments = ParetoSegments()
		}
	}
	def := DefaultSource()
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Ledger == "" {
			s.Ledger = s.Name
		}
		for _, f := range []struct {
			v *string
			d string
		}{{&s.Kind, def.Kind}, {&s.Files, def.Files},
			{&s.Encoding, def.Encoding}, {&s.Delimiter, def.Delimiter}, {&s.Header, def.Header},
			{&s.Decimal, def.Decimal}, {&s.Duplicates, def.Duplicates}} {
			if *f.v == "" {
				*f.v = f.d
			}
		}
		s.Encoding = strings.ToLower(s.Encoding)
		s.Decimal = strings.ToLower(s.Decimal)
		s.Duplicates = strings.ToLower(s.Duplicates)
		s.DateFormat = strings.TrimSpace(s.DateFormat)
		if strings.EqualFold(s.DateFormat, "excel") {
			s.DateFormat = "excel"
		} else {
			s.DateFormat = strings.ToUpper(s.DateFormat)
		}
	}
	for i, s := range c.Segments {
		if s.Name == "" {
			c.Segments[i].Name = s.Code
		}
		if s.ERPCode == "" {
			c.Segments[i].ERPCode = s.Code
		}
	}
	if c.Timezone == "" {
		c.Timezone = "Local"
	}
	for i := range c.Jobs {
		j := &c.Jobs[i]
		if j.Timezone == "" {
			j.Timezone = c.Timezone
		}
		if j.Timeout == 0 {
			j.Timeout = DefaultJobTimeout
		}
		if j.Backoff == 0 {
			j.Backoff = DefaultJobBackoff
		}
	}
	o := &c.Outputs.Categories
	o.Encoding = strings.ToLower(o.Encoding)
	// The format: xlsx for the presets of an ERP's .xlsx template and with a template.
	switch o.Format = strings.ToLower(o.Format); {
	case o.Format == "" && (contains(XLSXPresets, o.Preset) || o.Template != ""):
		o.Format = "xlsx"
	case o.Format == "":
		o.Format = "csv"
	}
	if d, ok := categoryDelimiters[o.Delimiter]; ok {
		o.Delimiter = d
	}
	for i, col := range o.Columns {
		if col.Header == "" {
			o.Columns[i].Header = col.Field
		}
	}
}

// ParetoSegments are the segments of scoring method pareto when the config
// lists none: the ABC class of cumulative revenue share is the segment.
func ParetoSegments() []SegmentRule {
	return []SegmentRule{
		{Code: "A", Name: "大客户", ERPCode: "A", When: "abc_class = 'A'"},
		{Code: "B", Name: "一般客户", ERPCode: "B", When: "abc_class = 'B'"},
		{Code: "C", Name: "潜在客户", ERPCode: "C", When: "true"},
	}
}

// Defaults of each item of jobs, filled in by validate.
const (
	DefaultJobTimeout = time.Hour
	DefaultJobBackoff = time.Minute
)

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
		if t.Elem() == reflect.TypeOf(ColumnRef{}) && !contains(Fields, key) && !contains(CustomerFields, key) {
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

// sortedKeys returns the keys of m in order, so that problems come out the same each time.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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

// memoryLimit is what DuckDB's memory_limit reads: a number and a unit.
var memoryLimit = regexp.MustCompile(`(?i)^\s*[0-9]+(\.[0-9]+)?\s*(b|bytes?|k|kb|kib|kilobytes?|m|mb|mib|megabytes?|g|gb|gib|gigabytes?|t|tb|tib|terabytes?)\s*$`)

var (
	encodings  = []string{"auto", "utf-8", "utf-8-bom", "gbk", "gb18030"}
	delimiters = map[string]byte{"auto": 0, ",": ',', "comma": ',', "\t": '\t', "tab": '\t', ";": ';', "semicolon": ';', "|": '|', "pipe": '|', "whitespace": ' '}
)

// validate reports every problem of a config that withDefaults completed;
// it changes nothing.
func (c Config) validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if c.Store.Path == "" {
		add("store.path is empty; write a file path such as var/custcat.duckdb")
	}
	if strings.ContainsAny(c.Store.Path, "?%") {
		add("store.path %q holds ? or %%, which DuckDB's connection string cannot carry (x%%3Fy.duckdb would become x0.000000y.duckdb); choose a file name without them", c.Store.Path)
	}
	if m := c.Store.MemoryLimit; m != "" && !memoryLimit.MatchString(m) {
		add("store.memory_limit %q is not an amount of memory; write a number and a unit, such as 512MB or 2GB", m)
	}
	if c.Store.Threads < 0 {
		add("store.threads is %d; write 0 (all cores) or a positive number", c.Store.Threads)
	}
	if c.Language != "zh" && c.Language != "en" {
		add("language %q is unknown; write zh (中文) or en", c.Language)
	}
	if c.WindowDays < 0 {
		add("window_days is %d; write 0 (all history) or a number of days such as 365", c.WindowDays)
	}
	if c.MaxRejectRatio < 0 || c.MaxRejectRatio > 1 {
		add("max_reject_ratio is %v; write a share between 0 and 1, such as 0.01", c.MaxRejectRatio)
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		at := fmt.Sprintf("sources[%d]", i)
		if s.Name == "" {
			add("%s.name is empty; give every source a name", at)
		}
		fields := Fields
		switch s.Kind {
		case KindSales:
		case KindCustomers:
			fields = CustomerFields
		default:
			add("%s.kind %q is unknown; write sales (sales lines) or customers (the customer master export)", at, s.Kind)
		}
		for _, f := range sortedKeys(s.Columns) {
			if !contains(fields, f) {
				add("%s.columns.%s is not a field of a %s source; write one of %s", at, f, s.Kind, strings.Join(fields, ", "))
			}
		}
		if _, err := filepath.Match(s.Files, "x"); err != nil {
			add("%s.files %q is not a valid pattern; write a glob such as *.csv", at, s.Files)
		}
		if !contains(encodings, s.Encoding) {
			add("%s.encoding %q is unknown; write one of %s", at, s.Encoding, strings.Join(encodings, ", "))
		}
		if _, ok := delimiters[s.Delimiter]; !ok {
			add("%s.delimiter %q is unknown; write auto, comma, tab, semicolon, pipe or whitespace", at, s.Delimiter)
		}
		if s.Header != "auto" && s.Header != "none" {
			add("%s.header %q is unknown; write auto (find it) or none (use column positions)", at, s.Header)
		}
		if s.Header == "none" {
			for f, ref := range s.Columns {
				if ref.Position < 1 {
					add("%s.columns.%s must be a column position (1, 2, ...) when header is none", at, f)
				}
			}
			if len(s.Columns) == 0 {
				example := "{date: 2, customer_code: 1, amount: 4}"
				if s.Kind == KindCustomers {
					example = "{customer_code: 1, customer_name: 2, phone: 5}"
				}
				add("%s has header: none but no columns; write columns: %s", at, example)
			}
		}
		if r := s.MaxRejectRatio; r != nil && (*r < 0 || *r > 1) {
			add("%s.max_reject_ratio is %v; write a share between 0 and 1", at, *r)
		}
		if !contains(decimalMarks, s.Decimal) {
			add("%s.decimal %q is unknown; write auto (decided per file), point (1,234.50) or comma (1.234,50)", at, s.Decimal)
		}
		if s.DateFormat != "" && !contains(DateFormats, s.DateFormat) {
			add("%s.date_format %q is unknown; write one of %s", at, s.DateFormat, strings.Join(DateFormats, ", "))
		}
		if !contains(duplicateModes, s.Duplicates) {
			add("%s.duplicates %q is unknown; write drop (a line repeated within a document is counted once) or keep (the export has no line id, so equal lines are real lines)", at, s.Duplicates)
		}
	}
	switch c.Scoring.Method {
	case "quintile", "pareto":
		if c.Scoring.Bins < 2 || c.Scoring.Bins > 20 {
			add("scoring.bins is %d; write a number from 2 to 20 (5 gives quintiles)", c.Scoring.Bins)
		}
		if t := c.Scoring.Thresholds; len(t.RecencyDays)+len(t.Frequency)+len(t.Monetary) > 0 {
			add("scoring.thresholds is set but scoring.method is %s, which does not read it; write method: thresholds to use the cut points, or remove thresholds", c.Scoring.Method)
		}
	case "thresholds":
		t := c.Scoring.Thresholds
		for name, cuts := range map[string][]float64{"recency_days": t.RecencyDays, "frequency": t.Frequency, "monetary": t.Monetary} {
			if len(cuts) == 0 {
				add("scoring.thresholds.%s is empty; write ascending cut points such as [30, 90, 180, 365]", name)
			}
			for i := 1; i < len(cuts); i++ {
				if cuts[i] <= cuts[i-1] {
					add("scoring.thresholds.%s must ascend strictly; %v follows %v", name, cuts[i], cuts[i-1])
				}
			}
		}
	default:
		add("scoring.method %q is unknown; write quintile, thresholds or pareto", c.Scoring.Method)
	}
	if !(0 < c.Scoring.Pareto.A && c.Scoring.Pareto.A < c.Scoring.Pareto.B && c.Scoring.Pareto.B <= 1) {
		add("scoring.pareto shares a=%v, b=%v must satisfy 0 < a < b <= 1, such as a: 0.8, b: 0.95", c.Scoring.Pareto.A, c.Scoring.Pareto.B)
	}
	if len(c.Segments) == 0 {
		add("segments is empty; write at least one segment, the last with when: true")
	}
	seen := map[string]bool{}
	for i, s := range c.Segments {
		at := fmt.Sprintf("segments[%d]", i)
		if s.Code == "" {
			add("%s.code is empty; give every segment a code such as A", at)
		}
		if seen[s.Code] {
			add("%s.code %q is used twice; codes must be unique", at, s.Code)
		}
		seen[s.Code] = true
		if strings.TrimSpace(s.When) == "" {
			add("%s (%s).when is empty; write a condition such as m_score >= 4, or true", at, s.Code)
		}
	}
	if n := len(c.Segments); n > 0 && !strings.EqualFold(strings.TrimSpace(c.Segments[n-1].When), "true") {
		add("segments[%d] (%s) is the last segment, so it must match every customer; write when: true", n-1, c.Segments[n-1].Code)
	}
	for i, t := range c.Tags {
		if t.Name == "" {
			add("tags[%d].name is empty; give every tag a name", i)
		}
		if strings.TrimSpace(t.When) == "" {
			add("tags[%d] (%s).when is empty; write a condition such as recency_days > 180", i, t.Name)
		}
	}
	if g := c.Guard; g.MaxMoved < 0 || g.MaxMoved > 1 {
		add("guard.max_moved is %v; write a share between 0 and 1 of the customers, such as 0.2, or guard: off", g.MaxMoved)
	}
	if g := c.Guard; g.MaxScoredChange < 0 {
		add("guard.max_scored_change is %v; write a share such as 0.5 (half of the scored customers), or guard: off", g.MaxScoredChange)
	}
	if c.KeepRuns < 0 {
		add("keep_runs is %d; write how many of the latest runs keep their outputs under out/runs/ (such as 90), or 0 to keep all", c.KeepRuns)
	}
	if c.DowngradeAfterRuns < 1 {
		add("downgrade_after_runs is %d; write 1 (a downgrade takes effect at once) or more runs", c.DowngradeAfterRuns)
	}
	if c.Preference.Share < 0 || c.Preference.Share > 1 {
		add("preference.share is %v; write a share between 0 and 1 (0 turns the preference tag off)", c.Preference.Share)
	}
	p = append(p, c.Outputs.Categories.validate()...)
	p = append(p, c.validateJobs()...)
	p = append(p, c.validateNotify()...)
	return p
}

// validateJobs checks the schedules, the daemon and the downloaded sources.
func (c Config) validateJobs() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		add("timezone %q is unknown; write an IANA zone such as Asia/Shanghai, or Local", c.Timezone)
	}
	for i, s := range c.Sources {
		if s.URL == "" {
			continue
		}
		at := fmt.Sprintf("sources[%d] (%s).url", i, s.Name)
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("%s is not an http(s) URL; write one such as https://erp.example.com/export/sales.csv", at)
			continue
		}
		if name := FetchName(s); name == "" {
			add("%s has no file name at the end of its path; write a URL whose path ends in a name such as sales.csv", at)
		} else if ok, _ := filepath.Match(s.Files, name); !ok {
			add("%s downloads as %s, which this source's files pattern %q does not match; write files: %q", at, name, s.Files, name)
		}
	}
	seen := map[string]bool{}
	for i, j := range c.Jobs {
		at := fmt.Sprintf("jobs[%d]", i)
		if j.Name == "" {
			add("%s.name is empty; give every job a name such as nightly", at)
		} else {
			at = fmt.Sprintf("jobs[%d] (%s)", i, j.Name)
		}
		if seen[j.Name] {
			add("%s.name is used twice; job names must be unique", at)
		}
		seen[j.Name] = true
		if j.Timezone != c.Timezone {
			if _, err := time.LoadLocation(j.Timezone); err != nil {
				add("%s.timezone %q is unknown; write an IANA zone such as Asia/Shanghai, or Local", at, j.Timezone)
			}
		}
		if strings.TrimSpace(j.Schedule) == "" {
			add("%s.schedule is empty; write five cron fields such as \"0 2 * * *\" (02:00 daily), or @daily", at)
		} else if _, err := cron.ParseStandard(j.Spec()); err != nil {
			add("%s.schedule %q: %v; write five cron fields (minute hour day month weekday) such as \"0 2 * * *\", or @daily, @every 1h", at, j.Schedule, err)
		}
		if j.Timeout < 0 {
			add("%s.timeout is %v; write a duration such as 1h", at, j.Timeout)
		}
		if j.Retries < 0 {
			add("%s.retries is %d; write 0 (no retry) or a number of retries such as 2", at, j.Retries)
		}
		if j.Backoff < 0 {
			add("%s.backoff is %v; write a duration such as 1m", at, j.Backoff)
		}
		for _, name := range j.Sources {
			if !c.hasSource(name) {
				add("%s.sources names %q, which is not a source; write one of: %s", at, name, strings.Join(c.sourceNames(), ", "))
			}
		}
	}
	if c.Serve.Settle < 0 {
		add("serve.settle is %v; write a duration such as 5s", c.Serve.Settle)
	}
	if c.Serve.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.Serve.Listen); err != nil {
			add("serve.listen %q is not host:port; write 127.0.0.1:8377, or off", c.Serve.Listen)
		}
	}
	if c.Webhook != "" {
		if u, err := url.Parse(c.Webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("webhook %q is not an http(s) URL; write one such as https://hooks.example.com/custcat", c.Webhook)
		}
	}
	return p
}

// Spec is the job's cron spec with its time zone, as robfig/cron parses it.
func (j Job) Spec() string {
	s := strings.TrimSpace(j.Schedule)
	if strings.HasPrefix(s, "CRON_TZ=") || strings.HasPrefix(s, "TZ=") || j.Timezone == "" || j.Timezone == "Local" {
		return s
	}
	return "CRON_TZ=" + j.Timezone + " " + s
}

func (c Config) hasSource(name string) bool {
	for _, s := range c.Sources {
		if s.Name == name {
			return true
		}
	}
	return len(c.Sources) == 0 && name == "default"
}

func (c Config) sourceNames() []string {
	if len(c.Sources) == 0 {
		return []string{"default"}
	}
	var out []string
	for _, s := range c.Sources {
		out = append(out, s.Name)
	}
	return out
}

// FetchName is the inbox name of a source's download: the last segment of
// its URL's path.
func FetchName(s Source) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return ""
	}
	name := path.Base(u.Path)
	if name == "." || name == "/" || name == ".." || strings.HasPrefix(name, ".") {
		return ""
	}
	return name
}

var (
	categoryPresets    = append([]string{"generic", "kingdee", "yonyou", "custom"}, XLSXPresets...)
	categoryEncodings  = []string{"utf-8-bom", "utf-8", "gbk", "gb18030"}
	categoryDelimiters = map[string]string{",": ",", "comma": ",", "\t": "\t", "tab": "\t", ";": ";", "semicolon": ";", "|": "|", "pipe": "|"}
)

// validate checks the category file layout; withDefaults wrote the
// delimiter as the character itself, so that writers need not know its names.
func (o CategoryOutput) validate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	const at = "outputs.categories"
	if !contains(categoryPresets, o.Preset) {
		add("%s.preset %q is unknown; write one of %s", at, o.Preset, strings.Join(categoryPresets, ", "))
	}
	switch {
	case o.Preset == "custom" && len(o.Columns) == 0:
		add("%s.preset is custom but columns is empty; write columns: [{field: customer_code, header: 客户编码}, ...]", at)
	case o.Preset != "custom" && len(o.Columns) > 0:
		add("%s.columns is set but preset is %s; write preset: custom to use your own columns", at, o.Preset)
	}
	for i, col := range o.Columns {
		if !contains(CategoryFields, col.Field) {
			add("%s.columns[%d].field %q is unknown; write one of %s", at, i, col.Field, strings.Join(CategoryFields, ", "))
		}
	}
	if !contains(categoryEncodings, o.Encoding) {
		add("%s.encoding %q is unknown; write one of %s", at, o.Encoding, strings.Join(categoryEncodings, ", "))
	}
	if o.LineEnd != "crlf" && o.LineEnd != "lf" {
		add("%s.line_end %q is unknown; write crlf (Windows) or lf", at, o.LineEnd)
	}
	if _, ok := categoryDelimiters[o.Delimiter]; !ok {
		add("%s.delimiter %q is unknown; write comma, tab, semicolon or pipe", at, o.Delimiter)
	}
	if o.Mode != "full" && o.Mode != "delta" {
		add("%s.mode %q is unknown; write full (every customer) or delta (only changed categories and tags)", at, o.Mode)
	}
	return append(p, o.validateTemplate()...)
}

// Path resolves a path of the config against the config's folder.
func (c *Config) Path(p string) string {
	if p == "" || filepath.IsAbs(p) || c.dir == "" {
		return p
	}
	return filepath.Join(c.dir, p)
}

// SourceFor returns the first source whose files pattern matches name.
func (c *Config) SourceFor(name string) (Source, bool) {
	if len(c.Sources) == 0 {
		return DefaultSource(), true
	}
	for _, s := range c.Sources {
		if ok, _ := filepath.Match(s.Files, name); ok {
			return s, true
		}
	}
	return Source{}, false
}

// RejectRatio is the share of bad lines above which a file of s fails.
func (c *Config) RejectRatio(s Source) float64 {
	if s.MaxRejectRatio != nil {
		return *s.MaxRejectRatio
	}
	return c.MaxRejectRatio
}

// --- The category file in the ERP's own import form (.xlsx) ---

// XLSXPresets are the presets that write the import template of an ERP
// as .xlsx; reports/emit_template_presets.go holds their layouts.
var XLSXPresets = []string{"kingdee-cloud", "kingdee-kis", "jingdouyun", "yonyou-u8", "yonyou-tplus"}

// RowNumber is the source of a template column that takes the row's
// number, 1, 2, ...: the entity sequence (实体序号) of a 云星空 template.
const RowNumber = "row_number"

// TemplateSource is what goes into a template column: a field of
// CategoryFields (or RowNumber), or a constant such as the organisation.
// YAML: `FNumber: customer_code`, or `FCreateOrgId: {value: "100"}`.
type TemplateSource struct {
	Field string
	Value string
	Const bool
}

// UnmarshalYAML takes a field name, or a mapping with value (or field).
func (s *TemplateSource) UnmarshalYAML(b []byte) error {
	var field string
	if err := yaml.Unmarshal(b, &field); err == nil {
		s.Field = field
		return nil
	}
	var m map[string]string
	if err := yaml.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("write a field such as customer_code, or {value: \"text\"}")
	}
	for k, v := range m {
		switch k {
		case "value":
			s.Value, s.Const = v, true
		case "field":
			s.Field = v
		default:
			return fmt.Errorf("unknown key %q; write {value: \"text\"} or {field: customer_code}", k)
		}
	}
	if s.Const == (s.Field != "") {
		return fmt.Errorf("write either {value: \"text\"} or {field: customer_code}")
	}
	return nil
}

// IsXLSX says whether the category file is written as .xlsx.
func (o CategoryOutput) IsXLSX() bool { return o.Format == "xlsx" }

// validateTemplate checks the keys of the .xlsx form; withDefaults set the format.
func (o CategoryOutput) validateTemplate() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	const at = "outputs.categories"
	xlsxPreset := contains(XLSXPresets, o.Preset)
	switch {
	case o.Format != "csv" && o.Format != "xlsx":
		add("%s.format %q is unknown; write csv or xlsx", at, o.Format)
	case o.Format == "csv" && xlsxPreset:
		add("%s.format is csv but preset %s is the ERP's .xlsx import template; write format: xlsx, or a CSV preset (generic, custom, kingdee, yonyou)", at, o.Preset)
	case o.Format == "csv" && o.Template != "":
		add("%s.format is csv but a template is set; a template is filled as .xlsx: write format: xlsx", at)
	}
	if o.Template != "" {
		if ext := strings.ToLower(filepath.Ext(o.Template)); ext != ".xlsx" {
			add("%s.template %q is not an .xlsx file; open the template in Excel or WPS and save it as .xlsx (Excel 工作簿)", at, o.Template)
		}
		if o.Preset == "kingdee" || o.Preset == "yonyou" {
			add("%s.template is set but preset %s is a CSV layout; write preset: %s, or generic with template_columns", at, o.Preset, map[string]string{"kingdee": "kingdee-cloud", "yonyou": "yonyou-u8"}[o.Preset])
		}
		if (o.Preset == "generic" || o.Preset == "custom") && len(o.TemplateColumns) == 0 {
			add("%s.template is set but template_columns is empty; write which template column takes which field, such as template_columns: {客户编码: customer_code, 客户类别: erp_code}", at)
		}
	}
	if len(o.TemplateColumns) > 0 && o.Template == "" && !xlsxPreset {
		add("%s.template_columns is set but there is no template; write template: the .xlsx downloaded from the ERP", at)
	}
	for _, name := range slices.Sorted(maps.Keys(o.TemplateColumns)) {
		src := o.TemplateColumns[name]
		if strings.TrimSpace(name) == "" {
			add("%s.template_columns has an empty column name", at)
		}
		if !src.Const && !contains(CategoryFields, src.Field) && src.Field != RowNumber {
			add("%s.template_columns.%s: field %q is unknown; write one of %s, %s, or {value: \"text\"}", at, name, src.Field, strings.Join(CategoryFields, ", "), RowNumber)
		}
	}
	if o.TemplateDataRow < 0 {
		add("%s.template_data_row is %d; write the number of the first data row, such as 3", at, o.TemplateDataRow)
	}
	return p
}
