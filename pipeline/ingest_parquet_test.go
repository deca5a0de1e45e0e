package pipeline

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
)

func TestParquetLoadsLikeCSV(t *testing.T) {
	dir := t.TempDir()
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	// Typed columns as a data warehouse writes them, with a text quantity
	// column that holds one bad value.
	_, err = db.Exec(`COPY (SELECT * FROM (VALUES
		(DATE '2024-10-07', 'XS001', 'C001', '甲公司', '螺丝', '10', 2.5::DECIMAL(10,2), 25.00::DECIMAL(12,2)),
		(DATE '2024-10-08', 'XS002', 'C002', '乙公司', '螺母', '5', 1200, 6000),
		(DATE '2024-10-09', 'XS003', 'C001', '甲公司', '垫片', '3', 1.5, NULL),
		(NULL, NULL, NULL, NULL, '弹簧', '2', 1, 2),
		(DATE '2024-10-10', 'XS004', 'C003', '丙公司', '垫圈', 'abc', 1, 1),
		(DATE '2024-10-10', 'XS005', 'C003', '丙公司', '垫圈', '1', 1, 1),
		(NULL, '合计', NULL, NULL, NULL, NULL, NULL, 6034.5)
	) t(单据日期, 单据编号, 客户编码, 客户名称, 商品名称, 数量, 含税单价, 价税合计)) TO '` + filepath.Join(dir, "sales.parquet") + `' (FORMAT parquet)`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	res, store := loadInbox(t, dir, "max_reject_ratio: 0.5\n")
	got := res.Files[0]
	if got.Status != "loaded" || got.Format != "parquet header@1" || got.Read != 7 || got.Loaded != 5 || got.Rejected != 1 || got.Summary != 1 {
		t.Fatalf("file = %s %q %s read %d loaded %d rejected %d summary %d", got.Status, got.Reason, got.Format, got.Read, got.Loaded, got.Rejected, got.Summary)
	}
	lines := queryRows(t, store.DB, `SELECT line_no, doc_no, doc_date::VARCHAR, customer_code, item_name, quantity::VARCHAR,
		unit_price::VARCHAR, amount::VARCHAR FROM sales_lines ORDER BY line_no`)
	want := []string{
		"2|XS001|2024-10-07|C001|螺丝|10.0|2.5|25.00",
		"3|XS002|2024-10-08|C002|螺母|5.0|1200.0|6000.00",
		"4|XS003|2024-10-09|C001|垫片|3.0|1.5|4.50",
		"5|XS003|2024-10-09|C001|弹簧|2.0|1.0|2.00",
		"7|XS005|2024-10-10|C003|垫圈|1.0|1.0|1.00",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("sales_lines (-want +got):\n%s", diff)
	}
	rejects := queryRows(t, store.DB, `SELECT line_no, raw, reason LIKE '%not a number: "abc"%' FROM rejects`)
	wantRejects := []string{"6|2024-10-10\tXS004\tC003\t丙公司\t垫圈\tabc\t1.00\t1.00|true"}
	if diff := cmp.Diff(wantRejects, rejects); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}
