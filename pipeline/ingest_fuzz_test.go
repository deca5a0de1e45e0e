package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	f.Add(uint8(0), edgeExport())
	f.Add(uint8(0), []byte(lines(badHeader, goodLine("R1"), `2024-03-02,R2,C2,"甲公司,100`, goodLine("R3"), `2024-03-05,R5,C5,戊公司,"1,234.50"`)))
	f.Add(uint8(0), []byte(strings.Repeat(`2024-03-01,D1,C1,b"c,"11`+"\n", 200)))
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
		in := []InboxFile{{Path: path, Name: name, Size: int64(len(data)), ModTime: time.Now()}}
		// One worker with blocks of the default size, then four with tiny
		// blocks: the same outcome. Each in bounded time: reading is
		// linear in the input for any bytes.
		var first *fuzzOutcome
		for _, tune := range []tuning{{workers: 1}, {workers: 4, blockBytes: 1 + len(data)%23}} {
			setTuning(t, tune)
			start := time.Now()
			got := fuzzLoad(t, ctx, store, &cfg, in, name)
			if d := time.Since(start); d > fuzzTimeBound {
				t.Fatalf("%d bytes took %v to load (%+v), more than %v", len(data), d, tune, fuzzTimeBound)
			}
			if first == nil {
				first = got
				continue
			}
			if diff := cmp.Diff(first, got, cmp.AllowUnexported(fuzzOutcome{})); diff != "" {
				t.Fatalf("one worker and four give different outcomes (-1 +4):\n%s", diff)
			}
		}
	})
}

// fuzzTimeBound is how long FuzzReadExport lets one input take to load:
// generous for a busy machine, far below what a superlinear reader takes
// on the inputs that made it so.
const fuzzTimeBound = 20 * time.Second

// fuzzOutcome is what FuzzReadExport compares between two reads.
type fuzzOutcome struct {
	File    FileResult
	Lines   []string
	Rejects []string
}

// fuzzLoad loads one export into the store, checks that its counts add
// up, and rolls back.
func fuzzLoad(t *testing.T, ctx context.Context, store *Store, cfg *Config, in []InboxFile, name string) *fuzzOutcome {
	t.Helper()
	var res *LoadResult
	out := &fuzzOutcome{}
	err := store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		var err error
		if res, err = Load(ctx, c, cfg, 1, in, time.Now(), nil); err != nil {
			return err
		}
		for _, q := range []struct {
			dst *[]string
			sql string
		}{
			// (doc_key names the file id, which the sequence gives anew each time.)
			{&out.Lines, `SELECT COLUMNS(*)::VARCHAR FROM (SELECT * EXCLUDE (file_id, doc_key) FROM sales_lines ORDER BY line_no)`},
			{&out.Rejects, `SELECT COLUMNS(*)::VARCHAR FROM (SELECT line_no, reason, raw FROM rejects ORDER BY line_no)`},
		} {
			rows, err := c.QueryContext(ctx, q.sql)
			if err != nil {
				return err
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]sql.NullString, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				var row []string
				for _, v := range vals {
					row = append(row, v.String)
				}
				*q.dst = append(*q.dst, strings.Join(row, "|"))
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
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
	if int64(len(out.Lines)) != fr.Loaded || int64(len(out.Rejects)) != fr.Rejected {
		t.Fatalf("the store holds %d lines and %d rejects; the result says %d and %d", len(out.Lines), len(out.Rejects), fr.Loaded, fr.Rejected)
	}
	fr.Path, fr.FileID = "", 0 // a sequence goes on across rollbacks
	out.File = fr
	return out
}
