package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// exportKinds are the file names FuzzReadExport gives its input: the
// format follows the name, as in the inbox.
var exportKinds = []string{"sales.csv", "sales.tsv", "sales.csv.gz", "sales.xlsx"}

// FuzzReadExport loads any bytes as an export, end to end: format,
// encoding, delimiter and header detection, parsing, staging and merging
// into a real (in-memory) store, rolled back after each input. A bad
// export may fail its file, never the run, and its lines add up: read =
// loaded + rejected + duplicate + summary + held, as the database has it.
func FuzzReadExport(f *testing.F) {
	header := "日期,单据编号,客户编码,客户名称,商品类别,价税合计\n"
	for _, s := range []string{
		header + "2024-03-01,S1,C1,甲,饮料,100\n,,,,零食,20\n2024-03-02,S2,C2,乙,饮料,(5.00)\n合计,,,,,115\n",
		"销售出库单\r\n" + header + "2024-03-01,S1,C1,甲,饮料,100\r\n2024-03-01,S1,C1,甲,饮料,100\r\n",
		"单据日期\t单据编号\t客户编码\t价税合计\n2024/3/1\tS1\tC1\t1,234.50\n20240302\tS2\tC2\t￥12\n",
		"InvoiceNo;InvoiceDate;CustomerID;Quantity;UnitPrice\n1;2024-01-01 08:00;5;2;3.5\nC2;2024-01-02;5;-1;3.5\n",
		header + "2024-03-01,S1,C1,\"甲\n公司\",饮料,100\n2024-03-02,S2,C2,\"乙,饮料,50\n",
		"\ufeff" + header + "0000-01-01,S1,C1,甲,饮料,1e30\n2024-03-01,S2,C2,\ufeff乙,饮料,1\n",
		gbk(header + "2024-03-01,S1,C1,甲,饮料,100\n"),
		"",
	} {
		for k := range exportKinds[:3] {
			f.Add(uint8(k), []byte(s))
		}
	}
	if b, err := os.ReadFile("../data/demo/exports/销售出库单_2024上半年.csv"); err == nil {
		f.Add(uint8(0), b[:min(len(b), 4096)])
	}
	x := excelize.NewFile()
	for i, row := range [][]any{{"销售出库单"}, {"日期", "单据编号", "客户编码", "价税合计"}, {"2024-03-01", "S1", "C1", 100.5}, {45352, "S2", "C2", "12"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		x.SetSheetRow("Sheet1", cell, &row)
	}
	if buf, err := x.WriteToBuffer(); err == nil {
		f.Add(uint8(3), buf.Bytes())
	}

	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{Threads: 1, MemoryLimit: "256MB"}, ":memory:")
	if err != nil {
		f.Fatal(err)
	}
	defer store.Close()
	cfg, problems := ParseConfig([]byte("max_reject_ratio: 0.5\n"))
	if len(problems) > 0 {
		f.Fatal(problems)
	}

	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		name := exportKinds[int(kind)%len(exportKinds)]
		if filepath.Ext(name) == ".gz" {
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			zw.Write(data)
			zw.Close()
			data = b.Bytes()
		}
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		in := []InboxFile{{Path: path, Name: name, Size: st.Size(), ModTime: st.ModTime()}}
		var res *LoadResult
		var lines, rejects int64
		err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
			var err error
			if res, err = Load(ctx, c, &cfg, 1, in, time.Now(), nil); err != nil {
				return err
			}
			if err := c.QueryRowContext(ctx, `SELECT count(*) FROM sales_lines`).Scan(&lines); err != nil {
				return err
			}
			if err := c.QueryRowContext(ctx, `SELECT count(*) FROM rejects`).Scan(&rejects); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("the run failed on a bad %s: %v", name, err)
		}
		if len(res.Files) != 1 {
			t.Fatalf("%d file results for one file", len(res.Files))
		}
		fr := res.Files[0]
		if fr.Read != fr.Loaded+fr.Rejected+fr.Duplicate+fr.Summary+fr.Held {
			t.Fatalf("%s: read %d != loaded %d + rejected %d + duplicate %d + summary %d + held %d",
				fr.Status, fr.Read, fr.Loaded, fr.Rejected, fr.Duplicate, fr.Summary, fr.Held)
		}
		for _, n := range []int64{fr.Loaded, fr.Rejected, fr.Duplicate, fr.Summary, fr.Held} {
			if n < 0 {
				t.Fatalf("a negative count: %+v", fr)
			}
		}
		switch fr.Status {
		case "loaded":
			if fr.Held != 0 {
				t.Fatalf("a loaded file holds back %d lines", fr.Held)
			}
		case "failed":
			if fr.Reason == "" || fr.Loaded != 0 {
				t.Fatalf("failed with reason %q and %d lines loaded", fr.Reason, fr.Loaded)
			}
		default:
			t.Fatalf("status %q", fr.Status)
		}
		if lines != fr.Loaded || rejects != fr.Rejected {
			t.Fatalf("the store holds %d lines and %d rejects; the result says %d and %d", lines, rejects, fr.Loaded, fr.Rejected)
		}
	})
}
