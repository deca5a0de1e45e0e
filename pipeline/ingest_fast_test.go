package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// kingdeeLines is an export with every kind of line the fast path must
// settle exactly as the Go parser does, or hand to it.
const kingdeeLines = `销售出库单序时簿
查询期间：2024-01-01 至 2024-12-31
单据日期,单据编号,客户编码,客户名称,物料编码,物料名称,物料类别,数量,含税单价,价税合计
,,,,1.01,续行在最前,办公用品,1,2.00,2.00
2024/1/2,XS001,C01,华信科技有限公司,1.01,复印纸,办公用品,2,23.50,47.00
,,,,1.02,中性笔,办公用品,3,18,54
,,,,1.02,中性笔,办公用品,3,18,54
  2024-01-03 ,XS002, C02 ,恒达科技有限公司,2.01,打印机,电子产品,1,1299,
,,,,2.02,鼠标,电子产品,2,89.5,179.00
20240104,XS003,C03,鑫源贸易,3.01,矿泉水,食品饮料,+1.5e1,2,30
2024.1.5 08:30:00,XS004,C04,瑞丰实业,3.02,咖啡,食品饮料,-1,45,-45.00
2024-01-05T00:00:00,XS005,C05,宏通,4.01,抽纸,日用百货,,,12.345
2024/2/30,XS006,C01,华信科技有限公司,1.01,复印纸,办公用品,1,23.50,23.50
,,,,1.02,坏日期后的续行,办公用品,1,18,18
2024/3/1,XS007,C01,华信科技有限公司,1.01,复印纸,办公用品,1,23.50,五十
,,,,1.01,复印纸,办公用品,x,23.50,
2024/3/2,XS008,,,1.01,无客户,办公用品,1,1,1
2024/3/3,XS009,C02,恒达设计有限公司,1.01,复印纸,办公用品,1,1
2024/3/4,XS010,C02,恒达设计有限公司,1.01,复印纸,办公用品,1,1,1,,
2024/3/4,XS011,C02,恒达设计有限公司,1.01,复印纸,办公用品,1,1,1,x
2024年3月5日,XS012,C03,鑫源贸易,1.01,复印纸,办公用品,1,1,1
,,,,1.01,复印纸,办公用品,1,1,2
 	 
2024/3/6,,C04,瑞丰实业,1.01,无单号,办公用品,1,1,1
2024/3/7,XS013,C04,瑞丰实业,1.01,复印纸,办公用品,1e13,1,
2024/3/8,XS014,C04,瑞丰实业,1.01,复印纸,办公用品,1,1,1
合计,,,,,,,,,1000
,,,,1.01,合计后的续行,办公用品,1,1,1
2024/3/9,XS015,C05,宏通,1.01,复印纸,办公用品,1,1,1
,XS015,,,1.01,同单号续行,办公用品,1,1,1
,,,,1.01,Subtotal 行,办公用品,1,1,1
2199/12/31,XS016,C05,宏通,1.01,复印纸,办公用品,0.005,1,0.005
2200/1/1,XS017,C05,宏通,1.01,复印纸,办公用品,1,1,1
2024/13/1,XS018,C05,宏通,1.01,复印纸,办公用品,1,1,1
2024/12/31,XS019,C05,宏通,1.01,复印纸,办公用品,1,1,-0.015
   
2024/12/31,XS020,C06,泰安,1.01,复印纸,办公用品,.5,3.,1.5
2199/12/31,XS021,C05,宏通,1.01,复印纸,办公用品,0.005,1,0.005
2024/2/29,XS022,C07,金德,1.01,纸,办公用品,3,0.335,
,,,,1.02,续,办公用品,-2,1.005,
,,,,1.02,续,办公用品,-2,1.005,-2.005
2024-12-31 23:59,XS023,C07,金德,1.01,纸,办公用品,1,1,-0.015
2024-12-31,XS024,C07,金德,1.01,纸,办公用品,1E2,2.5e-1,
　2024-12-30　,XS025, C08 , 金德 ,1.01,纸,办公用品,1,2,　
2024年3月10日,XS030,C01,华信科技有限公司,1.01,只有Go读的日期,办公用品,1,1,1
2024-03-10,XS030,C01,华信科技有限公司,1.01,只有Go读的日期,办公用品,1,1,1
2024-03-11,XS031,C02,恒达科技有限公司,1.01,复印纸,办公用品,1,1,1
,,,,1.02,同值不同写法,办公用品,2,1.5,3
2024-03-12,XS032,C02,恒达科技有限公司,1.01,复印纸,办公用品,1,1,1
2024-03-11,XS031,C02,恒达科技有限公司,1.02,同值不同写法,办公用品,2.0,1.50,3.00
　 ,　,,,,,,,,
`

// longKingdee is kingdeeLines with thousands of good lines between its
// body and a second copy of it, which repeats its documents and lines:
// the Go parser reads stretches far apart, and far from their repeats.
func longKingdee() string {
	var b strings.Builder
	b.WriteString(kingdeeLines)
	for i := range 3000 {
		if i%3 == 0 {
			fmt.Fprintf(&b, "2024-05-%02d,XL%05d,C%02d,华信科技有限公司,1.01,复印纸,办公用品,%d,2.5,\n", 1+i%28, i, i%7, 1+i%5)
		} else {
			fmt.Fprintf(&b, ",,,,1.%02d,中性笔,办公用品,%d,1.5,\n", i%9, i%4)
		}
	}
	_, body, _ := strings.Cut(kingdeeLines, "价税合计\n")
	b.WriteString(body)
	return b.String()
}

// TestFastPathLoadsLikeGo loads exports through the fast path and the same
// bytes gzipped, which only the Go parser reads, and compares every staged
// line, reject and count.
func TestFastPathLoadsLikeGo(t *testing.T) {
	noDoc := strings.ReplaceAll(strings.ReplaceAll(kingdeeLines, "单据编号,", "备注,"), "\n,,,,", "\n2024/1/2,x,C09,,")
	cases := []struct {
		name, text string
		gbk, crlf  bool
		config     string
	}{
		{name: "kingdee", text: kingdeeLines},
		{name: "crlf, blank lines at the end", text: kingdeeLines + "\n\n", crlf: true},
		{name: "gbk", text: kingdeeLines, gbk: true, crlf: true},
		{name: "no document numbers", text: noDoc},
		{name: "names, not codes", text: strings.ReplaceAll(kingdeeLines, "客户编码", "备用"), config: "max_reject_ratio: 1\n"},
		{name: "tab", text: strings.ReplaceAll(kingdeeLines, ",", "\t")},
		{name: "slow stretches far apart", text: longKingdee()},
		{name: "slow stretches far apart, gbk", text: longKingdee(), gbk: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text := c.text
			if c.crlf {
				text = strings.ReplaceAll(text, "\n", "\r\n")
			}
			data := []byte(text)
			if c.gbk {
				// GBK has the ideographic space, not the others.
				data = []byte(strings.NewReplacer("\u00a0", "\u3000", "\u2002", "\u3000", "\u2003", "\u3000").Replace(text))
				var err error
				if data, err = simplifiedchinese.GBK.NewEncoder().Bytes(data); err != nil {
					t.Fatal(err)
				}
			}
			config := c.config
			if config == "" {
				config = "max_reject_ratio: 0.9\n"
			}
			fast, goPath := t.TempDir(), t.TempDir()
			write(t, filepath.Join(fast, "sales.csv"), data)
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(data)
			zw.Close()
			write(t, filepath.Join(goPath, "sales.csv.gz"), gz.Bytes())

			assertFastPath(t, filepath.Join(fast, "sales.csv"))
			got, gotStore := loadInbox(t, fast, config)
			want, wantStore := loadInbox(t, goPath, config)
			g, w := got.Files[0], want.Files[0]
			if g.Status != w.Status || g.Read != w.Read || g.Loaded != w.Loaded || g.Rejected != w.Rejected ||
				g.Duplicate != w.Duplicate || g.Summary != w.Summary {
				t.Errorf("fast: %s read %d loaded %d rejected %d duplicate %d summary %d; go: %s %d %d %d %d %d (%s)",
					g.Status, g.Read, g.Loaded, g.Rejected, g.Duplicate, g.Summary,
					w.Status, w.Read, w.Loaded, w.Rejected, w.Duplicate, w.Summary, w.Reason)
			}
			for _, q := range []string{
				`SELECT COLUMNS(* EXCLUDE (file_id))::VARCHAR FROM sales_lines ORDER BY line_no`,
				`SELECT line_no, reason, raw FROM rejects ORDER BY line_no`,
			} {
				if diff := cmp.Diff(queryRows(t, wantStore.DB, q), queryRows(t, gotStore.DB, q)); diff != "" {
					t.Errorf("%s (-go +fast):\n%s", q, diff)
				}
			}
		})
	}
}

// assertFastPath checks that the fast path takes the file and settles it
// without giving it back to the Go parser.
func assertFastPath(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	plan, err := planFast(ctx, path, defaultSource())
	if err != nil || plan == nil {
		t.Fatalf("the fast path does not take %s: %v", path, err)
	}
	defer plan.Close()
	store, err := OpenStore(ctx, StoreConfig{}, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
		if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE stage_lines AS SELECT * FROM sales_lines LIMIT 0"); err != nil {
			return err
		}
		res := &FileResult{FileID: 1, Ledger: "default"}
		stage := newStageWriter(ctx, c, 1, "default")
		defer stage.Release()
		rejects, err := newRejectWriter(c, 1)
		if err != nil {
			return err
		}
		defer rejects.Close()
		ok, err := loadFast(ctx, c, plan, &fileLoader{res: res, p: plan.parser, sink: salesSink{stage}, rejects: rejects})
		if err == nil && !ok {
			t.Errorf("the fast path gave %s back to the Go parser: read_csv did not return %d rows", path, plan.rows)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoRoomForTheBody loads an export when the fast path cannot write its
// body (TMPDIR missing): the Go parser reads it, with the same result.
func TestNoRoomForTheBody(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "sales.csv"), []byte(kingdeeLines))
	t.Setenv("TMPDIR", filepath.Join(dir, "missing"))
	plan, err := planFast(context.Background(), filepath.Join(dir, "sales.csv"), defaultSource())
	if err != nil || plan != nil {
		t.Fatalf("planFast without a temp folder: %v, %v; want neither a plan nor an error", plan, err)
	}
	res, _ := loadInbox(t, dir, "max_reject_ratio: 0.9\n")
	if f := res.Files[0]; f.Status != "loaded" || f.Loaded != 29 || f.Duplicate != 4 || f.Rejected != 11 {
		t.Errorf("without a temp folder: %s, %d loaded, %d duplicate, %d rejected; want loaded, 29, 4, 11 (%s)",
			f.Status, f.Loaded, f.Duplicate, f.Rejected, f.Reason)
	}
}

// TestFastPathDeclines lists files the fast path leaves to the Go parser.
func TestFastPathDeclines(t *testing.T) {
	head := "单据日期,单据编号,客户编码,价税合计\n"
	for name, text := range map[string]string{
		"quotes":           head + "2024-01-02,XS1,C1,\"1,000.00\"\n",
		"blank line":       head + "2024-01-02,XS1,C1,1\n\n2024-01-02,XS2,C1,1\n",
		"mixed line ends":  head + "2024-01-02,XS1,C1,1\r\n2024-01-02,XS2,C1,1\n",
		"lone CR":          head + "2024-01-02,XS1,C1,1\r2024-01-02,XS2,C1,1\n",
		"NUL":              head + "2024-01-02,XS1,C1,1\x00\n",
		"BOM inside":       head + "\ufeff2024-01-02,XS1,C1,1\n",
		"bad GBK (U+FFFD)": head + "2024-01-02,XS1,C1,\ufffd\n",
		"whitespace":       "日期 客户编码 金额\n2024-01-02 C1 1\n2024-01-03 C2 2\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "sales.csv")
			write(t, p, []byte(text))
			plan, err := planFast(context.Background(), p, defaultSource())
			if err != nil {
				t.Fatal(err)
			}
			if plan != nil {
				plan.Close()
				t.Errorf("the fast path takes a file with %s", name)
			}
		})
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func defaultSource() Source {
	cfg := DefaultConfig()
	src, _ := cfg.SourceFor("sales.csv")
	return src
}

// TestPlainCheckAcrossWrites feeds texts to the check whole and in pieces
// of one to five bytes: patterns that straddle two writes (a byte order
// mark, U+FFFD, CR LF, an empty line, a space character) count the same.
func TestPlainCheckAcrossWrites(t *testing.T) {
	texts := map[string]string{
		"plain":            kingdeeLines,
		"crlf":             strings.ReplaceAll(kingdeeLines, "\n", "\r\n") + "\r\n\r\n",
		"blank line":       "a,b\n1,2\n\n3,4\n",
		"blank crlf line":  "a,b\r\n1,2\r\n\r\n3,4\r\n",
		"BOM inside":       "\ufeffa,b\n1,\ufeff2\n",
		"BOM at the start": "\ufeffa,b\n1,2\n",
		"U+FFFD":           "a,b\n1,\ufffd\n",
		"ideographic":      "a,b\n1,\u30002\n",
		"no-break space":   "a,b\n1,\u00a02\n",
		"empty first line": "\na,b\n",
		"ends in blanks":   "a,b\n1,2\n\n\n",
	}
	for name, text := range texts {
		var whole plainCheck
		whole.Write([]byte(text))
		wl, wt, wok := whole.result()
		for size := 1; size <= 5; size++ {
			var c plainCheck
			for b := []byte(text); len(b) > 0; {
				n := min(size, len(b))
				c.Write(b[:n])
				b = b[n:]
			}
			l, tr, ok := c.result()
			if l != wl || tr != wt || ok != wok || c.spaces(',') != whole.spaces(',') {
				t.Errorf("%s in pieces of %d: lines %d, trailing %d, plain %t, spaces %t; whole: %d, %d, %t, %t",
					name, size, l, tr, ok, c.spaces(','), wl, wt, wok, whole.spaces(','))
			}
		}
	}
}
