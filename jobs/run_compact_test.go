package jobs

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"custcat/pipeline"
)

// TestCompactEverySeventhRun: a run's new lines go into row groups of their
// own, which costs nothing at commit, and every seventh run merges the
// small row groups again (pipeline.CompactEvery).
func TestCompactEverySeventhRun(t *testing.T) {
	cfg := segmentCase(t, "", nil, nil)
	var groups []int
	for run := 1; run <= pipeline.CompactEvery; run++ {
		var b strings.Builder
		b.WriteString("单据日期,单据编号,客户编码,客户名称,价税合计\n")
		for i := range 50 {
			fmt.Fprintf(&b, "2026-03-%02d,XS%d%03d,C%03d,客户%d,%d\n", run, run, i, i%7, i%7, 100+i)
		}
		addInbox(t, cfg, map[string]string{fmt.Sprintf("day%d.csv", run): b.String()})
		res := mustRun(t, cfg, fmt.Sprintf("2026-03-%02d", run))
		if res.RunID != int64(run) {
			t.Fatalf("run id %d, want %d", res.RunID, run)
		}
		groups = append(groups, rowGroups(t, cfg))
	}
	want := []int{1, 2, 3, 4, 5, 6, 1}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Errorf("row groups of sales_lines after each run: %v, want %v", groups, want)
	}
}

func rowGroups(t *testing.T, cfg *pipeline.Config) int {
	t.Helper()
	db, err := sql.Open("duckdb", cfg.Path(cfg.Store.Path)+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('sales_lines')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
