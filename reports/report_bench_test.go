package reports_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"custcat/pipeline"
	"custcat/reports"
)

// BenchmarkReport100k renders the report of 100,000 customers with two
// snapshots, and reports the size of the page: it must stay well under
// 3 MB, because tables are top N and charts are aggregated in SQL.
func BenchmarkReport100k(b *testing.B) {
	ctx := context.Background()
	cfg := pipeline.DefaultConfig()
	cfg.Tags = []pipeline.TagRule{{Name: "流失风险", When: "recency_days > 180"}, {Name: "高频", When: "f_score >= 4"}}
	store, err := pipeline.OpenStore(ctx, cfg.Store, filepath.Join(b.TempDir(), "bench.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	// 700,000 lines over 18 months: every customer has one line, the
	// rest fall on customers at random, with amounts skewed as sales are.
	const lines = `INSERT INTO sales_lines
SELECT 1, CAST(i AS INTEGER), 'default', 'D' || i, 'D' || i,
       DATE '2026-06-30' - CAST(hash(i + 1) % 540 AS INTEGER),
       'C' || c, 'C' || c, '客户' || c,
       'I' || (i % 50), '商品' || (i % 50), '类别' || (hash(c * 7) % 12),
       1 + i % 5, 10.0,
       CAST(10 + 20000 * pow((hash(i * 3) % 1000) / 1000.0, 3) AS DECIMAL(18,2))
FROM (SELECT i, CASE WHEN i < 100000 THEN i ELSE hash(i) % 100000 END AS c FROM range(700000) t(i))`
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, lines); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO customers (customer_key, customer_code, customer_name, in_sales)
			SELECT DISTINCT customer_key, customer_code, customer_name, true FROM sales_lines`); err != nil {
			return err
		}
		if err := pipeline.Segment(ctx, c, &cfg, "2026-03-31", 1); err != nil {
			return err
		}
		return pipeline.Segment(ctx, c, &cfg, "2026-06-30", 2)
	})
	if err != nil {
		b.Fatal(err)
	}
	opt := reports.ReportOptions{AsOf: "2026-06-30", WindowDays: cfg.WindowDays, RunID: 2}
	var html []byte
	for b.Loop() {
		if html, err = reports.Report(ctx, store.DB, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(html)), "bytes")
	if len(html) > 3<<20 {
		b.Errorf("the report of 100,000 customers is %d bytes; it must stay under 3 MB", len(html))
	}
}
