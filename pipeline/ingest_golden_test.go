package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var updateIngest = flag.Bool("update-ingest", false, "rewrite testdata/ingest/*.want from the reader as it is")

// ingestCase is one run of the ingest over a set of files, whose outcome
// (sales_lines, rejects, the files table, customers) is kept in
// testdata/ingest/<name>.want. The expected outcomes were first written by
// the two readers custcat had before this one (the fast path and the Go
// parser), so the reader now in place is held to what they gave, byte for
// byte, save where a rule was changed on purpose (see the want files'
// history).
type ingestCase struct {
	name   string
	config string
	files  map[string][]byte // name -> content
	// small cases are also read with tiny blocks and several workers.
	small bool
}

// ingestCorpus is every input the readers must agree on: the golden end
// to end cases, the demo exports, the three public data sets, the bad input
// catalogue, the fuzz corpus of FuzzReadExport, and the Kingdee fixture of
// every kind of line.
func ingestCorpus(t *testing.T) []ingestCase {
	t.Helper()
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var cases []ingestCase
	add := func(c ingestCase) { cases = append(cases, c) }

	golden := map[string][]byte{}
	for _, p := range must(filepath.Glob("../cmd/custcat/testdata/golden/*/inbox/*")) {
		golden[filepath.Base(p)] = read(p)
	}
	add(ingestCase{name: "golden_kingdee_gbk", files: golden, small: true})

	demo := map[string][]byte{}
	for _, p := range append(must(filepath.Glob("../data/demo/exports/*")), must(filepath.Glob("../data/demo/master/*"))...) {
		demo[filepath.Base(p)] = read(p)
	}
	demoCfg := `sources:
  - {name: kingdee, ledger: 金蝶KIS, files: "销售出库单_*.csv"}
  - {name: kingdee-master, kind: customers, ledger: 金蝶KIS, files: "客户资料*.csv"}
`
	add(ingestCase{name: "demo", config: demoCfg, files: demo})

	add(ingestCase{name: "public_cdnow", files: map[string][]byte{"CDNOW_master.txt": read("../data/public/cdnow/CDNOW_master.txt")},
		config: "sources:\n  - {name: cdnow, header: none, columns: {customer_code: 1, date: 2, quantity: 3, amount: 4}}\n"})
	add(ingestCase{name: "public_rfm", files: map[string][]byte{"rfm_data_orders.csv": read("../data/public/rfm/rfm_data_orders.csv")}})
	add(ingestCase{name: "public_online_retail", files: map[string][]byte{"online_retail.csv.gz": read("../data/public/online_retail/online_retail.csv.gz")},
		config: "sources:\n  - {name: retail, max_reject_ratio: 0.3}\n"})

	for _, c := range badInputs() {
		add(ingestCase{name: "bad_" + strings.TrimSuffix(c.name, ".csv"), files: map[string][]byte{c.name: []byte(c.text)},
			config: "max_reject_ratio: 0.8\n", small: len(c.text) < 1<<16})
	}
	add(ingestCase{name: "kingdee_lines", files: map[string][]byte{"kingdee.csv": []byte(kingdeeLines)}, config: "max_reject_ratio: 0.9\n", small: true})
	add(ingestCase{name: "kingdee_lines_gbk", files: map[string][]byte{"kingdee.csv": must(simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(strings.ReplaceAll(kingdeeLines, "\n", "\r\n"))))}, config: "max_reject_ratio: 0.9\n", small: true})
	noDoc := strings.ReplaceAll(strings.ReplaceAll(kingdeeLines, "单据编号,", "备注,"), "\n,,,,", "\n2024/1/2,x,C09,,")
	add(ingestCase{name: "kingdee_no_doc", files: map[string][]byte{"kingdee.csv": []byte(noDoc)}, config: "max_reject_ratio: 0.9\n", small: true})
	add(ingestCase{name: "kingdee_names", files: map[string][]byte{"kingdee.csv": []byte(strings.ReplaceAll(kingdeeLines, "客户编码", "备用"))}, config: "max_reject_ratio: 1\n", small: true})
	add(ingestCase{name: "kingdee_tab", files: map[string][]byte{"kingdee.tsv": []byte(strings.ReplaceAll(kingdeeLines, ",", "\t"))}, config: "max_reject_ratio: 0.9\n", small: true})
	add(ingestCase{name: "kingdee_crlf_gz", files: map[string][]byte{"kingdee.csv.gz": gzipped(strings.ReplaceAll(kingdeeLines+"\n\n", "\n", "\r\n"))}, config: "max_reject_ratio: 0.9\n", small: true})
	add(ingestCase{name: "kingdee_long", files: map[string][]byte{"kingdee.csv": []byte(longKingdee())}, config: "max_reject_ratio: 0.9\n"})

	// Issue 18's unmatched quote, which ran on across the lines below it,
	// and its quote pattern, which kept every record open for many lines.
	add(ingestCase{name: "quote_runaway", small: true, config: "max_reject_ratio: 0.9\n", files: map[string][]byte{"q.csv": []byte(lines(badHeader,
		goodLine("R1"), `2024-03-02,R2,C2,"甲公司,100`, goodLine("R3"), goodLine("R4"), `2024-03-05,R5,C5,戊公司,"1,234.50"`, goodLine("R6")))}})
	var pattern []string
	for i := range 40 {
		pattern = append(pattern, fmt.Sprintf(`2024-03-01,D%d,C1,b"c,"11`, i))
	}
	add(ingestCase{name: "quote_pattern", small: true, config: "max_reject_ratio: 1\n", files: map[string][]byte{"p.csv": []byte(lines(append([]string{badHeader}, pattern...)...))}})

	// A file without header: its first line sets the width; blocks that
	// start on a line of another width must not take that one.
	var widths []string
	for i := range 30 {
		switch i % 4 {
		case 1:
			widths = append(widths, fmt.Sprintf("C%d,2024-03-%02d,%d,%d.5,x", i, 1+i%28, 1+i%3, 10+i))
		case 3:
			widths = append(widths, fmt.Sprintf("C%d,2024-03-%02d,%d,%d.5,", i, 1+i%28, 1+i%3, 10+i))
		default:
			widths = append(widths, fmt.Sprintf("C%d,2024-03-%02d,%d,%d.5", i, 1+i%28, 1+i%3, 10+i))
		}
	}
	add(ingestCase{name: "headerless_widths", small: true, files: map[string][]byte{"w.csv": []byte(lines(widths...))},
		config: "max_reject_ratio: 0.5\nsources:\n  - {name: w, header: none, columns: {customer_code: 1, date: 2, quantity: 3, amount: 4}}\n"})

	fuzzIn := must(filepath.Glob("testdata/fuzz/FuzzReadExport/*"))
	sort.Strings(fuzzIn)
	for _, p := range fuzzIn {
		kind, data, err := readFuzzInput(read(p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		add(fuzzCase("fuzz_"+filepath.Base(p), kind, data))
	}
	return cases
}

// fuzzCase is an input of FuzzReadExport as that target reads it.
func fuzzCase(name string, kind uint8, data []byte) ingestCase {
	file := exportKinds[int(kind)%len(exportKinds)]
	if filepath.Ext(file) == ".gz" {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	return ingestCase{name: name, files: map[string][]byte{file: data}, config: "max_reject_ratio: 0.5\n", small: true}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.Bytes()
}

// readFuzzInput reads a file of Go's fuzz corpus of (uint8, []byte).
func readFuzzInput(b []byte) (uint8, []byte, error) {
	ls := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(ls) != 3 || ls[0] != "go test fuzz v1" {
		return 0, nil, fmt.Errorf("not a corpus file of two values")
	}
	arg := func(s, prefix string) (string, error) {
		if !strings.HasPrefix(s, prefix+"(") || !strings.HasSuffix(s, ")") {
			return "", fmt.Errorf("want %s(...), have %q", prefix, s)
		}
		return s[len(prefix)+1 : len(s)-1], nil
	}
	var kind uint8
	if a, err := arg(ls[1], "byte"); err == nil {
		r, _, _, err := strconv.UnquoteChar(strings.Trim(a, "'"), '\'')
		if err != nil {
			return 0, nil, err
		}
		kind = uint8(r)
	} else if a, err := arg(ls[1], "uint8"); err == nil {
		n, err := strconv.ParseUint(a, 0, 8)
		if err != nil {
			return 0, nil, err
		}
		kind = uint8(n)
	} else {
		return 0, nil, err
	}
	a, err := arg(ls[2], "[]byte")
	if err != nil {
		return 0, nil, err
	}
	s, err := strconv.Unquote(a)
	return kind, []byte(s), err
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// runIngest loads the files of c in one run into a fresh store and returns
// the outcome as text: the files table, the totals, the rejects, the
// customers and the sales lines (as a hash where they are long).
func runIngest(t *testing.T, c ingestCase) string {
	t.Helper()
	dir := t.TempDir()
	names := make([]string, 0, len(c.files))
	for n := range c.files {
		names = append(names, n)
	}
	sort.Strings(names)
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, n := range names {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, c.files[n], 0o644); err != nil {
			t.Fatal(err)
		}
		mt := old.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, mt, mt)
	}
	cfg, problems := ParseConfig([]byte(c.config))
	if len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	ctx := context.Background()
	store, err := OpenStore(ctx, StoreConfig{MemoryLimit: "1GB"}, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
	inbox, _, err := ScanInbox(dir, now, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	err = store.Unit(ctx, func(ctx context.Context, conn *sql.Conn) error {
		res, err := Load(ctx, conn, &cfg, 1, inbox, now, nil)
		if err != nil {
			return err
		}
		tot := res.Totals()
		fmt.Fprintf(&out, "totals read=%d loaded=%d rejected=%d duplicate=%d summary=%d held=%d replaced=%d\n",
			tot.Read, tot.Loaded, tot.Rejected, tot.Duplicate, tot.Summary, tot.Held, res.Replaced)
		for _, f := range res.Files {
			fmt.Fprintf(&out, "file %s: %s %q format=%q read=%d loaded=%d rejected=%d duplicate=%d summary=%d held=%d\n",
				f.Name, f.Status, f.Reason, f.Format, f.Read, f.Loaded, f.Rejected, f.Duplicate, f.Summary, f.Held)
		}
		return nil
	})
	if err != nil {
		fmt.Fprintf(&out, "run failed: %v\n", err)
		return out.String()
	}
	section := func(title, q string) {
		rows := queryRows(t, store.DB, "SELECT COLUMNS(*)::VARCHAR FROM ("+q+")")
		text := strings.Join(rows, "\n")
		if len(text) > 16<<10 {
			sum := sha256.Sum256([]byte(text))
			fmt.Fprintf(&out, "%s: %d rows, sha256 %s\n", title, len(rows), hex.EncodeToString(sum[:]))
			return
		}
		fmt.Fprintf(&out, "%s: %d rows\n%s\n", title, len(rows), text)
	}
	section("files", `SELECT f.name, f.status, f.lines_read, f.lines_loaded, f.lines_rejected, f.lines_duplicate, f.lines_summary FROM files f ORDER BY file_id`)
	section("rejects", `SELECT f.name, r.line_no, r.reason, r.raw FROM rejects r JOIN files f USING (file_id) ORDER BY f.file_id, r.line_no`)
	section("customers", `SELECT * FROM customers ORDER BY customer_key`)
	section("sales_lines", `SELECT f.name, s.line_no, l.ledger, s.* EXCLUDE (file_id, line_no, ledger_id)
		FROM sales_lines s JOIN files f USING (file_id) JOIN ledgers l USING (ledger_id) ORDER BY s.file_id, s.line_no`)
	return out.String()
}

// TestIngestGolden reads every input of the corpus and compares the
// outcome with testdata/ingest/<case>.want; with -update-ingest it writes
// them.
func TestIngestGolden(t *testing.T) {
	for _, c := range ingestCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			got := runIngest(t, c)
			want := filepath.Join("testdata", "ingest", c.name+".want")
			if *updateIngest {
				if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(want, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (write it with -update-ingest)", err)
			}
			if diff := cmp.Diff(string(b), got); diff != "" {
				t.Errorf("outcome differs from %s (-want +got):\n%s", want, diff)
			}
			if !c.small {
				return
			}
			// Record by record, and in blocks of a line or a few, by one
			// worker or several: the same outcome.
			for _, tune := range readerTunings {
				setTuning(t, tune)
				if diff := cmp.Diff(string(b), runIngest(t, c)); diff != "" {
					t.Errorf("read with %+v: outcome differs from %s (-want +got):\n%s", tune, want, diff)
				}
			}
			setTuning(t, tuning{})
		})
	}
}

// tuning is a setting of readerTuning.
type tuning struct {
	blockBytes, workers int
	serial              bool
}

var readerTunings = []tuning{{serial: true}, {blockBytes: 1, workers: 4}, {blockBytes: 29, workers: 2}}

func setTuning(t testing.TB, tune tuning) {
	t.Helper()
	readerTuning.blockBytes, readerTuning.workers, readerTuning.serial = tune.blockBytes, tune.workers, tune.serial
	t.Cleanup(func() { readerTuning.blockBytes, readerTuning.workers, readerTuning.serial = 0, 0, false })
}

// loadEachTuning writes text as dir/sales.csv and loads it once with each
// reader tuning, each time into a fresh store in memory, calling check in
// the load's transaction.
func loadEachTuning(t *testing.T, text, config string, check func(tune tuning, conn *sql.Conn, f FileResult)) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "sales.csv")
	os.WriteFile(path, []byte(text), 0o644)
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(path, old, old)
	cfg, problems := ParseConfig([]byte(config))
	if len(problems) > 0 {
		t.Fatalf("config: %v", problems)
	}
	for _, tune := range readerTunings {
		setTuning(t, tune)
		ctx := context.Background()
		store, err := OpenStore(ctx, StoreConfig{MemoryLimit: "1GB"}, ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2024, 11, 1, 8, 0, 0, 0, time.UTC)
		inbox, _, err := ScanInbox(dir, now, 0)
		if err != nil {
			t.Fatal(err)
		}
		err = store.Unit(ctx, func(ctx context.Context, conn *sql.Conn) error {
			res, err := Load(ctx, conn, &cfg, 1, inbox, now, nil)
			if err != nil {
				return err
			}
			check(tune, conn, res.Files[0])
			return nil
		})
		store.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// The total rows a file skips are listed for the run summary whichever
// reader takes them: record by record, or the block workers.
func TestSummaryRowsListedByEveryReader(t *testing.T) {
	var b strings.Builder
	b.WriteString("单据日期,单据编号,客户编码,客户名称,价税合计\n")
	var want []int // the lines listed: the first MaxSummaryRows
	for i := 1; i <= 400; i++ {
		if i%37 == 0 { // the first ten, past the head the header is looked for in
			b.WriteString("合计,,,,1000\n")
			if len(want) < MaxSummaryRows {
				want = append(want, i+1)
			}
			continue
		}
		fmt.Fprintf(&b, "2024-03-%02d,D%d,C%d,客户%d,%d.00\n", 1+i%28, i, i%7, i%7, 100+i)
	}
	loadEachTuning(t, b.String(), "", func(tune tuning, _ *sql.Conn, f FileResult) {
		var got []int
		for _, r := range f.SummaryRows {
			if r.Raw != "合计,,,,1000" {
				t.Errorf("%+v: total row %d reads %q", tune, r.Line, r.Raw)
			}
			got = append(got, r.Line)
		}
		if f.Summary != 400/37 {
			t.Errorf("%+v: %d total rows counted, want %d", tune, f.Summary, 400/37)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%+v: total rows listed at lines %v, want %v", tune, got, want)
		}
	})
}

// The header row again inside a file (exports joined into one, or a
// report that repeats its header per page) is counted as a summary row,
// listed, and not rejected, whichever reader takes it; a continuation line
// after it still belongs to the document above. A line that only looks
// like the header, one cell off, is rejected.
func TestHeaderRowAgain(t *testing.T) {
	const head = "单据日期,单据编号,客户编码,客户名称,价税合计"
	var b strings.Builder
	b.WriteString(head + "\n")
	lines, headers := 0, []int{}
	for i := 1; i <= 300; i++ {
		if i%50 == 0 {
			b.WriteString(" " + head + " ,\n") // with spaces and a blank cell past it
			headers = append(headers, i+1)
			b.WriteString(",,,,7.00\n") // the document above goes on
			lines++
			i++
			continue
		}
		fmt.Fprintf(&b, "2024-03-%02d,D%d,C%d,客户%d,%d.00\n", 1+i%28, i, i%7, i%7, 100+i)
		lines++
	}
	b.WriteString("单据日期,单据编号,客户编码,客户名称,金额\n") // not the header: rejected
	loadEachTuning(t, b.String(), "max_reject_ratio: 0.5\n", func(tune tuning, conn *sql.Conn, f FileResult) {
		var got []int
		for _, r := range f.SummaryRows {
			if r.Reason != "the header row again" {
				t.Errorf("%+v: summary row %d: %q", tune, r.Line, r.Reason)
			}
			got = append(got, r.Line)
		}
		if fmt.Sprint(got) != fmt.Sprint(headers) || f.Summary != int64(len(headers)) || f.Rejected != 1 || f.Loaded != int64(lines) {
			t.Errorf("%+v: header rows %v (%d), rejected %d, loaded %d; want %v, 1, %d", tune, got, f.Summary, f.Rejected, f.Loaded, headers, lines)
		}
		continued := queryRows(t, conn, `SELECT count(*) FROM sales_lines WHERE amount = 7 AND doc_no IS NOT NULL`)
		if fmt.Sprint(continued) != fmt.Sprintf("[%d]", len(headers)) {
			t.Errorf("%+v: %v continuation lines after a header row kept their document, want %d", tune, continued, len(headers))
		}
	})
}
