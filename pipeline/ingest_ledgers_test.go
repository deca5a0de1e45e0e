package pipeline

import (
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
	const header = "日期,单据编号,客户编码,客户名称,金额\n"
	const config = `sources:
  - {name: east, ledger: 东区, files: "east*.csv"}
  - {name: west, ledger: 西区, files: "west*.csv"}
`
	res, store := loadInbox(t, inboxOf(t, map[string]string{
		"east.csv": header + "2024-03-01,XS1,C1,甲,10.00\n2024-03-01,XS1,C1,甲,5.00\n",
		"west.csv": header + "2024-03-02,XS1,C2,乙,20.00\n",
	}), config)
	lines := `SELECT l.ledger, s.doc_no, s.customer_code, CAST(s.amount AS VARCHAR)
		FROM sales_lines s JOIN ledgers l USING (ledger_id) ORDER BY ALL`
	if tot := res.Totals(); tot.Loaded != 3 || res.Replaced != 0 {
		t.Errorf("first run: %d loaded, %d replaced; want 3 and 0", tot.Loaded, res.Replaced)
	}
	want := "东区|XS1|C1|10.00\n东区|XS1|C1|5.00\n西区|XS1|C2|20.00"
	if got := strings.Join(queryRows(t, store.DB, lines), "\n"); got != want {
		t.Errorf("after the first run:\n%s\nwant\n%s", got, want)
	}

	cfg, _ := ParseConfig([]byte(config))
	res = loadInto(t, store, &cfg, 2, inboxOf(t, map[string]string{"east_2.csv": header + "2024-03-01,XS1,C1,甲,12.00\n"}))
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

// inboxOf writes files into a folder of their own, older than the inbox's
// settle time, and returns it.
func inboxOf(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	return dir
}
