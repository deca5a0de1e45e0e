package pipeline

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	custsql "custcat/sql"
)

// oldStore makes a database file at the schema before migration name,
// with rows put in by stmts, as an earlier custcat left it.
func oldStore(t *testing.T, before string, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	db, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE schema_migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range custsql.Migrations() {
		if m.Name == before {
			break
		}
		if _, err := db.Exec(m.SQL); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if _, err := db.Exec(`INSERT INTO schema_migrations (name) VALUES (?)`, m.Name); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

// The stored document and customer keys of a database from before
// 009_line_keys.sql become generated columns with the same values; a
// database whose stored keys are not the ones computed is not migrated.
func TestMigrationLineKeys(t *testing.T) {
	const lines = `INSERT INTO sales_lines VALUES
		(1, 2, 'default', 'XS1', 'XS1', DATE '2024-01-02', 'C1', 'C1', '甲', NULL, NULL, NULL, 1, 2.5, 2.50, NULL),
		(1, 3, 'default', '#1:3', NULL, DATE '2024-01-03', '乙', NULL, '乙', 'I1', '商品', '类', NULL, NULL, 9.99, 3600)`
	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{}, oldStore(t, "009_line_keys.sql", lines))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var got []string
	rows, err := store.DB.Query(`SELECT concat_ws('|', file_id, line_no, ledger, doc_key, doc_no, doc_date, customer_key, customer_code,
		customer_name, item_code, item_name, category, quantity, unit_price, amount, line_secs) FROM sales_lines ORDER BY line_no`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	rows.Close()
	want := []string{"1|2|default|XS1|XS1|2024-01-02|C1|C1|甲|1.0|2.5|2.50", "1|3|default|#1:3|2024-01-03|乙|乙|I1|商品|类|9.99|3600"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines after the migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	bad := `INSERT INTO sales_lines VALUES (1, 2, 'default', 'XS9', 'XS1', DATE '2024-01-02', 'C1', 'C1', '甲', NULL, NULL, NULL, 1, 2.5, 2.50, NULL)`
	_, err = OpenStore(ctx, StoreConfig{}, oldStore(t, "009_line_keys.sql", bad))
	if err == nil || !strings.Contains(err.Error(), "keys that are not its document number or customer: 1 lines") {
		t.Errorf("a stored key that differs: %v", err)
	}
}
