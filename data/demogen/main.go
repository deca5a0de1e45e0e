// Command demogen writes the demo data of data/demo: two Kingdee-style
// sales exports in GBK that overlap, a customer master, all from a fixed
// seed, so that the same program always writes the same bytes.
//
//	go run ./data/demogen -out data/demo
package main

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

type customer struct {
	code, name, city, contact, phone string
	weight                           float64 // how often it orders
	fade                             bool    // orders stop after the summer
}

type product struct {
	code, name, category string
	price                float64
}

var products = []product{
	{"1.01.001", "A4复印纸 70g", "办公用品", 23.5},
	{"1.01.002", "中性笔 0.5mm(盒)", "办公用品", 18},
	{"1.01.003", "文件夹 A4", "办公用品", 6.8},
	{"2.01.001", "激光打印机 M1136", "电子产品", 1299},
	{"2.01.002", "无线鼠标", "电子产品", 89},
	{"2.01.003", "27寸显示器", "电子产品", 1099},
	{"3.01.001", "矿泉水 550ml(箱)", "食品饮料", 28},
	{"3.01.002", "速溶咖啡(盒)", "食品饮料", 45},
	{"4.01.001", "抽纸(提)", "日用百货", 32},
	{"4.01.002", "洗手液 500ml", "日用百货", 19.9},
}

var (
	cities   = []string{"上海市浦东新区", "北京市朝阳区", "深圳市南山区", "杭州市西湖区", "成都市高新区", "武汉市江汉区"}
	prefixes = []string{"华", "恒", "鑫", "瑞", "宏", "博", "盛", "嘉", "泰", "中", "金", "新"}
	middles  = []string{"信", "达", "源", "丰", "通", "远", "安", "和", "拓", "佳", "诚", "德"}
	suffixes = []string{"科技有限公司", "贸易有限公司", "商贸有限公司", "实业有限公司", "文化传媒有限公司", "餐饮管理有限公司"}
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄"}
)

func main() {
	out := flag.String("out", "data/demo", "the folder to write")
	flag.Parse()
	rng := rand.New(rand.NewPCG(2024, 1007))
	custs := makeCustomers(rng, 80)

	h1 := makeDocs(rng, custs, date(2024, 1, 2), date(2024, 6, 30), 1)
	h2 := makeDocs(rng, custs, date(2024, 7, 1), date(2024, 12, 30), 5000)
	// The second export holds the last documents of June again (exported
	// twice), one of them edited: a quantity corrected after the first export.
	overlap := h1[len(h1)-3:]
	again := make([]doc, len(overlap))
	for i, d := range overlap {
		again[i] = d.clone()
	}
	again[0].lines[0].qty += 5
	h2 = append(again, h2...)
	// An exact duplicate line inside one document.
	h2[5].lines = append(h2[5].lines, h2[5].lines[0])

	must(os.MkdirAll(filepath.Join(*out, "exports"), 0o755))
	must(os.MkdirAll(filepath.Join(*out, "master"), 0o755))
	writeGBK(filepath.Join(*out, "exports", "销售出库单_2024上半年.csv"), export("2024-01-01", "2024-06-30", h1, true))
	writeGBK(filepath.Join(*out, "exports", "销售出库单_2024下半年.csv"), export("2024-07-01", "2024-12-31", h2, false))
	writeGBK(filepath.Join(*out, "master", "客户资料.csv"), master(custs))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func makeCustomers(rng *rand.Rand, n int) []customer {
	seen := map[string]bool{}
	var out []customer
	for len(out) < n {
		name := prefixes[rng.IntN(len(prefixes))] + middles[rng.IntN(len(middles))] + suffixes[rng.IntN(len(suffixes))]
		if seen[name] {
			continue
		}
		seen[name] = true
		i := len(out) + 1
		c := customer{
			code:    fmt.Sprintf("C%04d", i),
			name:    name,
			city:    cities[rng.IntN(len(cities))],
			contact: surnames[rng.IntN(len(surnames))] + []string{"先生", "女士", "经理"}[rng.IntN(3)],
			phone:   fmt.Sprintf("1%d%09d", 3+rng.IntN(6), rng.IntN(1_000_000_000)),
			// A few large customers, many small ones: a Pareto-like base.
			weight: 0.2 + 6*rng.Float64()*rng.Float64()*rng.Float64(),
			fade:   rng.IntN(8) == 0,
		}
		// Master data is not always complete or correct.
		switch i % 17 {
		case 3:
			c.phone = ""
		case 7:
			c.phone = "021-1234"
		case 11:
			c.city = ""
		}
		out = append(out, c)
	}
	return out
}

type line struct {
	prod  product
	qty   float64
	price float64
}

type doc struct {
	no    string
	day   time.Time
	cust  customer
	lines []line
	red   bool // a return
}

func (d doc) clone() doc {
	d.lines = append([]line(nil), d.lines...)
	return d
}

func makeDocs(rng *rand.Rand, custs []customer, from, to time.Time, seq int) []doc {
	var docs []doc
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		if day.Weekday() == time.Sunday {
			continue
		}
		for _, c := range custs {
			if c.fade && day.Month() > 7 {
				continue
			}
			if rng.Float64() > c.weight/60 {
				continue
			}
			seq++
			d := doc{no: fmt.Sprintf("XSCK%06d", seq), day: day, cust: c}
			fav := rng.IntN(len(products))
			for n := 1 + rng.IntN(4); n > 0; n-- {
				p := products[fav]
				if rng.IntN(3) == 0 {
					p = products[rng.IntN(len(products))]
				}
				l := line{prod: p, qty: float64(1 + rng.IntN(20)), price: p.price}
				if !slices.Contains(d.lines, l) { // a repeated line would count as a duplicate
					d.lines = append(d.lines, l)
				}
			}
			docs = append(docs, d)
			// Now and then a part of the goods comes back: a red document.
			if rng.IntN(40) == 0 {
				seq++
				r := doc{no: fmt.Sprintf("XSTH%06d", seq), day: day.AddDate(0, 0, 3), cust: c, red: true,
					lines: []line{{prod: d.lines[0].prod, qty: -1, price: d.lines[0].price}}}
				if !r.day.After(to) {
					docs = append(docs, r)
				}
			}
		}
	}
	return docs
}

// money writes an amount as exports do: 1,234.50.
func money(v float64) string { return grouping.Sprintf("%.2f", v) }

var grouping = message.NewPrinter(language.English)

// export renders a Kingdee 销售出库单序时簿: a title, the period, the header,
// documents whose continuation lines leave the document cells blank, and a
// total row. bad adds the kind of lines a real export has now and then.
func export(from, to string, docs []doc, bad bool) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write([]string{"销售出库单序时簿"})
	w.Write([]string{"查询期间：" + from + " 至 " + to})
	w.Write([]string{"单据日期", "单据编号", "客户编码", "客户名称", "产品代码", "产品名称", "产品类别", "实发数量", "含税单价", "价税合计"})
	var qty, total float64
	for i, d := range docs {
		for j, l := range d.lines {
			amount := l.qty * l.price
			qty += l.qty
			total += amount
			row := []string{"", "", "", "", l.prod.code, l.prod.name, l.prod.category,
				fmt.Sprintf("%g", l.qty), fmt.Sprintf("%.2f", l.price), money(amount)}
			if j == 0 {
				row[0], row[1], row[2], row[3] = d.day.Format("2006/1/2"), d.no, d.cust.code, d.cust.name
			}
			w.Write(row)
		}
		if bad && i == 40 {
			w.Write([]string{"2024/2/30", "XSCK900001", "C0001", "", "1.01.001", "A4复印纸 70g", "办公用品", "2", "23.50", "47.00"})
		}
		if bad && i == 90 {
			w.Write([]string{"2024/3/15", "XSCK900002", "C0002", "", "1.01.002", "中性笔 0.5mm(盒)", "办公用品", "3", "18.00", "五十四"})
		}
		if bad && i == 150 {
			w.Write([]string{"2024/4/8", "XSCK900003", "", "", "1.01.003", "文件夹 A4", "办公用品", "1", "6.80", "6.80"})
		}
	}
	w.Write([]string{"合计", "", "", "", "", "", "", fmt.Sprintf("%g", qty), "", money(total)})
	w.Flush()
	return buf.Bytes()
}

// master renders the customer master (客户资料) as Kingdee exports it. Its
// category is the one the ERP holds, set once by expected volume, so it
// mostly agrees with the computed segment and now and then does not. Like
// a real master it has gaps and errors, for the data quality checks:
// missing phones and addresses and a malformed phone (makeCustomers), a
// missing contact, a customer with sales never entered, and one company
// entered twice under two codes.
func master(custs []customer) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Write([]string{"客户编码", "客户名称", "地址", "联系人", "电话", "客户类别"})
	for i, c := range custs {
		cat := "C"
		switch {
		case c.weight > 2:
			cat = "A"
		case c.weight > 0.5:
			cat = "B"
		}
		switch i {
		case 49:
			continue // buys, but was never entered in the master
		case 5, 60:
			c.contact = ""
		case 18:
			c.phone = "+86 " + c.phone // a tolerated form
		case 33:
			c.phone = "0571-88776655转802"
		}
		w.Write([]string{c.code, c.name, c.city, c.contact, c.phone, cat})
	}
	twice := custs[11]
	w.Write([]string{fmt.Sprintf("C%04d", len(custs)+1), twice.name, twice.city, twice.contact, "0571-8765432", "C"})
	w.Flush()
	return buf.Bytes()
}

func writeGBK(path string, utf8Text []byte) {
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes(utf8Text)
	must(err)
	must(os.WriteFile(path, b, 0o644))
}
