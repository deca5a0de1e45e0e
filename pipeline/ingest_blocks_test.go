package pipeline

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// edgeExport is a GBK export with CRLF line ends and every kind of line
// whose reading a block edge could change: documents of several lines
// whose continuation lines leave the document cells blank, a quoted
// amount with a thousands separator, a quoted name that holds a line
// break, a total row, an unterminated quote, and Chinese text throughout
// (two bytes a character, so that a block's size ends inside one).
func edgeExport() []byte {
	var b strings.Builder
	b.WriteString("销售出库单序时簿\r\n单据日期,单据编号,客户编码,客户名称,商品名称,数量,含税单价,价税合计\r\n")
	for d := range 12 {
		fmt.Fprintf(&b, "2024-03-%02d,XS%03d,C%02d,华信科技有限公司,复印纸,2,23.50,47.00\r\n", 1+d, d, d%5)
		for k := range d % 4 {
			fmt.Fprintf(&b, ",,,,中性笔%d,3,18,54\r\n", k)
		}
		switch d % 6 {
		case 1:
			fmt.Fprintf(&b, "2024-03-%02d,XS%03dA,C%02d,\"恒达\r\n科技\",打印机,1,\"1,234.50\",\"1,234.50\"\r\n", 1+d, d, d%5)
			b.WriteString(",,,,续行在引号后,1,2,2\r\n")
		case 2:
			b.WriteString("合计,,,,,,,1000\r\n,,,,合计后的续行,1,1,1\r\n")
		case 3:
			fmt.Fprintf(&b, "2024-03-%02d,XS%03dB,C%02d,\"鑫源贸易,矿泉水,1,2,2\r\n", 1+d, d, d%5)
			b.WriteString(",,,,引号未闭合之后,1,1,1\r\n")
		case 4:
			fmt.Fprintf(&b, "2024-03-%02d,XS%03dC,C%02d,\"瑞丰\r\n\r\n实业\",咖啡,1,45,45\r\n", 1+d, d, d%5)
		}
	}
	out, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		panic(err)
	}
	return out
}

// TestBlockEdges reads one export in blocks of many sizes, by one worker
// and by four, and gets what the reader gives record by record. The sizes
// are such that blocks start on a continuation line, inside a quoted field
// that holds a line break, between the \r and \n of a line end (where a
// block's size ends) and inside a GBK character: the test checks that they do.
func TestBlockEdges(t *testing.T) {
	data := edgeExport()
	c := ingestCase{name: "edges", files: map[string][]byte{"edges.csv": data}, config: "max_reject_ratio: 0.5\n"}
	setTuning(t, tuning{serial: true})
	want := runIngest(t, c)
	for _, must := range []string{"read=44 loaded=38 rejected=4 duplicate=0 summary=2",
		"|恒达\n科技|", "|瑞丰\n\n实业|", "|1234.50|", "unterminated quote|2024-03-04,XS003B"} {
		if !strings.Contains(want, must) {
			t.Fatalf("record by record, the outcome lacks %q:\n%s", must, want)
		}
	}

	lines := physicalLines(data)
	starts := map[string]bool{}
	for _, size := range []int{1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 4000} {
		// Where blocks of this size start, and where their sizes end.
		src := newBlockSourceSized(bytes.NewReader(data), size)
		at := 0
		for {
			b, err := src.nextRaw()
			if err != nil {
				break
			}
			if b.first > 1 {
				prev := lines[b.first-2]
				switch {
				case strings.HasPrefix(prev.text, ",,,,") || strings.HasPrefix(lines[b.first-1].text, ",,,,"):
					starts["continuation"] = true
				case strings.Count(prev.text, `"`)%2 == 1 && !strings.Contains(prev.text, "鑫源"):
					starts["in a quoted field"] = true
				}
			}
			if end := at + size; end < len(data) {
				if data[end-1] == '\r' && data[end] == '\n' {
					starts["between \\r and \\n"] = true
				}
				if data[end-1] >= 0x81 && isGBKLead(data, end-1) {
					starts["in a GBK character"] = true
				}
			}
			at += len(b.data)
		}
		for _, workers := range []int{1, 4} {
			setTuning(t, tuning{blockBytes: size, workers: workers})
			got := runIngest(t, c)
			if got != want {
				t.Errorf("blocks of %d bytes, %d workers: the outcome differs from the one record by record:\n%s\nwant:\n%s", size, workers, got, want)
			}
		}
	}
	for _, k := range []string{"continuation", "in a quoted field", "between \\r and \\n", "in a GBK character"} {
		if !starts[k] {
			t.Errorf("no block size made a block start (or its size end) %s", k)
		}
	}
}

func newBlockSourceSized(r io.Reader, size int) *blockSource {
	s := newBlockSource(r, "gbk")
	s.size = size
	return s
}

type physLine struct{ text string }

// physicalLines are the lines of data (GBK decoded), numbered from 1 at index 0.
func physicalLines(data []byte) []physLine {
	text, _ := simplifiedchinese.GBK.NewDecoder().Bytes(data)
	var out []physLine
	for s := string(text); s != ""; {
		l, n := cutLine(s)
		out = append(out, physLine{l})
		s = s[n:]
	}
	return out
}

// isGBKLead says whether data[i] is the first byte of a two-byte character.
func isGBKLead(data []byte, i int) bool {
	for j := 0; j < len(data); j++ {
		if data[j] >= 0x81 {
			if j == i {
				return true
			}
			j++
		}
		if j >= i {
			return false
		}
	}
	return false
}

// TestQuotesReadInLinearTime reads the quote patterns that kept records
// open for many lines (issue 18: 4,000 lines of the first took 106 s)
// and others built to make a reader go back over its text: each line is
// read as a line of its own, in a time far below what going back over
// the text would take.
func TestQuotesReadInLinearTime(t *testing.T) {
	patterns := map[string]string{
		"issue 18":             `2024-03-01,D1,C1,b"c,"11`,
		"quote, then no quote": "2024-03-01,D1,C1,\"甲" + strings.Repeat("\n2024-03-01,D1,C1,甲,1", 14),
		"doubled quotes":       `2024-03-01,D1,C1,"` + strings.Repeat(`""`, 500),
		"closes, then text":    "2024-03-01,D1,C1,\"甲\n乙\"x,1",
	}
	for name, p := range patterns {
		t.Run(name, func(t *testing.T) {
			text := strings.Repeat(p+"\n", (1<<20)/(len(p)+1)) // about 1 MB
			physical := strings.Count(text, "\n")
			sc := recordScanner{encoding: "utf-8", delim: ','}
			start := time.Now()
			records, lines := 0, 0
			for rest, line := text, 1; rest != ""; {
				rec, n, k, more := sc.scan(rest, line, true)
				if more || n == 0 {
					t.Fatalf("line %d: the scanner asks for more text at the end of the file", line)
				}
				if rec.Line != 0 {
					records++
				}
				rest, line, lines = rest[n:], line+k, lines+k
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%d lines took %v", physical, d)
			}
			if lines != physical {
				t.Errorf("the records took %d lines of %d", lines, physical)
			}
			t.Logf("%d lines, %d records in %v", physical, records, time.Since(start))
		})
	}
}

// TestWideExport loads a plain export of 3,000 columns and 1,000 lines
// beside an ordinary one under a 512 MB memory limit: the ordinary one
// loads, and the wide one loads or fails alone. (The old fast path ran
// DuckDB out of memory on it and failed the whole run, every run.)
func TestWideExport(t *testing.T) {
	var b strings.Builder
	b.WriteString("日期,单据编号,客户编码,价税合计")
	for i := range 2996 {
		fmt.Fprintf(&b, ",备注%d", i)
	}
	b.WriteString("\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "2024-03-01,W%d,C%d,%d", i, i%40, 10+i)
		for j := range 2996 {
			fmt.Fprintf(&b, ",%d", (i+j)%97)
		}
		b.WriteString("\n")
	}
	dir := t.TempDir()
	writeFile(t, dir+"/wide.csv", b.String())
	writeFile(t, dir+"/plain.csv", lines(badHeader, goodLine("P1"), goodLine("P2")))
	cfg, problems := ParseConfig([]byte(""))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{MemoryLimit: "512MB"}, filepath.Join(t.TempDir(), "custcat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
	inbox, _, err := ScanInbox(dir, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	var res *LoadResult
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		res, err = Load(ctx, c, &cfg, 1, inbox, now, nil)
		return err
	})
	if err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	for _, f := range res.Files {
		switch {
		case f.Name == "plain.csv" && (f.Status != "loaded" || f.Loaded != 2):
			t.Errorf("plain.csv: %s %q, %d lines loaded", f.Status, f.Reason, f.Loaded)
		case f.Name == "wide.csv" && f.Status == "loaded" && f.Loaded != 1000:
			t.Errorf("wide.csv loaded %d lines of 1000", f.Loaded)
		case f.Name == "wide.csv" && f.Status != "loaded" && f.Reason == "":
			t.Errorf("wide.csv %s without a reason", f.Status)
		}
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzSummaryTest checks that the cheap test before isSummaryRow's
// (maySumUp) never turns away a row that isSummaryRow takes.
func FuzzSummaryTest(f *testing.F) {
	for _, s := range []string{"合计", "　合计", "\ufeffTotal", "－－小计", "ＴＯＴＡＬ", " *Subtotal", "Grand Total", "总计1号店",
		"TOTAL 2000", "\u00a0累计：", "_.:-*\t合计", "XSCKD0001", "2024-03-01", "Totalwine", "(合计)", "ｇｒａｎｄ ｔｏｔａｌ"} {
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		cells := []string{a, b}
		if isSummaryRow(cells) && !maySumUp(cells) {
			t.Fatalf("isSummaryRow(%q) holds, maySumUp does not", cells)
		}
	})
}
