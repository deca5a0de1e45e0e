package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// badHeader and goodLine make the small exports of the catalogue.
const badHeader = "日期,单据编号,客户编码,客户名称,价税合计"

func goodLine(doc string) string { return "2024-03-01," + doc + ",C1,甲公司,100" }

func gbk(s string) string {
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// TestBadInputs is the catalogue of bad inputs: each export, loaded in
// one run, ends as expected (a failed file with its reason, or rejected
// lines with theirs), and its line counts add up, in the result and in
// the database.
func TestBadInputs(t *testing.T) {
	cases := badInputs()

	dir := t.TempDir()
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range cases {
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		mt := old.Add(time.Duration(i) * time.Minute)
		os.Chtimes(p, mt, mt)
	}
	res, store := loadInbox(t, dir, `max_reject_ratio: 0.8
sources:
  - {name: declared-gbk, files: "declared-gbk*", encoding: gbk}
  - {name: declared-utf8, files: "declared-utf8*", encoding: utf-8}
  - {name: other}
`)
	byName := map[string]FileResult{}
	for _, f := range res.Files {
		byName[f.Name] = f
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, ok := byName[c.name]
			if !ok {
				t.Fatal("not read")
			}
			if f.Status != c.status || !strings.Contains(f.Reason, c.reason) {
				t.Errorf("%s %q, want %s %q", f.Status, f.Reason, c.status, c.reason)
			}
			if f.Read != f.Loaded+f.Rejected+f.Duplicate+f.Summary+f.Held {
				t.Errorf("read %d != loaded %d + rejected %d + duplicate %d + summary %d + held %d",
					f.Read, f.Loaded, f.Rejected, f.Duplicate, f.Summary, f.Held)
			}
			if f.Loaded != c.loaded || f.Rejected != int64(len(c.rejects)) {
				t.Errorf("loaded %d rejected %d, want %d and %d", f.Loaded, f.Rejected, c.loaded, len(c.rejects))
			}
			var inDB, rejected int64
			store.DB.QueryRow(`SELECT count(*) FROM sales_lines l JOIN files USING (file_id) WHERE name = ?`, c.name).Scan(&inDB)
			store.DB.QueryRow(`SELECT count(*) FROM rejects r JOIN files USING (file_id) WHERE name = ?`, c.name).Scan(&rejected)
			if f.Status == "loaded" && (inDB != f.Loaded || rejected != f.Rejected) {
				t.Errorf("the database holds %d lines and %d rejects, the result says %d and %d", inDB, rejected, f.Loaded, f.Rejected)
			}
			rows, err := store.DB.Query(`SELECT r.line_no, r.reason, length(r.raw) FROM rejects r JOIN files USING (file_id) WHERE name = ? ORDER BY line_no`, c.name)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var line, rawLen int
				var reason string
				rows.Scan(&line, &reason, &rawLen)
				want, ok := c.rejects[line]
				if !ok || !strings.Contains(reason, want) {
					t.Errorf("line %d rejected: %q, want %q", line, reason, want)
				}
				if rawLen > 70000 {
					t.Errorf("line %d: the reject keeps %d characters of raw text", line, rawLen)
				}
			}
			if c.names != nil {
				got := queryRows(t, store.DB, `SELECT customer_name FROM sales_lines JOIN files USING (file_id) WHERE name = '`+c.name+`' ORDER BY line_no`)
				if strings.Join(got, "\x00") != strings.Join(c.names, "\x00") {
					t.Errorf("names %q, want %q", got, c.names)
				}
			}
		})
	}
}

// badInput is one export of the catalogue and how it must end.
type badInput struct {
	name    string
	text    string
	status  string
	reason  string         // of a failed file
	rejects map[int]string // line -> reason
	loaded  int64
	names   []string // customer names loaded, in line order
}

// badInputs is the catalogue of bad inputs (TestBadInputs; the ingest
// golden cases read them too).
func badInputs() []badInput {
	huge := strings.Repeat("长", 10<<20/3) // a 10 MB field
	binary := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, 0}, 2000)...)
	return []badInput{
		{name: "empty.csv", text: "", status: "failed", reason: "empty file"},
		{name: "header-only.csv", text: lines(badHeader), status: "failed", reason: "header only: no data lines"},
		{name: "binary.csv", text: string(binary), status: "failed", reason: "binary content, not a text export"},
		{name: "declared-gbk.csv", text: lines(badHeader, goodLine("E1"), goodLine("E2")), status: "failed", reason: "no header"},
		{name: "declared-utf8.csv", text: gbk(lines(badHeader, goodLine("E3"), goodLine("E4"))), status: "failed", reason: "no header"},
		{name: "mixed-encodings.csv", text: lines(badHeader, goodLine("M1"), "2024-03-02,M2,C2,"+gbk("乙公司")+",50", goodLine("M3"), goodLine("M4")),
			status: "loaded", loaded: 3, rejects: map[int]string{3: "invalid UTF-8 text (is the file GBK? set encoding)"}},
		{name: "field-10mb.csv", text: lines(badHeader, goodLine("F1"), "2024-03-02,F2,C2,"+huge+",50", goodLine("F3")),
			status: "loaded", loaded: 2, rejects: map[int]string{3: "customer_name: longer than"}},
		{name: "unterminated-quote.csv", text: lines(badHeader, goodLine("Q1"), `2024-03-02,Q2,C2,"乙公司,50`, goodLine("Q3"), goodLine("Q4")),
			status: "loaded", loaded: 3, rejects: map[int]string{3: "unterminated quote"}},
		{name: "nul.csv", text: lines(badHeader, goodLine("N1"), "2024-03-02,N2,C2,乙\x00公司,50", goodLine("N3")),
			status: "loaded", loaded: 2, rejects: map[int]string{3: "NUL byte in line"}},
		{name: "dates.csv", text: lines(badHeader, "0000-01-01,D1,C1,甲公司,1", "9999-12-31,D2,C1,甲公司,1", "1899-12-31,D3,C1,甲公司,1", "2199-12-31,D4,C1,甲公司,1", goodLine("D5")),
			status: "loaded", loaded: 2, rejects: map[int]string{2: "date out of range", 3: "date out of range", 4: "date out of range"}},
		{name: "amounts.csv", text: lines(badHeader, "2024-03-01,A1,C1,甲公司,1e30", "2024-03-01,A2,C1,甲公司,1000000000000000000000000000000", "2024-03-01,A3,C1,甲公司,-1e30", goodLine("A4"), goodLine("A5")),
			status: "loaded", loaded: 2, rejects: map[int]string{2: "amount: ", 3: "amount: number out of range", 4: "amount: "}},
		{name: "html.csv", text: lines(badHeader, `2024-03-01,H1,C1,<script>alert("x")</script>,1`, "2024-03-01,H2,C2,<img src=x onerror=alert(1)>,1", `2024-03-01,H3,C3,"</td><a href=""javascript:alert(1)"">甲</a>",1`),
			status: "loaded", loaded: 3, names: []string{`<script>alert("x")</script>`, "<img src=x onerror=alert(1)>", `</td><a href="javascript:alert(1)">甲</a>`}},
		{name: "formulas.csv", text: lines(badHeader, `2024-03-01,X1,=1+2,"=HYPERLINK(""http://x"",""y"")",1`, "2024-03-01,X2,C2,+cmd|' /C calc'!A0,1", "2024-03-01,X3,C3,@SUM(A1),1", "2024-03-01,X4,C4,-2+3,1"),
			status: "loaded", loaded: 4, names: []string{`=HYPERLINK("http://x","y")`, "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"}},
		{name: "emoji-rare-cjk.csv", text: lines(badHeader, "2024-03-01,R1,C1,😀客户,1", "2024-03-01,R2,C2,𠀀𪚥公司,1", "2024-03-01,R3,C3,👨‍👩‍👧家,1"),
			status: "loaded", loaded: 3, names: []string{"😀客户", "𠀀𪚥公司", "👨‍👩‍👧家"}},
		{name: "bom-inside.csv", text: "\ufeff" + lines(badHeader, goodLine("B1"), "2024-03-02,B2,C2,\ufeff乙公司,50", "\ufeff"+badHeader, goodLine("B3")),
			status: "loaded", loaded: 2, rejects: map[int]string{3: "byte order mark inside the line", 4: "byte order mark inside the line"}},
		{name: "line-ends-crlf.csv", text: strings.ReplaceAll(lines(badHeader, goodLine("L1"), `2024-03-02,L2,C2,"乙`+"\n"+`公司",50`, goodLine("L3")), "\n", "\r\n"),
			status: "loaded", loaded: 3, names: []string{"甲公司", "乙\n公司", "甲公司"}},
		{name: "line-ends-lf.csv", text: lines(badHeader, goodLine("L4"), `2024-03-02,L5,C2,"乙`+"\n"+`公司",50`, goodLine("L6")),
			status: "loaded", loaded: 3, names: []string{"甲公司", "乙\n公司", "甲公司"}},
		{name: "line-ends-cr.csv", text: strings.ReplaceAll(lines(badHeader, goodLine("L7"), `2024-03-02,L8,C2,"乙`+"\n"+`公司",50`, goodLine("L9")), "\n", "\r"),
			status: "loaded", loaded: 3, names: []string{"甲公司", "乙\n公司", "甲公司"}},
	}
}
