package pipeline

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// featureExport writes an export of docs documents of 300 customers over two
// years and a week past the as-of date 2024-12-31: documents of one to four
// lines, returns (a whole document negative) and refunds within a document,
// amounts in steps of 10.00 so that categories tie, and lines without a
// category.
func featureExport(docs int) string {
	r := rand.New(rand.NewPCG(15, 4))
	cats := []string{"办公用品", "劳保用品", "电工电料", "五金工具", "清洁用品", ""}
	var b strings.Builder
	b.WriteString("日期,单据编号,客户编码,客户名称,商品类别,价税合计\n")
	for d := range docs {
		cust := r.IntN(300)
		day := r.IntN(738)
		ret := r.IntN(12) == 0
		for range 1 + r.IntN(4) {
			amount := 10 * (1 + r.IntN(20))
			if ret || r.IntN(15) == 0 {
				amount = -amount
			}
			fmt.Fprintf(&b, "%s,D%06d,KH%04d,客户%d,%s,%d.00\n", time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day).Format("2006-01-02"), d, cust, cust, cats[r.IntN(len(cats))], amount)
		}
	}
	return b.String()
}

// featureRows computes the features in parts parts and returns every row
// of the features table as text, in key order.
func featureRows(t *testing.T, ctx context.Context, c *sql.Conn, window, parts int) []string {
	t.Helper()
	if err := fillFeatures(ctx, c, "2024-12-31", window, parts); err != nil {
		t.Fatalf("features in %d parts: %v", parts, err)
	}
	// Every column, a NULL told from an empty text.
	return queryRows(t, c, "SELECT coalesce(CAST(columns(*) AS VARCHAR), 'NULL') FROM features ORDER BY customer_key")
}

// The features of customers split into parts (as a run does when the lines
// are many for the memory limit) are those of one statement over all of
// them, to the last column: every customer in exactly one part, a
// customer of the master without sales among them, with a window and with
// all history.
func TestFeaturesInPartsAsInOne(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sales.csv"), []byte(featureExport(6000)))
	_, store := loadInbox(t, dir, "")
	ctx := context.Background()
	c, err := store.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "INSERT INTO customers (customer_key, customer_code, customer_name, in_master) VALUES ('M0001', 'M0001', '只在主数据', true)"); err != nil {
		t.Fatal(err)
	}
	for _, window := range []int{365, 0} {
		want := featureRows(t, ctx, c, window, 1)
		if len(want) != 301 {
			t.Fatalf("window %d: %d customers in one part, want the 300 with lines and the master's one", window, len(want))
		}
		for _, parts := range []int{2, 7} {
			got := featureRows(t, ctx, c, window, parts)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("window %d: features in %d parts differ from one part (-one +parts):\n%s", window, parts, diff)
			}
			var used int
			if err := c.QueryRowContext(ctx, "SELECT count(DISTINCT hash(customer_key) % $1::UBIGINT) FROM features", parts).Scan(&used); err != nil {
				t.Fatal(err)
			}
			if used != parts {
				t.Errorf("window %d: the customers fall in %d of %d parts", window, used, parts)
			}
		}
	}
	// The export has what the features tell apart: returns, customers
	// without a positive document in the window, category ties.
	var returned, unscored int
	if err := c.QueryRowContext(ctx, "SELECT count(*) FILTER (WHERE returns_share > 0), count(*) FILTER (WHERE frequency = 0) FROM features").Scan(&returned, &unscored); err != nil {
		t.Fatal(err)
	}
	if returned == 0 || unscored == 0 {
		t.Errorf("the export has %d customers with returns and %d without an order: it tests too little", returned, unscored)
	}
}

// The parts follow the lines and DuckDB's memory_limit as it shows it:
// memory_limit / featureBytesPerLine lines a part at most, one part when
// the limit cannot be read.
func TestFeatureParts(t *testing.T) {
	for _, c := range []struct {
		lines int64
		limit string
		want  int
	}{
		{0, "488.2 MiB", 1},
		{10_000_000, "488.2 MiB", 1}, // 10M lines with the default 512MB
		{99_923_701, "488.2 MiB", 7}, // the benchmark's 100M lines
		{99_923_701, "953.6 MiB", 4}, // with 1GB
		{10_000_000, "61.0 MiB", 6},  // 64MB
		{10_000_000, "18.8 GiB", 1},  // DuckDB's default, 80 % of the memory
		{1_000_000, "976.5 KiB", 33}, // 1000000b
		{1_000_000, "2 MB", 16},      // units of 1000
		{1_000_000, "512 bytes", 62500},
		{10_000_000, "unlimited", 1},
		{10_000_000, "", 1},
	} {
		if got := featureParts(c.lines, c.limit); got != c.want {
			t.Errorf("featureParts(%d, %q) = %d, want %d", c.lines, c.limit, got, c.want)
		}
	}
}
