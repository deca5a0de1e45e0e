package main

import (
	"os"
	"path/filepath"
	"testing"
)

// The ten-segment RFM map of data/examples runs on the real rfm data set,
// and every customer lands in the first segment whose rule holds, checked
// here against the same rules written in Go.
func TestRFMSegmentsExample(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "inbox"), 0o755)
	cfg, err := os.ReadFile(filepath.Join("..", "..", "data", "examples", "rfm-segments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "custcat.yaml"), append(cfg, []byte("sources: [{name: rfm}]\n")...), 0o644)
	orders, err := os.ReadFile(filepath.Join("..", "..", "data", "public", "rfm", "rfm_data_orders.csv"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "inbox", "orders.csv"), orders, 0o644)
	if code, out, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2006-12-31"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	type scores struct{ r, f, m, freq int } // r, f, m are 0 when NULL: no score rule holds then
	rules := []struct {
		code string
		when func(s scores) bool
	}{
		{"CHAMP", func(s scores) bool { return s.r > 0 && s.r >= 4 && s.f >= 4 && s.m >= 4 }},
		{"LOYAL", func(s scores) bool { return s.r > 0 && s.r >= 3 && s.f >= 4 }},
		{"POTENT", func(s scores) bool { return s.r > 0 && s.r >= 4 && s.f >= 2 && s.f <= 3 }},
		{"NEW", func(s scores) bool { return s.r > 0 && s.r >= 4 && s.f == 1 }},
		{"PROMISE", func(s scores) bool { return s.r > 0 && s.r == 3 && s.f == 1 }},
		{"ATTN", func(s scores) bool { return s.r > 0 && s.r == 3 && s.f >= 2 && s.f <= 3 }},
		{"CANTLOSE", func(s scores) bool { return s.r > 0 && s.r == 1 && s.f >= 4 && s.m >= 4 }},
		{"RISK", func(s scores) bool { return s.r > 0 && s.r <= 2 && s.f >= 3 }},
		{"SLEEP", func(s scores) bool { return s.r > 0 && s.r == 2 && s.f <= 2 }},
		{"NONE", func(s scores) bool { return s.freq == 0 }},
		{"LOST", func(s scores) bool { return true }},
	}
	db := openDB(t, filepath.Join(dir, "var", "custcat.duckdb"))
	rows, err := db.Query(`SELECT customer_key, coalesce(r_score, 0), coalesce(f_score, 0), coalesce(m_score, 0), frequency, segment_code, rule_index FROM snapshots`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	used := map[string]int{}
	n := 0
	for rows.Next() {
		var key, seg string
		var s scores
		var idx int
		if err := rows.Scan(&key, &s.r, &s.f, &s.m, &s.freq, &seg, &idx); err != nil {
			t.Fatal(err)
		}
		for i, r := range rules {
			if r.when(s) {
				if seg != r.code || idx != i {
					t.Errorf("customer %s %+v: segment %s (rule %d), want %s (rule %d)", key, s, seg, idx, r.code, i)
				}
				break
			}
		}
		used[seg]++
		n++
	}
	if n != 995 {
		t.Errorf("%d customers, want 995", n)
	}
	if len(used) < 8 {
		t.Errorf("only %d segments in use on 995 customers: %v", len(used), used)
	}
	t.Logf("segments: %v", used)
}
