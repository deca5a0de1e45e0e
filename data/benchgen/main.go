// Command benchgen writes the sales exports of the benchmark: Kingdee-style
// 销售出库单 CSV (a title line, the header, documents whose continuation
// lines leave the document cells blank, a few bad lines, a 合计 row), from a
// fixed seed, so that the same flags always write the same bytes.
//
//	go run ./data/benchgen -lines 1000000 -customers 5000 -o sales_1m.csv
//	go run ./data/benchgen -lines 30000 -customers 50000 -from 2025-01-01 -to 2025-01-01 -docs 90000000 -o nightly.csv
//
// With -reshape it writes instead a real-shaped copy of a plain export
// (the one-header, every-cell UTF-8 file of the yardsticks' generator):
// the same lines in GBK with CRLF ends, under a title line, the document
// cells (date, number, customer) left blank on the continuation lines of a
// document, amounts and prices of 1,000 or more written "1,234.50", quoted,
// and a 合计 row at the end. custcat reads both to the same lines.
//
//	go run ./data/benchgen -reshape lines_1m.csv -o real_1m.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

type product struct {
	code, name, category string
	cents                int64
}

var (
	prefixes   = []string{"华", "恒", "鑫", "瑞", "宏", "博", "盛", "嘉", "泰", "中", "金", "新", "永", "广", "东", "天"}
	middles    = []string{"信", "达", "源", "丰", "通", "远", "安", "和", "拓", "佳", "诚", "德", "汇", "润", "隆", "兴"}
	suffixes   = []string{"科技有限公司", "贸易有限公司", "商贸有限公司", "实业有限公司", "文化传媒有限公司", "餐饮管理有限公司"}
	categories = []string{"办公用品", "电子产品", "食品饮料", "日用百货", "五金工具", "劳保用品", "包装材料", "清洁用品"}
	colors     = []string{"白色", "黑色", "蓝色", "灰色", "红色"}
	goods      = []string{"复印纸", "中性笔", "文件夹", "打印机", "无线鼠标", "显示器", "矿泉水", "速溶咖啡", "抽纸", "洗手液", "螺丝刀", "手套", "纸箱", "拖把"}
)

func main() {
	lines := flag.Int("lines", 1_000_000, "data lines to write")
	customers := flag.Int("customers", 5000, "customers the lines fall on")
	from := flag.String("from", "2023-01-01", "the first document date")
	to := flag.String("to", "2024-12-31", "the last document date")
	firstDoc := flag.Int("docs", 1, "the number of the first document")
	seed := flag.Uint64("seed", 7, "the seed of the generator")
	gbk := flag.Bool("gbk", false, "write GBK instead of UTF-8")
	out := flag.String("o", "", "the file to write (written whole: a .part file renamed at the end)")
	reshape := flag.String("reshape", "", "a plain export to write a real-shaped copy of")
	flag.Parse()
	if *out == "" {
		log.Fatal("benchgen: -o is required")
	}
	if *reshape != "" {
		if err := reshapeFile(*reshape, *out); err != nil {
			log.Fatalf("benchgen: %v", err)
		}
		return
	}
	start, err1 := time.Parse(time.DateOnly, *from)
	end, err2 := time.Parse(time.DateOnly, *to)
	if err1 != nil || err2 != nil || end.Before(start) {
		log.Fatalf("benchgen: -from and -to must be dates YYYY-MM-DD, from <= to")
	}
	tmp := *out + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		log.Fatal(err)
	}
	var w io.Writer = f
	if *gbk {
		w = simplifiedchinese.GBK.NewEncoder().Writer(f)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := gen{rng: rand.New(rand.NewPCG(*seed, 2024)), customers: *customers}
	g.setup()
	g.write(bw, *lines, start, end, *firstDoc)
	if err := bw.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		log.Fatal(err)
	}
}

type gen struct {
	rng       *rand.Rand
	customers int
	names     []string
	products  []product
	zipf      *rand.Zipf
}

func (g *gen) setup() {
	g.names = make([]string, g.customers)
	for i := range g.names {
		g.names[i] = prefixes[g.rng.IntN(len(prefixes))] + middles[g.rng.IntN(len(middles))] +
			middles[g.rng.IntN(len(middles))] + suffixes[g.rng.IntN(len(suffixes))]
	}
	for i := range 400 {
		cat := categories[i%len(categories)] + "-" + categories[(i/8)%len(categories)][:6] + "类"
		g.products = append(g.products, product{
			code: fmt.Sprintf("%d.%02d.%04d.%03d", 1+i%8, 1+i%13, i, g.rng.IntN(1000)),
			name: fmt.Sprintf("%s 型号%d 规格%d件/包 %s", goods[g.rng.IntN(len(goods))], 100+i,
				10*(1+g.rng.IntN(50)), colors[g.rng.IntN(len(colors))]),
			category: cat,
			cents:    int64(100 + g.rng.IntN(200000)),
		})
	}
	// A few customers buy often, most rarely: a Pareto-like base.
	g.zipf = rand.NewZipf(g.rng, 1.05, 20, uint64(g.customers-1))
}

// write renders the export: documents spread evenly over the days, each of
// one to five lines, the document cells on its first line only.
func (g *gen) write(w *bufio.Writer, lines int, from, to time.Time, doc int) {
	days := int(to.Sub(from).Hours()/24) + 1
	w.WriteString("销售出库单序时簿\r\n")
	w.WriteString("单据日期,单据编号,客户编码,客户名称,物料编码,物料名称,物料类别,数量,含税单价,价税合计\r\n")
	var buf []byte
	var total int64
	for n := 0; n < lines; doc++ {
		day := from.AddDate(0, 0, n*days/lines)
		cust := int(g.zipf.Uint64())
		if g.rng.IntN(4) == 0 { // everyone buys now and then
			cust = g.rng.IntN(g.customers)
		}
		red := g.rng.IntN(50) == 0
		k := 1 + g.rng.IntN(5)
		for j := 0; j < k && n < lines; j++ {
			p := g.products[g.rng.IntN(len(g.products))]
			qty := int64(1 + g.rng.IntN(50))
			if red {
				qty = -qty
			}
			buf = buf[:0]
			if j == 0 {
				if doc%80_000 == 0 {
					// Now and then a line a real export has: a date that does not exist.
					buf = append(buf, "2024/2/30"...)
				} else {
					buf = day.AppendFormat(buf, "2006/1/2")
				}
				buf = fmt.Appendf(buf, ",XSCK%08d,C%06d,%s", doc, cust+1, g.names[cust])
			} else {
				buf = append(buf, ",,,"...)
			}
			buf = fmt.Appendf(buf, ",%s,%s,%s,%d,%d.%02d,", p.code, p.name, p.category, qty, p.cents/100, p.cents%100)
			amount := qty * p.cents
			total += amount
			buf = appendCents(buf, amount)
			buf = append(buf, '\r', '\n')
			w.Write(buf)
			n++
		}
	}
	buf = append(buf[:0], "合计,,,,,,,,,"...)
	buf = appendCents(buf, total)
	buf = append(buf, '\r', '\n')
	w.Write(buf)
}

func appendCents(b []byte, c int64) []byte {
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	return fmt.Appendf(b, "%d.%02d", c/100, c%100)
}

// reshapeFile writes the real-shaped copy of the plain export in to out.
func reshapeFile(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	tmp := out + ".part"
	o, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	bw := bufio.NewWriterSize(o, 1<<20)
	enc := simplifiedchinese.GBK.NewEncoder()
	sc := bufio.NewScanner(bufio.NewReaderSize(f, 1<<20))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	write := func(s string) error {
		b, err := enc.String(s)
		if err != nil {
			return fmt.Errorf("%q: %w", s, err)
		}
		bw.WriteString(b)
		bw.WriteString("\r\n")
		return nil
	}
	if !sc.Scan() {
		return fmt.Errorf("%s: no header", in)
	}
	if err := write("销售出库单序时簿"); err != nil {
		return err
	}
	if err := write(sc.Text()); err != nil {
		return err
	}
	var prev [4]string // date, document, customer code and name of the line above
	var total int64
	for n := 2; sc.Scan(); n++ {
		cells := strings.Split(sc.Text(), ",")
		if len(cells) != 10 {
			return fmt.Errorf("%s line %d: %d cells, want 10", in, n, len(cells))
		}
		head := [4]string(cells[:4])
		if head == prev {
			cells[0], cells[1], cells[2], cells[3] = "", "", "", ""
		}
		prev = head
		c, err := cents(cells[9])
		if err != nil {
			return fmt.Errorf("%s line %d: %w", in, n, err)
		}
		total += c
		for _, i := range []int{8, 9} {
			cells[i] = thousands(cells[i])
		}
		if err := write(strings.Join(cells, ",")); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := write("合计,,,,,,,,," + string(appendCents(nil, total))); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := o.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// thousands writes a number of 1,000 or more with thousands separators,
// quoted, as spreadsheets export them: 1234.50 -> "1,234.50".
func thousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	digits, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if len(digits) <= 3 {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	if neg {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	b.WriteByte('"')
	return b.String()
}

// cents reads an amount of two decimals at most.
func cents(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac[:2], 10, 64)
	if err1 != nil || err2 != nil || len(frac) > 2 {
		return 0, fmt.Errorf("amount %q", s)
	}
	if neg {
		return -(w*100 + f), nil
	}
	return w*100 + f, nil
}
