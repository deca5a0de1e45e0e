package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// moneyWords mark a header cell that holds money: a column custcat could
// take the amount from. (The aliases that map such columns are in
// ingest_header.go; these only say that one was left out.)
var moneyWords = []string{"金额", "价税", "合计", "结算", "amount", "total", "revenue", "sales value"}

// MoneyNote says where the amount of a file's lines comes from, and names
// the header cells that look like money but are mapped to no field. A
// user reads it in check and in the run summary: an amount computed from
// quantity x unit price where the export has a discounted total is wrong
// by the discount.
type MoneyNote struct {
	From     string   // "column 价税合计", or "computed: quantity (数量) x unit price (单价)"
	Computed bool     // no amount column: quantity x unit price
	Unmapped []string // header cells that look like money, mapped to no field
}

// String is the note in one line, with what to do.
func (m MoneyNote) String() string {
	s := "amount from " + m.From
	if m.Computed {
		s = "amount " + m.From + ", no amount column was found"
	}
	if len(m.Unmapped) > 0 {
		verb := "looks"
		if len(m.Unmapped) > 1 {
			verb = "look"
		}
		s += fmt.Sprintf("; %s %s like money but not mapped: if %s is the line total, map it under the source's columns: {amount: %s}",
			strings.Join(quoteAll(m.Unmapped), ", "), verb, m.Unmapped[0], m.Unmapped[0])
	}
	return s
}

// Money reads where the amount comes from in the probe of a sales export.
func (p Probe) Money() MoneyNote {
	name := func(field string) string {
		i := p.Columns[field]
		if i-1 < len(p.Header) && i > 0 {
			return p.Header[i-1]
		}
		return fmt.Sprintf("#%d", i)
	}
	var m MoneyNote
	switch {
	case p.Columns["amount"] > 0:
		m.From = "column " + name("amount")
	case p.Columns["quantity"] > 0 && p.Columns["unit_price"] > 0:
		m.From = fmt.Sprintf("computed: quantity (%s) x unit price (%s)", name("quantity"), name("unit_price"))
		m.Computed = true
	default:
		m.From = "nowhere: no amount column, and no quantity and unit price"
		m.Computed = true
	}
	mapped := map[int]bool{}
	for _, i := range p.Columns {
		mapped[i] = true
	}
	for i, h := range p.Header {
		lower := strings.ToLower(strings.TrimSpace(h))
		if mapped[i+1] || lower == "" {
			continue
		}
		for _, w := range moneyWords {
			if strings.Contains(lower, w) {
				m.Unmapped = append(m.Unmapped, strings.TrimSpace(h))
				break
			}
		}
	}
	// A total with tax is the likeliest line amount: name it first.
	sort.SliceStable(m.Unmapped, func(i, j int) bool { return totalRank(m.Unmapped[i]) < totalRank(m.Unmapped[j]) })
	return m
}

func totalRank(h string) int {
	for i, w := range []string{"价税合计", "合计", "total", "含税"} {
		if strings.Contains(strings.ToLower(h), w) {
			return i
		}
	}
	return 9
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}
