package pipeline

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestCustomerNamesAcrossRuns follows a customer's code and name through
// runs that each read only their own lines (RefreshCustomers): a later
// line renames the customer, an earlier one does not, and a document that
// comes again under another customer takes the latest line away, so that
// the name falls back to the latest line left. After every run the table
// must say what reading every line says.
func TestCustomerNamesAcrossRuns(t *testing.T) {
	ctx := context.Background()
	cfg, problems := ParseConfig([]byte("window_days: 0\n"))
	if len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	store, err := OpenStore(ctx, StoreConfig{MemoryLimit: "1GB"}, filepath.Join(t.TempDir(), "custcat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	runs := []struct {
		export string
		want   []string // customer_key|customer_name|last_sale
	}{
		{lines(badHeader,
			"2024-03-01,D1,C1,甲公司旧名,100",
			"2024-05-01,D2,C1,甲公司,100",
			"2024-04-01,D5,C2,乙公司,50"),
			[]string{"C1|甲公司|2024-05-01", "C2|乙公司|2024-04-01"}},
		{lines(badHeader,
			"2024-02-01,D3,C1,甲公司早名,100", // older than the latest line: no rename
			"2024-06-01,D4,C2,乙公司新名,70"),
			[]string{"C1|甲公司|2024-05-01", "C2|乙公司新名|2024-06-01"}},
		{lines(badHeader,
			"2024-05-01,D2,C9,丙公司,100"), // D2 leaves C1: its latest line goes
			[]string{"C1|甲公司旧名|2024-03-01", "C2|乙公司新名|2024-06-01", "C9|丙公司|2024-05-01"}},
		{lines(badHeader,
			"2024-06-01,D6,C2,乙公司同日,10"), // the same date as the latest: the later file wins
			[]string{"C1|甲公司旧名|2024-03-01", "C2|乙公司同日|2024-06-01", "C9|丙公司|2024-05-01"}},
	}
	now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
	for i, r := range runs {
		inbox := t.TempDir()
		if err := os.WriteFile(filepath.Join(inbox, "sales.csv"), []byte(r.export), 0o644); err != nil {
			t.Fatal(err)
		}
		files, _, err := ScanInbox(inbox, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
			_, err := Load(ctx, c, &cfg, int64(i+1), files, now, nil)
			return err
		})
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		got := queryRows(t, store.DB, `SELECT customer_key, customer_name, CAST(last_sale AS VARCHAR) FROM customers ORDER BY 1`)
		if diff := cmp.Diff(r.want, got); diff != "" {
			t.Errorf("run %d: customers (-want +got):\n%s", i+1, diff)
		}
		every := queryRows(t, store.DB, `
			SELECT customer_key, arg_max(customer_name, (doc_date, file_id, line_no)), CAST(max(doc_date) AS VARCHAR)
			FROM sales_lines GROUP BY 1 ORDER BY 1`)
		if diff := cmp.Diff(every, got); diff != "" {
			t.Errorf("run %d: customers against every line (-every +customers):\n%s", i+1, diff)
		}
	}
}
