package pipeline

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A document is its number within its ledger: the same number in two
// ledgers is two documents, in one run and across runs, and a later file
// replaces only the document of its own ledger.
func TestDocumentsOfTwoLedgers(t *testing.T) {
	const config = `sources:
  - {name: east, ledger: 东区, files: "east*.csv"}
  - {name: west, ledger: 西区, files: "west*.csv"}
`
	cfg, problems := ParseConfig([]byte(config))
	if len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{MemoryLimit: "1GB"}, filepath.Join(t.TempDir(), "custcat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	run := func(runID int64, files map[string]string) *LoadResult {
		t.Helper()
		dir := t.TempDir()
		for name, text := range files {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			os.Chtimes(p, old, old)
		}
		now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
		inbox, _, err := ScanInbox(dir, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		var res *LoadResult
		err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
			res, err = Load(ctx, c, &cfg, runID, inbox, now, nil)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	const header = "日期,单据编号,客户编码,客户名称,金额\n"
	lines := `SELECT l.ledger, s.doc_no, s.customer_code, CAST(s.amount AS VARCHAR)
		FROM sales_lines s JOIN ledgers l USING (ledger_id) ORDER BY ALL`

	res := run(1, map[string]string{
		"east.csv": header + "2024-03-01,XS1,C1,甲,10.00\n2024-03-01,XS1,C1,甲,5.00\n",
		"west.csv": header + "2024-03-02,XS1,C2,乙,20.00\n",
	})
	if tot := res.Totals(); tot.Loaded != 3 || res.Replaced != 0 {
		t.Errorf("first run: %d loaded, %d replaced; want 3 and 0", tot.Loaded, res.Replaced)
	}
	want := "东区|XS1|C1|10.00\n东区|XS1|C1|5.00\n西区|XS1|C2|20.00"
	if got := strings.Join(queryRows(t, store.DB, lines), "\n"); got != want {
		t.Errorf("after the first run:\n%s\nwant\n%s", got, want)
	}

	res = run(2, map[string]string{"east_2.csv": header + "2024-03-01,XS1,C1,甲,12.00\n"})
	if tot := res.Totals(); tot.Loaded != 1 || res.Replaced != 2 {
		t.Errorf("second run: %d loaded, %d replaced; want 1 and 2", tot.Loaded, res.Replaced)
	}
	want = "东区|XS1|C1|12.00\n西区|XS1|C2|20.00"
	if got := strings.Join(queryRows(t, store.DB, lines), "\n"); got != want {
		t.Errorf("after the second run:\n%s\nwant\n%s", got, want)
	}
	if got := strings.Join(queryRows(t, store.DB, `SELECT ledger_id, ledger FROM ledgers ORDER BY ALL`), "\n"); got != "1|东区\n2|西区" &&
		got != "1|西区\n2|东区" {
		t.Errorf("ledgers:\n%s", got)
	}
}
