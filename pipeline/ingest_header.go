package pipeline

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/width"
)

// headerAliases are the column titles that Kingdee, Yonyou and common
// English exports use for each field, in order of preference: where an
// export has two candidates (金额 and 价税合计), the earlier one wins.
var headerAliases = map[string][]string{
	"date": {"单据日期", "日期", "出库日期", "业务日期", "订单日期", "销售日期", "开票日期", "发货日期",
		"date", "orderdate", "invoicedate", "docdate", "documentdate", "transactiondate", "salesdate"},
	"doc_no": {"单据编号", "订单编号", "单据号", "单号", "订单号", "出库单号", "发票号", "发票号码",
		"docno", "documentno", "documentnumber", "invoiceno", "invoicenumber", "invoice", "orderno", "ordernumber", "orderid"},
	"customer_code": {"客户编码", "客户代码", "客户编号", "客户id", "购货单位编码", "客户号",
		"customercode", "customerid", "customerno", "custcode", "custid", "clientcode", "clientid"},
	"customer_name": {"客户名称", "购货单位", "客户", "客户全称", "客户简称",
		"customername", "customer", "clientname", "client"},
	"item_code": {"商品编码", "产品代码", "物料编码", "产品长代码", "存货编码", "物料代码", "商品代码",
		"itemcode", "itemno", "sku", "stockcode", "productcode", "productid"},
	"item_name": {"商品名称", "产品名称", "物料名称", "存货名称",
		"itemname", "description", "productname", "product", "item"},
	"category": {"商品类别", "产品类别", "物料分组", "存货分类", "商品分类", "产品分类", "物料类别",
		"category", "productcategory", "itemcategory", "productgroup"},
	"quantity":   {"数量", "实发数量", "销售数量", "出库数量", "quantity", "qty"},
	"unit_price": {"含税单价", "单价", "unitprice", "price"},
	"amount":     {"价税合计", "含税金额", "金额", "销售金额", "amount", "totalamount", "linetotal", "revenue", "sales", "total"},
}

var aliasIndex = func() map[string]struct {
	field string
	rank  int
} {
	m := map[string]struct {
		field string
		rank  int
	}{}
	for f, names := range headerAliases {
		for i, n := range names {
			m[normHeader(n)] = struct {
				field string
				rank  int
			}{f, i}
		}
	}
	return m
}()

var parenthetical = regexp.MustCompile(`\([^)]*\)$`)

// normHeader folds a column title for matching: half-width, lower case,
// no spaces, underscores, marks or a trailing unit in parentheses.
func normHeader(s string) string {
	s = width.Narrow.String(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "\ufeff")
	s = parenthetical.ReplaceAllString(s, "")
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', '*', ':', '\t', '\u3000':
			return -1
		}
		return r
	}, s)
}

// columnMap says which cell holds each field; -1 where the export has none.
type columnMap [numFields]int

const (
	fDate = iota
	fDocNo
	fCustomerCode
	fCustomerName
	fItemCode
	fItemName
	fCategory
	fQuantity
	fUnitPrice
	fAmount
	numFields
)

func fieldIndex(name string) int {
	for i, f := range Fields {
		if f == name {
			return i
		}
	}
	return -1
}

// headerScore counts the cells of a row that name a field.
func headerScore(cells []string, src Source) int {
	n := 0
	for _, c := range cells {
		h := normHeader(c)
		if h == "" {
			continue
		}
		if _, ok := aliasIndex[h]; ok {
			n++
			continue
		}
		for _, ref := range src.Columns {
			if ref.Header != "" && normHeader(ref.Header) == h {
				n++
				break
			}
		}
	}
	return n
}

// mapHeader maps a header row to fields: the source's explicit columns
// first, then the built-in aliases.
func mapHeader(cells []string, src Source) (columnMap, error) {
	var m columnMap
	rank := [numFields]int{}
	for i := range m {
		m[i] = -1
		rank[i] = 1 << 30
	}
	norm := make([]string, len(cells))
	for i, c := range cells {
		norm[i] = normHeader(c)
	}
	explicit := map[int]bool{}
	for field, ref := range src.Columns {
		f := fieldIndex(field)
		switch {
		case ref.Position > 0:
			m[f] = ref.Position - 1
		case ref.Header != "":
			want := normHeader(ref.Header)
			found := -1
			for i, h := range norm {
				if h == want {
					found = i
					break
				}
			}
			if found < 0 {
				return m, fmt.Errorf("source %s maps %s to column %q, which this file's header lacks; the header has: %s",
					src.Name, field, ref.Header, strings.Join(cells, ", "))
			}
			m[f] = found
		}
		explicit[f] = true
	}
	taken := map[int]bool{}
	for _, i := range m {
		if i >= 0 {
			taken[i] = true
		}
	}
	for i, h := range norm {
		a, ok := aliasIndex[h]
		if !ok || taken[i] {
			continue
		}
		f := fieldIndex(a.field)
		if explicit[f] || a.rank >= rank[f] {
			continue
		}
		m[f], rank[f] = i, a.rank
	}
	return m, m.complete(src)
}

// complete says what a mapping lacks to make sales lines.
func (m columnMap) complete(src Source) error {
	var missing []string
	if m[fDate] < 0 {
		missing = append(missing, "date")
	}
	if m[fCustomerCode] < 0 && m[fCustomerName] < 0 {
		missing = append(missing, "customer_code or customer_name")
	}
	if m[fAmount] < 0 && (m[fQuantity] < 0 || m[fUnitPrice] < 0) {
		missing = append(missing, "amount (or quantity and unit_price)")
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("no column for %s; map it under sources (name: %s) columns, for example columns: {amount: 价税合计}",
		strings.Join(missing, ", "), src.Name)
}

// positionalMap is the mapping of a file without a header: positions only.
func positionalMap(src Source) (columnMap, bool) {
	var m columnMap
	for i := range m {
		m[i] = -1
	}
	if len(src.Columns) == 0 {
		return m, false
	}
	for field, ref := range src.Columns {
		if ref.Position < 1 {
			return m, false
		}
		m[fieldIndex(field)] = ref.Position - 1
	}
	return m, m.complete(src) == nil
}

// summaryWords mark total and subtotal rows.
var summaryWords = []string{"合计", "小计", "总计", "累计", "total", "subtotal", "grandtotal"}

// isSummaryRow says whether a row is a total or subtotal line: one of its
// leading cells says so.
func isSummaryRow(cells []string) bool {
	for i, c := range cells {
		if i >= 4 {
			break
		}
		h := normHeader(c)
		for _, w := range summaryWords {
			if h == w || (strings.HasPrefix(h, w) && !isLetterAfter(h, w)) {
				return true
			}
		}
	}
	return false
}

// isLetterAfter keeps "totalwine" from being a total: what follows the
// word must not continue it.
func isLetterAfter(h, w string) bool {
	rest := h[len(w):]
	if rest == "" {
		return false
	}
	c := rest[0]
	return c >= 'a' && c <= 'z' || c >= 0x80 && !strings.ContainsAny(rest[:min(3, len(rest))], "：，")
}
