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

// headerAliases are the column titles that Kingdee, Yonyou, 吉客云 and
// common English exports use for each field, in order of preference: where
// an export has two candidates (金额 and 价税合计), the earlier one wins.
// The README's alias tables say which ERP and export each comes from. The
// order of the totals: with tax before without; the ledger's currency
// (本币) before the document's (原币), which a foreign-currency ledger
// writes beside it; a total after the order's discounts (分摊后金额,
// 实收金额) before the line's amount before them (金额); an order's total
// (订单金额), which may repeat on every line of the order, last. The
// F... keys (FBillNo, FAllAmount ...) are the field keys of Kingdee
// 云星空, the first header row of its 引出 exports; they stand beside the
// caption of the same field.
var headerAliases = map[string][]string{
	"date": {"单据日期", "日期", "FDate", "出库日期", "业务日期", "订单日期", "下单时间", "销售日期", "开票日期",
		"发货日期", "发货时间", "到货日期", "退货日期",
		"date", "orderdate", "invoicedate", "docdate", "documentdate", "transactiondate", "salesdate"},
	"doc_no": {"单据编号", "FBillNo", "订单编号", "单据号", "单号", "订单号", "出库单号", "发货单号", "退货单号", "发票号", "发票号码",
		"docno", "documentno", "documentnumber", "invoiceno", "invoicenumber", "invoice", "orderno", "ordernumber", "orderid"},
	"customer_code": {"客户编码", "FCustId", "FCustomerID", "客户代码", "客户编号", "客户id", "购货单位编码", "客户号",
		"customercode", "customerid", "customerno", "custcode", "custid", "clientcode", "clientid"},
	"customer_name": {"客户名称", "FCustId#Name", "FCustomerID#Name", "购货单位", "客户", "客户全称", "客户简称",
		"customername", "customer", "clientname", "client"},
	"item_code": {"商品编码", "产品代码", "物料编码", "FMaterialId", "产品长代码", "存货编码", "物料代码", "商品代码",
		"itemcode", "itemno", "sku", "stockcode", "productcode", "productid"},
	"item_name": {"商品名称", "产品名称", "物料名称", "FMaterialId#Name", "FMaterialName", "存货名称",
		"itemname", "description", "productname", "product", "item"},
	"category": {"商品类别", "产品类别", "物料分组", "存货分类", "商品分类", "产品分类", "物料类别",
		"category", "productcategory", "itemcategory", "productgroup"},
	"quantity":   {"数量", "实发数量", "FRealQty", "销售数量", "FQty", "出库数量", "quantity", "qty"},
	"unit_price": {"含税单价", "FTaxPrice", "单价", "FPrice", "unitprice", "price"},
	"amount": {"本币价税合计", "FAllAmount_LC", "价税合计", "FAllAmount", "原币价税合计", "发货价税合计",
		"本币含税金额", "含税金额", "原币含税金额", "分摊后金额", "实收金额", "成交金额", "结算金额",
		"金额", "FAmount", "销售金额", "销售额", "订单金额",
		"amount", "totalamount", "linetotal", "revenue", "sales", "total"},
}

// aliasMeanings say what a column holds, by its folded title (normHeader),
// for check to explain why it took one of two candidates: "分摊后金额 is
// the amount after the order's discounts, 金额 the line's amount before them".
var aliasMeanings = map[string]string{
	"本币价税合计":       "the total with tax in the ledger's currency",
	"fallamountlc": "the total with tax in the ledger's currency",
	"价税合计":         "the total with tax",
	"fallamount":   "the total with tax",
	"原币价税合计":       "the total with tax in the document's currency",
	"发货价税合计":       "the total with tax of the delivery",
	"本币含税金额":       "the amount with tax in the ledger's currency",
	"含税金额":         "the amount with tax",
	"原币含税金额":       "the amount with tax in the document's currency",
	"分摊后金额":        "the amount after the order's discounts are shared out over its lines",
	"实收金额":         "the amount received, after discounts",
	"成交金额":         "the amount of the deal, after discounts",
	"结算金额":         "the amount settled",
	"金额":           "the line's amount (before tax in Kingdee and Yonyou, before the order's discounts in 吉客云)",
	"famount":      "the line's amount before tax",
	"销售金额":         "the sales amount",
	"销售额":          "the sales amount",
	"订单金额":         "the order's amount, which may be the whole order's on each of its lines",
	"单据日期":         "the document's date",
	"日期":           "the document's date",
	"fdate":        "the document's date",
	"订单日期":         "the date of the order",
	"下单时间":         "the time of the order",
	"开票日期":         "the date of the invoice",
	"发货日期":         "the date of the delivery",
	"发货时间":         "the time of the delivery",
	"到货日期":         "the date the goods arrived",
	"退货日期":         "the date of the return",
	"客户名称":         "the customer's full name",
	"客户简称":         "the customer's short name",
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
	kind   string
	fields []string
	index  map[string]aliasRank // normalised alias -> field and preference
	needs  func(m columnMap) []string
	// examples map each missing field (as needs names it) in the hint,
	// with a title no alias has: the user's column has another name.
	examples map[string]string
	date     int // the field that holds dates; -1 if none
}

type aliasRank struct {
	field string
	rank  int
}

func newSchema(kind string, fields []string, aliases map[string][]string, needs func(columnMap) []string, examples map[string]string) *exportSchema {
	s := &exportSchema{kind: kind, fields: fields, index: map[string]aliasRank{}, needs: needs, examples: examples}
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
	}, map[string]string{
		"date":                                "date: 开单日",
		"customer_code or customer_name":      "customer_code: 往来单位编码",
		"amount (or quantity and unit_price)": "amount: 本单金额",
	})
	customerSchema = newSchema(KindCustomers, CustomerFields, customerAliases, func(m columnMap) []string {
		if m[cCode] < 0 && m[cName] < 0 {
			return []string{"customer_code or customer_name"}
		}
		return nil
	}, map[string]string{"customer_code or customer_name": "customer_code: 往来单位编码"})
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

var (
	parenthetical = regexp.MustCompile(`\([^)]*\)$`)
	// groupPrefix is the group a 云星空 caption names first: (基本信息)日期.
	groupPrefix = regexp.MustCompile(`^\([^)]*\)`)
	// currencyNote is a currency named after the title, 价税合计(本币): it
	// tells two totals apart, so it moves to the front (本币价税合计)
	// rather than go with the other units in parentheses.
	currencyNote   = regexp.MustCompile(`\((本币|原币|本位币)\)$`)
	currencyPrefix = regexp.MustCompile(`^\((本币|原币|本位币)\)`)
)

// normHeader folds a column title for matching: half-width, lower case,
// no spaces, underscores, marks or a trailing unit in parentheses. The
// marks of 云星空 captions go too: the required mark and group of
// *(基本信息)日期, and the # of 客户#编码 (客户编码) and FCustId#Name.
func normHeader(s string) string {
	s = width.Narrow.String(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.TrimLeft(s, "* ")
	if m := groupPrefix.FindString(s); m != "" && !currencyPrefix.MatchString(m) {
		s = strings.TrimPrefix(s, m)
	}
	s = baseDataPart(s)
	if m := currencyNote.FindStringSubmatch(s); m != nil {
		s = strings.Replace(m[1], "本位币", "本币", 1) + strings.TrimSuffix(s, m[0])
	} else if m := currencyPrefix.FindStringSubmatch(s); m != nil {
		s = strings.Replace(m[1], "本位币", "本币", 1) + strings.TrimPrefix(s, m[0])
	}
	s = parenthetical.ReplaceAllString(s, "")
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '.', '*', ':', '#', '\t', '\u3000':
			return -1
		}
		return r
	}, s)
}

// baseDataPart reads the caption of one part of a 云星空 base-data field:
// 客户#编码 is the customer's code (客户编码), 客户#名称 its name
// (客户名称), and a field whose caption names the code already keeps it:
// 物料编码#编码 is 物料编码, 物料编码#名称 is 物料名称.
func baseDataPart(s string) string {
	field, part, ok := strings.Cut(s, "#")
	if !ok {
		return s
	}
	base := field
	for _, w := range []string{"编码", "代码", "编号"} {
		base = strings.TrimSuffix(base, w)
	}
	switch part {
	case "编码", "代码":
		if base != field {
			return field
		}
		return field + part
	case "名称":
		return base + part
	}
	return s
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

// headerMap is how a header maps to fields.
type headerMap struct {
	cols columnMap
	// seq are the columns that number a document's entities (FBillHead(...),
	// FEntity, *基本信息(序号), 序号): not data, so that a row with nothing
	// else in it is a row of empty cells.
	seq []int
	// choices say, for each field two columns could give, which was taken
	// and why.
	choices []string
}

// mapHeader maps a header row to fields.
func mapHeader(cells []string, src Source) (columnMap, error) {
	h, err := mapHeaders(cells, nil, src)
	return h.cols, err
}

// mapHeaders maps a header to fields: the source's explicit columns first,
// then the built-in aliases. other is the other header row of a 云星空
// 引出 export, or nil: a column whose title in cells names no field is
// mapped by its title in other.
func mapHeaders(cells, other []string, src Source) (headerMap, error) {
	sch := src.schema()
	h := headerMap{cols: sch.emptyMap()}
	m := h.cols
	rank := make([]int, len(m))
	for i := range rank {
		rank[i] = 1 << 30
	}
	// titles[i] are the titles of column i: its cell in each header row.
	titles := make([][]string, len(cells))
	for i, c := range cells {
		titles[i] = []string{c}
		if i < len(other) && strings.TrimSpace(other[i]) != "" {
			titles[i] = append(titles[i], other[i])
		}
	}
	explicit := map[int]bool{}
	for field, ref := range src.Columns {
		f := sch.fieldIndex(field)
		if f < 0 {
			return h, fmt.Errorf("source %s maps %s, which is not a field of a %s export; write one of %s",
				src.Name, field, sch.kind, strings.Join(sch.fields, ", "))
		}
		switch {
		case ref.Position > 0:
			m[f] = ref.Position - 1
		case ref.Header != "":
			found := columnTitled(titles, normHeader(ref.Header))
			if found < 0 {
				has := strings.Join(cells, ", ")
				if other != nil {
					has += "; and in its other header row: " + strings.Join(other, ", ")
				}
				return h, fmt.Errorf("source %s maps %s to column %q, which this file's header lacks; the header has: %s",
					src.Name, field, ref.Header, has)
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
	// alias[i] is the alias column i answers to, by its first title that is one.
	alias := make([]aliasRank, len(cells))
	named := make([]string, len(cells))
	for i, ts := range titles {
		alias[i].rank = -1
		for _, t := range ts {
			if a, ok := sch.index[normHeader(t)]; ok {
				alias[i], named[i] = a, strings.TrimSpace(t)
				break
			}
		}
	}
	for i, a := range alias {
		if a.rank < 0 || taken[i] {
			continue
		}
		f := sch.fieldIndex(a.field)
		if explicit[f] || a.rank >= rank[f] {
			continue
		}
		m[f], rank[f] = i, a.rank
	}
	for _, i := range m {
		if i >= 0 {
			taken[i] = true
		}
	}
	for f, i := range m {
		if i < 0 || explicit[f] {
			continue
		}
		for j, a := range alias {
			if !taken[j] && a.rank >= 0 && sch.fieldIndex(a.field) == f {
				h.choices = append(h.choices, choiceNote(sch.fields[f], named[i], i, named[j], j))
			}
		}
	}
	for i, ts := range titles {
		if !taken[i] && slices.ContainsFunc(ts, isSequenceTitle) {
			h.seq = append(h.seq, i)
		}
	}
	if err := m.complete(src); err != nil {
		// A master export read by a sales source lacks dates, amounts and
		// documents: say what it is rather than only what it lacks.
		if sch.kind == KindSales && looksLikeMaster(titles) {
			return h, fmt.Errorf("%w; this header looks like a customer master export: give its files a source with kind: customers", err)
		}
		return h, fmt.Errorf("%w; %s", err, missingColumnHint(cells, src, m))
	}
	return h, nil
}

// headerPair finds the second header row of a 云星空 引出 export beside
// the header row rows[best]: the field keys (FBillNo, FDate ...) above the
// captions ((基本信息)单据编号 ...), or the other way round. It is the row
// just below or above that names two or more fields, has as many cells
// and holds no value (a number or a date), as no data line would. It
// returns the header row, the lower of the two (the rows above a header
// are titles, so the other is not read as data), and the other, or -1.
func headerPair(rows []record, best int, src Source) (at, other int) {
	isPair := func(i int) bool {
		if i < 0 || i >= len(rows) || rows[i].Bad != "" {
			return false
		}
		a, b := rows[i].Cells, rows[best].Cells
		if len(trimBlankTail(a)) != len(trimBlankTail(b)) || headerScore(a, src) < 2 {
			return false
		}
		for _, c := range a {
			c = strings.TrimSpace(c)
			if c == "" {
				continue
			}
			if _, err := ParseAmount(c); err == nil {
				return false
			}
			if _, err := ParseDate(c); err == nil {
				return false
			}
		}
		return true
	}
	switch {
	case isPair(best + 1):
		return best + 1, best
	case isPair(best - 1):
		return best, best - 1
	}
	return best, -1
}

// trimBlankTail drops the blank cells at the end of a row.
func trimBlankTail(cells []string) []string {
	n := len(cells)
	for n > 0 && strings.TrimSpace(cells[n-1]) == "" {
		n--
	}
	return cells[:n]
}

// columnTitled is the first column one of whose titles folds to want; -1 if none.
func columnTitled(titles [][]string, want string) int {
	for i, ts := range titles {
		for _, t := range ts {
			if normHeader(t) == want {
				return i
			}
		}
	}
	return -1
}

// choiceNote says why column took gives field rather than column over.
func choiceNote(field, took string, i int, over string, j int) string {
	why := fmt.Sprintf("%s comes first in the aliases of %s", took, field)
	mt, mo := aliasMeanings[normHeader(took)], aliasMeanings[normHeader(over)]
	switch {
	case normHeader(took) == normHeader(over):
		why = fmt.Sprintf("the first of the columns named %s", took)
	case mt != "" && mo != "" && mt != mo:
		why = fmt.Sprintf("%s is %s, %s %s", took, mt, over, mo)
	}
	return fmt.Sprintf("%s from %s (column %d), not %s (column %d): %s", field, took, i+1, over, j+1, why)
}

// sequenceKey is a 云星空 field key that numbers the rows of an entity:
// FBillHead(SAL_SaleOrder), FEntity, FSaleOrderEntry.
var sequenceKey = regexp.MustCompile(`^(FBillHead\(.*\)|F[A-Za-z0-9_]*(Entry|Entity))$`)

// isSequenceTitle says whether a column numbers rows rather than holds
// data: a 云星空 entity key, its caption (*基本信息(序号)), or 序号, 行号.
func isSequenceTitle(t string) bool {
	t = width.Narrow.String(strings.TrimSpace(t))
	if sequenceKey.MatchString(t) || strings.HasSuffix(t, "(序号)") {
		return true
	}
	n := normHeader(t)
	return n == "序号" || n == "行号"
}

// looksLikeMaster says whether a header that maps no sales export is a
// customer master's: three or more of its columns name master fields by
// the built-in aliases (the source's own mappings do not count), and none
// names a date, an amount or a document number.
func looksLikeMaster(titles [][]string) bool {
	master := 0
	for _, ts := range titles {
		counted := false
		for _, t := range ts {
			h := normHeader(t)
			if a, ok := salesSchema.index[h]; ok && (a.field == "date" || a.field == "amount" || a.field == "doc_no") {
				return false
			}
			if _, ok := customerSchema.index[h]; ok && !counted {
				master++
				counted = true
			}
		}
	}
	return master >= 3
}

// complete says what a mapping lacks to make lines of its kind; its
// example maps each missing field.
func (m columnMap) complete(src Source) error {
	sch := src.schema()
	missing := sch.needs(m)
	if len(missing) == 0 {
		return nil
	}
	examples := make([]string, len(missing))
	for i, f := range missing {
		examples[i] = sch.examples[f]
	}
	return fmt.Errorf("no column for %s; map it under sources (name: %s) columns, for example columns: {%s}",
		strings.Join(missing, ", "), src.Name, strings.Join(examples, ", "))
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

// isSummaryRow says whether a row is a total or subtotal line, not a
// customer's. One of its leading cells is a total word and nothing else
// (合计, 小计, Total:) in the date or document column or one no field reads;
// or its customer and document cells are empty and a leading cell starts
// with a total word (合计(含税) 1,000); or its customer cells hold nothing
// but a total word and its document and date cells are empty. A customer
// named Total, 总计1号店 or Total (China) Co., or an item named Total, on a
// line of its own is no total row.
func isSummaryRow(cells []string, sch *exportSchema, cols columnMap) bool {
	if !maySumUp(cells) {
		return false
	}
	fieldAt := func(c int) string { // the field read from column c, if any
		for fi, f := range sch.fields {
			if cols.at(fi) == c {
				return f
			}
		}
		return ""
	}
	cell := func(field string) string {
		if c := cols.at(sch.fieldIndex(field)); c >= 0 && c < len(cells) {
			return strings.TrimSpace(cells[c])
		}
		return ""
	}
	for i, c := range cells[:min(4, len(cells))] {
		if f := fieldAt(i); (f == "" || f == "date" || f == "doc_no") && isTotalWord(c) {
			return true
		}
	}
	if cell("doc_no") != "" {
		return false
	}
	code, name := cell("customer_code"), cell("customer_name")
	if code == "" && name == "" {
		for _, c := range cells[:min(4, len(cells))] {
			if startsWithTotalWord(c) {
				return true
			}
		}
		return false
	}
	return cell("date") == "" && (code == "" || isTotalWord(code)) && (name == "" || isTotalWord(name))
}

// isTotalWord says whether a cell is a total word alone, in any case and
// width, with spaces, a colon or a parenthesis such as (含税) around it.
func isTotalWord(c string) bool {
	if !mayHoldTotalWord(c) {
		return false
	}
	h := normHeader(c)
	return slices.Contains(summaryWords, h)
}

// startsWithTotalWord says whether a cell begins with a total word that
// the rest does not continue ("totalwine" is no total).
func startsWithTotalWord(c string) bool {
	if !mayHoldTotalWord(c) {
		return false
	}
	h := normHeader(c)
	for _, w := range summaryWords {
		if h == w || (strings.HasPrefix(h, w) && !isLetterAfter(h, w)) {
			return true
		}
	}
	return false
}

// mayHoldTotalWord is the cheap test before normHeader: every summary
// word holds 计 or a t, which normHeader keeps (narrowed and lowered).
func mayHoldTotalWord(c string) bool {
	return strings.ContainsAny(c, "计tTｔＴ")
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
		if c == "" {
			continue
		}
		// Most cells start with a digit, a letter or a Chinese character
		// that no total word starts with: the loop below would stop there.
		if b := c[0]; b < utf8.RuneSelf {
			if l := b | 0x20; b >= '0' && b <= '9' || l >= 'a' && l <= 'z' && !slices.Contains(summaryInitials, rune(l)) {
				continue
			}
		} else if r, _ := utf8.DecodeRuneInString(c); r >= 0x4e00 && r <= 0x9fff && !slices.Contains(summaryInitials, r) {
			continue
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
