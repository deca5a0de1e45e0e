package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"custcat/pipeline"
)

func explainCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("explain", stderr)
	configPath := fs.String("c", "custcat.yaml", "the config file")
	asOf := fs.String("as-of", "", "the as-of date of the snapshot, YYYY-MM-DD (default: the latest)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: custcat explain [-c custcat.yaml] [--as-of YYYY-MM-DD] CUSTOMER\n\nCUSTOMER is a customer code (or the name of a customer without one).")
		fs.PrintDefaults()
	}
	pos, code := parseFlags(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "custcat explain: give one customer code, such as: custcat explain C0001")
		return exitUsage
	}
	cfg, code := loadConfig(*configPath, stderr)
	if cfg == nil {
		return code
	}
	if code := checkRulesOf(ctx, cfg, *configPath, stderr); code >= 0 {
		return code
	}
	store, err := pipeline.OpenStore(ctx, cfg.Store, cfg.Path(cfg.Store.Path))
	if err != nil {
		return storeError(err, stderr)
	}
	defer store.Close()
	conn, err := store.DB.Conn(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: %v\n", err)
		return exitFailed
	}
	defer conn.Close()
	e, err := pipeline.Explain(ctx, conn, cfg, pos[0], *asOf)
	if err != nil {
		fmt.Fprintf(stderr, "custcat explain: %v\n", err)
		return exitFailed
	}
	printExplanation(stdout, cfg, e)
	return exitOK
}

// printExplanation writes an explanation for a person: what the customer
// did, how that scored, which rule fired and why, and how it moved.
func printExplanation(w io.Writer, cfg *pipeline.Config, e *pipeline.Explanation) {
	v := e.Values
	fmt.Fprintf(w, "customer %s %s, as of %s (run %s)\n", e.Code, e.Name, e.AsOf, v["run_id"])

	fmt.Fprintln(w, "\nfeatures")
	tw := newTable()
	for _, k := range []string{"recency_days", "frequency", "monetary", "active_months", "tenure_days",
		"avg_order_value", "returns_share", "top_category", "top_category_share", "trend_ratio"} {
		tw.row(k, orDash(fourPlaces(k, v[k])))
	}
	tw.write(w, "  ")

	fmt.Fprintln(w, "\ncut points and scores")
	tw = newTable()
	for _, m := range []struct{ metric, score string }{{"recency_days", "r_score"}, {"frequency", "f_score"}, {"monetary", "m_score"}} {
		cp := cutsOf(e, m.metric)
		note := ""
		if cp.Collapsed {
			note = " (collapsed)"
		}
		tw.row(m.metric, cp.Method+" "+formatCuts(cp.Cuts)+note, m.score+" "+orDash(v[m.score]), scoreReason(m.metric, v[m.metric], cp))
	}
	tw.write(w, "  ")
	fmt.Fprintf(w, "  abc_class %s (Pareto: A until %s of revenue, B until %s)\n", orDash(v["abc_class"]),
		pct(cfg.Scoring.Pareto.A), pct(cfg.Scoring.Pareto.B))

	fmt.Fprintln(w, "\nsegment rules, first match wins")
	tw = newTable()
	for i, r := range e.Segments {
		mark := ""
		if i == e.Fired {
			mark = "  <- fired"
		}
		tw.row(fmt.Sprintf("%d. %s %s", i+1, r.Code, r.Name), r.When, result(r)+mark)
	}
	tw.write(w, "  ")
	if e.Fired >= 0 && v["rule_index"] != strconv.Itoa(e.Fired) {
		fmt.Fprintf(w, "  note: the run that made this snapshot fired rule %s; the config's rules have changed since\n", v["rule_index"])
	}

	fmt.Fprintf(w, "\nsegment %s %s (ERP code %s) since %s", v["segment_code"], v["segment_name"], v["erp_code"], v["segment_since"])
	if p := v["prev_segment"]; p != "" {
		fmt.Fprintf(w, ", previous %s", p)
	}
	fmt.Fprintln(w)
	switch {
	case v["manual"] == "true":
		fmt.Fprintf(w, "  pinned by the manual file; the rules gave %s\n", v["rule_segment"])
	case v["rule_segment"] != "" && v["rule_segment"] != v["segment_code"]:
		fmt.Fprintf(w, "  downgrade waiting: the rules gave %s in %s of the %d consecutive runs downgrade_after_runs asks for\n",
			v["rule_segment"], v["below_runs"], cfg.DowngradeAfterRuns)
	}

	fmt.Fprintf(w, "\ntags: %s\n", orDash(strings.Join(e.Tags, ", ")))
	tw = newTable()
	for _, r := range e.TagRules {
		tw.row(r.Name, r.When, result(r))
	}
	if cfg.Preference.Share > 0 {
		share, _ := strconv.ParseFloat(v["top_category_share"], 64)
		got := v["top_category"] != "" && share >= cfg.Preference.Share
		tw.row(cfg.Preference.Prefix+orDash(v["top_category"]),
			fmt.Sprintf("top category share %s >= %s", orDash(fourPlaces("top_category_share", v["top_category_share"])), strconv.FormatFloat(cfg.Preference.Share, 'f', -1, 64)),
			strconv.FormatBool(got))
	}
	for _, m := range e.Manual {
		state := "in force"
		if !m.Active(e.AsOf) {
			state = "expired"
		}
		what := "tag " + m.Tag
		if m.Segment != "" {
			what = "segment " + m.Segment
			if m.Tag != "" {
				what += ", tag " + m.Tag
			}
		}
		until := ""
		if m.Expires != "" {
			until = " until " + m.Expires
		}
		tw.row(fmt.Sprintf("manual line %d", m.Line), what+until, state)
	}
	tw.write(w, "  ")

	fmt.Fprintln(w, "\nhistory")
	tw = newTable()
	tw.row("as of", "segment", "rules gave", "since", "trigger", "note")
	for _, h := range e.History {
		note := ""
		switch {
		case h.Manual:
			note = "pinned"
		case h.BelowRuns > 0:
			note = fmt.Sprintf("downgrade waiting (%d)", h.BelowRuns)
		case h.Prev != "" && h.Prev != h.Segment:
			note = "from " + h.Prev
		}
		tw.row(h.AsOf, h.Segment, h.RuleSegment, h.Since, h.Trigger, note)
	}
	tw.write(w, "  ")
}

func cutsOf(e *pipeline.Explanation, metric string) pipeline.CutPoints {
	for _, c := range e.Cuts {
		if c.Metric == metric {
			return c
		}
	}
	return pipeline.CutPoints{Metric: metric}
}

// scoreReason says how a score came from its value and cut points: quintile
// cuts count when the value is strictly above them, thresholds when it is
// at least the cut.
func scoreReason(metric, value string, cp pipeline.CutPoints) string {
	x, err := strconv.ParseFloat(value, 64)
	if err != nil {
		return "not scored: no positive document in the window"
	}
	n := 0
	for _, c := range cp.Cuts {
		if x > c || (cp.Method == "thresholds" && x == c) {
			n++
		}
	}
	rel := "above"
	if cp.Method == "thresholds" {
		rel = "at or above"
	}
	if metric == "recency_days" {
		return fmt.Sprintf("= %d - %d: %s is %s %d of %d cut points", len(cp.Cuts)+1, n, value, rel, n, len(cp.Cuts))
	}
	return fmt.Sprintf("= 1 + %d: %s is %s %d of %d cut points", n, value, rel, n, len(cp.Cuts))
}

func formatCuts(cuts []float64) string {
	s := make([]string, len(cuts))
	for i, c := range cuts {
		s[i] = strconv.FormatFloat(c, 'f', -1, 64)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func result(r pipeline.RuleResult) string {
	switch {
	case !r.Tried:
		return "not tried"
	case !r.Result.Valid:
		return "null (an empty value: not a match)"
	default:
		return strconv.FormatBool(r.Result.Bool)
	}
}

// fourPlaces writes shares and ratios as categories.csv does, with four decimals.
func fourPlaces(key, v string) string {
	if !strings.HasSuffix(key, "_share") && !strings.HasSuffix(key, "_ratio") {
		return v
	}
	if x, err := strconv.ParseFloat(v, 64); err == nil {
		return strconv.FormatFloat(x, 'f', 4, 64)
	}
	return v
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pct(x float64) string { return strconv.FormatFloat(x*100, 'f', -1, 64) + "%" }
