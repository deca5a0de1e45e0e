package pipeline

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

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

// customerAliases are the column titles of customer master exports:
// Kingdee (客户编码, 地址 or 通讯地址, 电话, 联系电话 or 手机, 客户类别 ...),
// Yonyou U8 (客户编码, 客户简称, 所属分类 ...) and English. The same
// order of preference holds: 客户名称 over 客户简称, 电话 over 手机.
var customerAliases = map[string][]string{
	"customer_code": {"客户编码", "客户代码", "客户编号", "客户id", "客户号", "代码", "编码",
		"customercode", "customerid", "customerno", "custcode", "custid", "clientcode", "clientid", "code"},
	"customer_name": {"客户名称", "客户全称", "全名", "名称", "客户简称", "客户",
		"customername", "customer", "clientname", "client", "companyname", "name"},
	"address": {"地址", "通讯地址", "联系地址", "客户地址", "详细地址", "办公地址", "公司地址", "注册地址",
		"address", "addr", "streetaddress"},
	"contact": {"联系人", "联系人姓名", "客户联系人", "业务联系人",
		"contact", "contactperson", "contactname"},
	"phone": {"电话", "联系电话", "电话号码", "办公电话", "手机", "手机号", "手机号码", "移动电话",
		"phone", "telephone", "tel", "phoneno", "phonenumber", "mobile", "mobilephone"},
	"category": {"客户类别", "客户分类", "客户等级", "所属分类", "客户类型", "分类", "类别",
		"category", "customercategory", "customerclass", "customergroup", "class", "grade"},
}

// exportSchema is what one kind of export holds: its fields, in the order
// a columnMap indexes them, and the header aliases of each.
type exportSchema struct {
	kind    string
	fields  []string
	index   map[string]aliasRank // normalised alias -> field and preference
	needs   func(m columnMap) []string
	example string // a columns mapping for the hint of a missing field
	date    int    // the field that holds dates; -1 if none
}

type aliasRank struct {
	field string
	rank  int
}

func newSchema(kind string, fields []string, aliases map[string][]string, needs func(columnMap) []string, example string) *exportSchema {
	s := &exportSchema{kind: kind, fields: fields, index: map[string]aliasRank{}, needs: needs, example: example}
	for f, names := range aliases {
		for i, n := range names {
			s.index[normHeader(n)] = aliasRank{f, i}
		}
	}
	s.date = s.fieldIndex("date")
	return s
}

var (
	salesSchema = newSchema(KindSales, Fields, headerAliases, func(m columnMap) []string {
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
		return missing
	}, "{amount: 价税合计}")
	customerSchema = newSchema(KindCustomers, CustomerFields, customerAliases, func(m columnMap) []string {
		if m[cCode] < 0 && m[cName] < 0 {
			return []string{"customer_code or customer_name"}
		}
		return nil
	}, "{customer_code: 客户号}")
)

// schema is the kind of export src reads.
func (src Source) schema() *exportSchema {
	if src.Kind == KindCustomers {
		return customerSchema
	}
	return salesSchema
}

func (s *exportSchema) fieldIndex(name string) int {
	for i, f := range s.fields {
		if f == name {
			return i
		}
	}
	return -1
}

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

// columnMap says which cell holds each field of a schema; -1 where the
// export has none.
type columnMap []int

// at is the column of field f; -1 where there is none, or no such field.
func (m columnMap) at(f int) int {
	if f < 0 || f >= len(m) {
		return -1
	}
	return m[f]
}

func (s *exportSchema) emptyMap() columnMap {
	m := make(columnMap, len(s.fields))
	for i := range m {
		m[i] = -1
	}
	return m
}

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
)

// The fields of a customer master, as CustomerFields orders them.
const (
	cCode = iota
	cName
	cAddress
	cContact
	cPhone
	cCategory
)

// headerScore counts the cells of a row that name a field.
func headerScore(cells []string, src Source) int {
	return src.schema().score(cells, src)
}

func (s *exportSchema) score(cells []string, src Source) int {
	n := 0
	for _, c := range cells {
		h := normHeader(c)
		if h == "" {
			continue
		}
		if _, ok := s.index[h]; ok {
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
	sch := src.schema()
	m := sch.emptyMap()
	rank := make([]int, len(m))
	for i := range rank {
		rank[i] = 1 << 30
	}
	norm := make([]string, len(cells))
	for i, c := range cells {
		norm[i] = normHeader(c)
	}
	explicit := map[int]bool{}
	for field, ref := range src.Columns {
		f := sch.fieldIndex(field)
		if f < 0 {
			return m, fmt.Errorf("source %s maps %s, which is not a field of a %s export; write one of %s",
				src.Name, field, sch.kind, strings.Join(sch.fields, ", "))
		}
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
		a, ok := sch.index[h]
		if !ok || taken[i] {
			continue
		}
		f := sch.fieldIndex(a.field)
		if explicit[f] || a.rank >= rank[f] {
			continue
		}
		m[f], rank[f] = i, a.rank
	}
	if err := m.complete(src); err != nil {
		// A master export read by a sales source lacks dates and amounts:
		// say what it is rather than only what it lacks.
		if sch.kind == KindSales && customerSchema.score(cells, src) >= 3 {
			return m, fmt.Errorf("%w; this header looks like a customer master export: give its files a source with kind: customers", err)
		}
		return m, fmt.Errorf("%w; %s", err, missingColumnHint(cells, src, m))
	}
	return m, nil
}

// complete says what a mapping lacks to make lines of its kind.
func (m columnMap) complete(src Source) error {
	sch := src.schema()
	missing := sch.needs(m)
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("no column for %s; map it under sources (name: %s) columns, for example columns: %s",
		strings.Join(missing, ", "), src.Name, sch.example)
}

// positionalMap is the mapping of a file without a header: positions only.
func positionalMap(src Source) (columnMap, bool) {
	sch := src.schema()
	m := sch.emptyMap()
	if len(src.Columns) == 0 {
		return m, false
	}
	for field, ref := range src.Columns {
		f := sch.fieldIndex(field)
		if ref.Position < 1 || f < 0 {
			return m, false
		}
		m[f] = ref.Position - 1
	}
	return m, m.complete(src) == nil
}

// summaryWords mark total and subtotal rows.
var summaryWords = []string{"合计", "小计", "总计", "累计", "total", "subtotal", "grandtotal"}

// isSummaryRow says whether a row is a total or subtotal line: one of its
// leading cells says so.
func isSummaryRow(cells []string) bool {
	if !maySumUp(cells) {
		return false
	}
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

// summaryInitials are the first letters of the summary words as
// normHeader leaves them.
var summaryInitials = func() []rune {
	var out []rune
	for _, w := range summaryWords {
		for _, r := range normHeader(w) {
			out = append(out, r)
			break
		}
	}
	return out
}()

// maySumUp is a cheap test that isSummaryRow's holds only if it does: one
// of the first cells, past what normHeader drops at its start, begins with
// the first letter of a summary word, narrowed and in lower case as
// normHeader has it. It allocates nothing, and most cells fail it at their
// first letter.
func maySumUp(cells []string) bool {
	for i, c := range cells {
		if i >= 4 {
			break
		}
		for _, r := range c {
			if r >= utf8.RuneSelf {
				if n := width.LookupRune(r).Narrow(); n != 0 {
					r = n
				}
			}
			r = unicode.ToLower(r)
			if slices.Contains(summaryInitials, r) {
				return true
			}
			if !unicode.IsSpace(r) && r != '\ufeff' && !strings.ContainsRune(" _-.*:\t\u3000", r) {
				break // not dropped by normHeader: the cell starts here
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
