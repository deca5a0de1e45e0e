package pipeline

import (
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
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
	case o.Format == "" && (slices.Contains(XLSXPresets, o.Preset) || o.Template != ""):
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
