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
		customer_name, item_code, item_name, category, quantity, unit_price, amount, line_secs) FROM sales_lines JOIN ledgers USING (ledger_id) ORDER BY line_no`)
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

// After 010_line_storage.sql sales_lines keeps its lines, each with the
// name of its ledger through ledger_id, and every text column is stored
// with the method it names, in the rows it had and in rows stored after
// the database is opened again. The lines are such that DuckDB left to
// choose would choose otherwise: one document number on every line, every
// name and item of its own.
func TestMigrationLineStorage(t *testing.T) {
	const lines = `INSERT INTO sales_lines (file_id, line_no, ledger, doc_no, doc_date, customer_code, customer_name,
		item_code, item_name, category, quantity, unit_price, amount, line_secs)
		SELECT 1, i, CASE WHEN i % 3 = 0 THEN '金蝶' ELSE 'default' END, 'XS', DATE '2024-01-01' + CAST(i % 300 AS INTEGER), 'C' || i, '客户' || i,
		       'I' || i, '商品' || md5(i::VARCHAR), '类' || i, i % 7, 2.5, (i % 1000) / 4, NULL
		FROM range(1, 5001) r(i)`
	ctx := context.Background()
	path := oldStore(t, "010_line_storage.sql", lines)
	const digest = `SELECT count(*), sum(hash(file_id, line_no, ledger, doc_key, doc_no, doc_date, customer_key, customer_code,
		customer_name, item_code, item_name, category, quantity, unit_price, amount, line_secs))::VARCHAR FROM `
	const before, after = "sales_lines", "sales_lines JOIN ledgers USING (ledger_id)"
	var n0 int
	var h0 string
	old, err := sql.Open("duckdb", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := old.QueryRow(digest+before).Scan(&n0, &h0); err != nil {
		t.Fatal(err)
	}

	named := map[string]string{"doc_no": "FSST", "customer_code": "Dictionary", "customer_name": "Dictionary",
		"item_code": "Dictionary", "item_name": "Dictionary", "category": "Dictionary"}
	// stored tells, for each text column stored otherwise than named, how.
	stored := func(db *sql.DB) []string {
		t.Helper()
		if _, err := db.Exec(`CHECKPOINT`); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(`SELECT column_name, string_agg(DISTINCT compression, ',' ORDER BY compression)
			FROM pragma_storage_info('sales_lines') WHERE segment_type = 'VARCHAR' GROUP BY column_name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var other []string
		seen := 0
		for rows.Next() {
			var col, got string
			if err := rows.Scan(&col, &got); err != nil {
				t.Fatal(err)
			}
			if col == "ledger" { // text before the migration, a number after
				continue
			}
			if got != named[col] {
				other = append(other, col+" with "+got+", not "+named[col])
			}
			seen++
		}
		if seen != len(named) {
			t.Fatalf("%d text columns stored, want %d", seen, len(named))
		}
		return other
	}
	if len(stored(old)) == 0 {
		t.Fatal("DuckDB left to choose stores the lines as named: they cannot show the migration")
	}
	old.Close()
	check := func(when string, db *sql.DB) {
		t.Helper()
		if other := stored(db); len(other) > 0 {
			t.Errorf("%s: %s", when, strings.Join(other, "; "))
		}
	}

	store, err := OpenStore(ctx, StoreConfig{}, path)
	if err != nil {
		t.Fatal(err)
	}
	var n1 int
	var h1 string
	if err := store.DB.QueryRow(digest+after).Scan(&n1, &h1); err != nil {
		t.Fatal(err)
	}
	if n1 != n0 || h1 != h0 {
		t.Errorf("after the migration %d lines of digest %s, before %d of %s", n1, h1, n0, h0)
	}
	check("migrated", store.DB)
	store.Close()

	store, err = OpenStore(ctx, StoreConfig{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	more := strings.NewReplacer("SELECT 1, i,", "SELECT 2, i,", "ledger,", "ledger_id,", "'金蝶' ELSE 'default'", "1 ELSE 2").Replace(lines)
	if _, err := store.DB.Exec(more); err != nil {
		t.Fatal(err)
	}
	check("stored after a reopen", store.DB)
}

// 011_no_run_zero.sql removes the category file rows an empty run recorded
// under run 0, so that the check at open does not take them for the
// leftovers of a killed commit; the rows of real runs stay.
func TestMigrationNoRunZero(t *testing.T) {
	ctx := context.Background()
	path := oldStore(t, "011_no_run_zero.sql",
		`INSERT INTO runs (run_id, job, trigger, as_of, window_days, started_at, status) VALUES
			(1, 'manual', 'manual', DATE '2024-12-31', 365, TIMESTAMP '2024-12-31 02:00:00', 'held'),
			(2, 'manual', 'manual', DATE '2024-12-31', 365, TIMESTAMP '2025-01-01 02:00:00', 'ok')`,
		`INSERT INTO category_exports VALUES (0, DATE '2024-12-31', 'generic', 'full', 'utf-8-bom', 0, 'e3b0'),
			(2, DATE '2024-12-31', 'generic', 'full', 'utf-8-bom', 5, 'a1b2')`,
		`INSERT INTO category_placed VALUES (0, DATE '2024-12-31', 0), (2, DATE '2024-12-31', 5)`)
	store, err := OpenStore(ctx, StoreConfig{}, path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if torn := store.Torn(); len(torn) > 0 {
		t.Errorf("the check at open found %v", torn)
	}
	for _, table := range []string{"category_exports", "category_placed"} {
		var runs string
		if err := store.DB.QueryRow(`SELECT string_agg(run_id::VARCHAR, ',' ORDER BY run_id) FROM ` + table).Scan(&runs); err != nil {
			t.Fatal(err)
		}
		if runs != "2" {
			t.Errorf("%s after the migration: runs %s, want 2", table, runs)
		}
	}
}
