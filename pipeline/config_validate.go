package pipeline

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Checking a config that withDefaults completed: every problem at once,
// each with what to write instead.

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
		for _, f := range slices.Sorted(maps.Keys(s.Columns)) {
			if !slices.Contains(fields, f) {
				add("%s.columns.%s is not a field of a %s source; write one of %s", at, f, s.Kind, strings.Join(fields, ", "))
			}
		}
		if _, err := filepath.Match(s.Files, "x"); err != nil {
			add("%s.files %q is not a valid pattern; write a glob such as *.csv", at, s.Files)
		}
		if !slices.Contains(encodings, s.Encoding) {
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
		if !slices.Contains(decimalMarks, s.Decimal) {
			add("%s.decimal %q is unknown; write auto (decided per file), point (1,234.50) or comma (1.234,50)", at, s.Decimal)
		}
		if s.DateFormat != "" && !slices.Contains(DateFormats, s.DateFormat) {
			add("%s.date_format %q is unknown; write one of %s", at, s.DateFormat, strings.Join(DateFormats, ", "))
		}
		if !slices.Contains(duplicateModes, s.Duplicates) {
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
	if !slices.Contains(categoryPresets, o.Preset) {
		add("%s.preset %q is unknown; write one of %s", at, o.Preset, strings.Join(categoryPresets, ", "))
	}
	switch {
	case o.Preset == "custom" && len(o.Columns) == 0:
		add("%s.preset is custom but columns is empty; write columns: [{field: customer_code, header: 客户编码}, ...]", at)
	case o.Preset != "custom" && len(o.Columns) > 0:
		add("%s.columns is set but preset is %s; write preset: custom to use your own columns", at, o.Preset)
	}
	for i, col := range o.Columns {
		if !slices.Contains(CategoryFields, col.Field) {
			add("%s.columns[%d].field %q is unknown; write one of %s", at, i, col.Field, strings.Join(CategoryFields, ", "))
		}
	}
	if !slices.Contains(categoryEncodings, o.Encoding) {
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
