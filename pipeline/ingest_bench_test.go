package pipeline

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// BenchmarkXlsx1M loads a workbook of a million sales lines through the
// real ingest and reports lines per second and the peak resident memory.
// The workbook is written once and kept in $CUSTCAT_BENCH_DIR, else the
// system temp folder.
func BenchmarkXlsx1M(b *testing.B) {
	const n = 1_000_000
	dir := os.Getenv("CUSTCAT_BENCH_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	book := filepath.Join(dir, "custcat-bench-1m.xlsx")
	if _, err := os.Stat(book); err != nil {
		writeBenchBook(b, book, n)
	}
	inbox := b.TempDir()
	// A hard link, as the inbox takes regular files only; a copy across file systems.
	if err := os.Link(book, filepath.Join(inbox, "sales.xlsx")); err != nil {
		data, err := os.ReadFile(book)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(inbox, "sales.xlsx"), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	before := vmHWM(b)
	b.ResetTimer()
	for range b.N {
		res, store := loadInbox(b, inbox, "")
		if f := res.Files[0]; f.Status != "loaded" || f.Loaded != n {
			b.Fatalf("file = %s %q loaded %d, want %d", f.Status, f.Reason, f.Loaded, n)
		}
		store.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(max(before, vmHWM(b)))/1024, "MiB-peak-rss") // VmHWM is in KiB
}

// writeBenchBook writes n sales lines with excelize's streaming writer:
// serial-number dates, as most exports hold them.
func writeBenchBook(b *testing.B, path string, n int) {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	header := []any{"单据日期", "单据编号", "客户编码", "客户名称", "商品名称", "数量", "含税单价", "价税合计"}
	if err := sw.SetRow("A1", header); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		qty, price := 1+i%7, float64(10+i%90)+0.5
		row := []any{45292 + i%365, "XS" + strconv.Itoa(i), fmt.Sprintf("C%05d", i%20000), "客户" + strconv.Itoa(i%20000),
			"商品" + strconv.Itoa(i%500), qty, price, float64(qty) * price}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	tmp := strings.TrimSuffix(path, ".xlsx") + ".part.xlsx" // excelize saves only to .xlsx names
	if err := f.SaveAs(tmp); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
}

// vmHWM is the peak resident memory of this process so far, in KiB.
func vmHWM(b *testing.B) int64 {
	b.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// BenchmarkLoadCSV loads the export named by $CUSTCAT_BENCH_CSV (the
// files of make bench) through the real ingest into a database file, and
// reports lines per second; with -cpuprofile it shows where the reading
// goes (BENCH.md). Without the variable it is skipped.
func BenchmarkLoadCSV(b *testing.B) {
	path := os.Getenv("CUSTCAT_BENCH_CSV")
	if path == "" {
		b.Skip("set CUSTCAT_BENCH_CSV to an export")
	}
	inbox := b.TempDir()
	if err := os.Link(path, filepath.Join(inbox, filepath.Base(path))); err != nil { // a hard link: the inbox takes regular files
		b.Fatal(err)
	}
	for range b.N {
		res, store := loadInbox(b, inbox, "")
		if f := res.Files[0]; f.Status != "loaded" {
			b.Fatalf("file = %s %q", f.Status, f.Reason)
		}
		b.ReportMetric(float64(res.Files[0].Read)/b.Elapsed().Seconds(), "lines/s")
		store.Close()
	}
}
