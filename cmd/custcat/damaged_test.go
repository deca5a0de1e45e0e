package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bytes overwritten in a block of the database that a nightly run does
// not read (item names of old lines) are found: by custcat check,
// which reads every block, and by the run that compacts (every seventh),
// which fails, changes nothing and says what to do. DuckDB checks a
// block's checksum as it reads the block.
func TestDamagedBlockNoticed(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 100,000 lines and runs seven times")
	}
	var b strings.Builder
	b.WriteString("日期,单据编号,客户编码,客户名称,商品名称,价税合计\n")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&b, "2024-%02d-%02d,XS%07d,C%d,客户%d,商品%x,%d.00\n", 1+i%12, 1+i%28, i, i%3000, i%3000, uint64(i)*0x9e3779b97f4a7c15, 1+i%999)
	}
	dir := inboxCase(t, "store: {threads: 2}\n", map[string]string{"a.csv": b.String()})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	dbPath := filepath.Join(dir, "var", "custcat.duckdb")
	// A block that holds item names of sales_lines and nothing else.
	var block int64
	db := openDB(t, dbPath)
	if err := db.QueryRow(`
		WITH s AS (SELECT column_name, block_id FROM pragma_storage_info('sales_lines') WHERE persistent AND block_id >= 0)
		SELECT block_id FROM s GROUP BY block_id
		HAVING bool_and(column_name = 'item_name') ORDER BY block_id LIMIT 1`).Scan(&block); err != nil {
		t.Fatalf("no block of item names alone: %v", err)
	}
	db.Close()
	f, err := os.OpenFile(dbPath, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 64)
	rand.Read(junk)
	// Three 4 KiB headers, then blocks of 256 KiB, each after its 8-byte checksum.
	if _, err := f.WriteAt(junk, 3*4096+block*256*1024+8+1000); err != nil {
		t.Fatal(err)
	}
	f.Close()

	code, out, errOut := custcat(t, "check", "-c", cfg)
	if code != exitFailed || !strings.Contains(out, "the database file is damaged: table sales_lines") || !strings.Contains(out, "restore the database file") {
		t.Errorf("check: exit %d\n%s%s", code, out, errOut)
	}
	for run := 2; run <= 7; run++ {
		code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
		if run < 7 {
			if code != exitOK {
				t.Fatalf("run %d: exit %d\n%s%s", run, code, out, errOut)
			}
			continue
		}
		if code != exitFailed || !strings.Contains(errOut, "the database file is damaged: table sales_lines") ||
			!strings.Contains(errOut, "copy the exports from archive/ back into the inbox") {
			t.Errorf("run 7: exit %d\n%s%s", code, out, errOut)
		}
	}
}
