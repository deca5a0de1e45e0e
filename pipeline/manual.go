package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ManualEntry is one line of the manual file: a tag, a pinned segment or
// both, for one customer, in force through an optional expiry date.
type ManualEntry struct {
	Line     int
	Customer string // the customer code (the name for customers without one)
	Tag      string
	Segment  string // a segment code of the config; overrides the rules
	Expires  string // YYYY-MM-DD, the last day in force; empty: no end
}

// Active says whether the entry is in force on asOf (YYYY-MM-DD).
func (e ManualEntry) Active(asOf string) bool {
	return e.Expires == "" || e.Expires >= asOf
}

// manualAliases are the column titles of the manual file, Chinese and English.
var manualAliases = map[string][]string{
	"customer": {"客户编码", "客户代码", "客户编号", "客户", "customercode", "customer", "code"},
	"tag":      {"标签", "客户标签", "tag"},
	"segment":  {"分类", "指定分类", "客户分类", "分级", "segment", "pinnedsegment"},
	"expires":  {"到期日", "有效期至", "截止日期", "expires", "expiry", "until"},
}

// ReadManual reads the manual file of cfg: a CSV (UTF-8 or GBK) with a
// header row naming the columns customer, tag, segment and expires. It
// returns the usable entries and a problem per line it could not use; an
// empty path gives nothing. Problems are warnings of the run, not errors:
// the other lines still apply.
func ReadManual(cfg *Config) ([]ManualEntry, []string, error) {
	if cfg.Manual == "" {
		return nil, nil, nil
	}
	path := cfg.Path(cfg.Manual)
	name := filepath.Base(path)
	if _, err := os.Stat(path); err != nil {
		return nil, nil, fmt.Errorf("manual file: %w; create it or remove the manual key from the config", err)
	}
	r, err := openCSV(path, Source{Encoding: "auto", Delimiter: "auto"})
	if err != nil {
		return nil, nil, fmt.Errorf("manual file %s: %w", name, err)
	}
	defer r.Close()
	var (
		entries  []ManualEntry
		problems []string
		cols     map[string]int
		seen     = map[[2]string]bool{}
	)
	codes := map[string]bool{}
	for _, s := range cfg.Segments {
		codes[s.Code] = true
	}
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("manual file %s: %w", name, err)
		}
		bad := func(format string, args ...any) {
			problems = append(problems, fmt.Sprintf("%s line %d: ", name, rec.Line)+fmt.Sprintf(format, args...))
		}
		if rec.Bad != "" {
			bad("%s", rec.Bad)
			continue
		}
		if cols == nil {
			cols = manualColumns(rec.Cells)
			if _, ok := cols["customer"]; !ok {
				return nil, nil, fmt.Errorf("manual file %s: the first line must be a header with 客户编码 (customer), 标签 (tag), 分类 (segment) and 到期日 (expires) columns", name)
			}
			continue
		}
		cell := func(f string) string {
			if i, ok := cols[f]; ok && i < len(rec.Cells) {
				return strings.TrimSpace(rec.Cells[i])
			}
			return ""
		}
		e := ManualEntry{Line: rec.Line, Customer: cell("customer"), Tag: cell("tag"), Segment: cell("segment")}
		switch {
		case e.Customer == "":
			bad("no customer code")
			continue
		case e.Tag == "" && e.Segment == "":
			bad("neither a tag nor a segment for customer %s", e.Customer)
			continue
		case e.Segment != "" && !codes[e.Segment]:
			bad("segment %q is not a segment code of the config; write one of %s", e.Segment, strings.Join(segmentCodes(cfg), ", "))
			continue
		}
		if s := cell("expires"); s != "" {
			days, err := ParseDate(s)
			if err != nil {
				bad("expiry date %q: %v", s, err)
				continue
			}
			e.Expires = DateString(days)
		}
		// A tag given twice for a customer is kept once.
		key := [2]string{e.Customer, e.Tag}
		if e.Tag != "" && seen[key] {
			if e.Segment == "" {
				continue
			}
			e.Tag = ""
		}
		seen[key] = true
		entries = append(entries, e)
	}
	return entries, problems, nil
}

func manualColumns(cells []string) map[string]int {
	cols := map[string]int{}
	for i, c := range cells {
		h := normHeader(c)
		for field, names := range manualAliases {
			for _, n := range names {
				if _, taken := cols[field]; !taken && h == normHeader(n) {
					cols[field] = i
				}
			}
		}
	}
	return cols
}

func segmentCodes(cfg *Config) []string {
	out := make([]string, len(cfg.Segments))
	for i, s := range cfg.Segments {
		out[i] = s.Code
	}
	return out
}
