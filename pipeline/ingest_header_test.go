package pipeline

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMapHeader(t *testing.T) {
	cases := []struct {
		name   string
		kind   string // sales when empty
		header string
		cols   map[string]ColumnRef
		want   map[string]int // field -> 0-based column
		err    string
	}{
		{
			name:   "kingdee",
			header: "单据日期,单据编号,客户编码,客户名称,产品代码,产品名称,产品类别,实发数量,含税单价,价税合计",
			want:   map[string]int{"date": 0, "doc_no": 1, "customer_code": 2, "customer_name": 3, "item_code": 4, "item_name": 5, "category": 6, "quantity": 7, "unit_price": 8, "amount": 9},
		},
		{
			name:   "yonyou with both amounts prefers the one with tax",
			header: "日期,订单编号,客户代码,购货单位,物料编码,数量,单价,金额,价税合计",
			want:   map[string]int{"date": 0, "doc_no": 1, "customer_code": 2, "customer_name": 3, "item_code": 4, "quantity": 5, "unit_price": 6, "amount": 8},
		},
		{
			name:   "english online retail",
			header: "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
			want:   map[string]int{"doc_no": 0, "item_code": 1, "item_name": 2, "quantity": 3, "date": 4, "unit_price": 5, "customer_code": 6},
		},
		{
			name:   "units in parentheses and full-width",
			header: "业务日期,客户（名称）,金额(元)",
			want:   map[string]int{"date": 0, "customer_name": 1, "amount": 2},
		},
		{
			name:   "explicit mapping overrides aliases",
			header: "开单日,客户,金额,结算金额",
			cols:   map[string]ColumnRef{"date": {Header: "开单日"}, "amount": {Header: "结算金额"}},
			want:   map[string]int{"date": 0, "customer_name": 1, "amount": 3},
		},
		{
			name:   "mapping names a column the file lacks",
			header: "日期,客户,金额",
			cols:   map[string]ColumnRef{"amount": {Header: "结算金额"}},
			err:    `maps amount to column "结算金额"`,
		},
		{
			name:   "no amount",
			header: "日期,客户,数量",
			err:    "no column for amount",
		},
		{
			kind:   KindCustomers,
			name:   "customers kingdee",
			header: "客户编码,客户名称,通讯地址,联系人,联系电话,手机,客户类别",
			want:   map[string]int{"customer_code": 0, "customer_name": 1, "address": 2, "contact": 3, "phone": 4, "category": 6},
		},
		{
			kind:   KindCustomers,
			name:   "customers kingdee kis base data",
			header: "代码,名称,地址,联系人,电话,客户分类,客户等级",
			want:   map[string]int{"customer_code": 0, "customer_name": 1, "address": 2, "contact": 3, "phone": 4, "category": 5},
		},
		{
			kind:   KindCustomers,
			name:   "customers yonyou u8 prefers the full name and 电话 over 手机",
			header: "客户编码,客户简称,客户名称,所属分类,地址,联系人,手机,电话",
			want:   map[string]int{"customer_code": 0, "customer_name": 2, "category": 3, "address": 4, "contact": 5, "phone": 7},
		},
		{
			kind:   KindCustomers,
			name:   "customers yonyou u8 short name only",
			header: "客户编码,客户简称,所属分类,地址,联系人,手机",
			want:   map[string]int{"customer_code": 0, "customer_name": 1, "category": 2, "address": 3, "contact": 4, "phone": 5},
		},
		{
			kind:   KindCustomers,
			name:   "customers english",
			header: "Code,Name,Address,Contact,Phone,Category",
			want:   map[string]int{"customer_code": 0, "customer_name": 1, "address": 2, "contact": 3, "phone": 4, "category": 5},
		},
		{
			kind:   KindCustomers,
			name:   "customers explicit mapping",
			header: "客户号,单位名称,电话",
			cols:   map[string]ColumnRef{"customer_code": {Header: "客户号"}, "customer_name": {Header: "单位名称"}},
			want:   map[string]int{"customer_code": 0, "customer_name": 1, "phone": 2},
		},
		{
			kind:   KindCustomers,
			name:   "customers no code and no name",
			header: "地址,联系人,电话",
			err:    "no column for customer_code or customer_name; map it under sources (name: s) columns, for example columns: {customer_code: 往来单位编码}",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := Source{Name: "s", Kind: c.kind, Columns: c.cols}
			m, err := mapHeader(strings.Split(c.header, ","), src)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want it to say %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range src.schema().fields {
				want, ok := c.want[f]
				if !ok {
					want = -1
				}
				if m[i] != want {
					t.Errorf("%s is column %d, want %d", f, m[i], want)
				}
			}
		})
	}
}

func TestFindHeaderBelowTitles(t *testing.T) {
	rows := []record{
		{Line: 1, Cells: []string{"销售出库单序时簿"}},
		{Line: 2, Cells: []string{"查询期间：2024-01-01 至 2024-06-30"}},
		{Line: 3, Cells: strings.Split("单据日期,单据编号,客户编码,客户名称,价税合计", ",")},
		{Line: 4, Cells: strings.Split("2024/1/2,XS1,C1,甲公司,100", ",")},
	}
	p := lineParser{src: Source{Name: "s"}, headerAt: -1}
	if err := p.findHeader(rows); err != nil {
		t.Fatal(err)
	}
	if p.headerLine != 3 {
		t.Fatalf("header found on line %d, want 3", p.headerLine)
	}
}

func TestSummaryRows(t *testing.T) {
	src := Source{Name: "s"}
	sch := src.schema()
	// 日期,单据编号,客户编码,客户名称,价税合计
	withDoc := sch.emptyMap()
	withDoc[fDate], withDoc[fDocNo], withDoc[fCustomerCode], withDoc[fCustomerName], withDoc[fAmount] = 0, 1, 2, 3, 4
	// 日期,客户名称,商品名称,价税合计: no document number, no code
	noDoc := sch.emptyMap()
	noDoc[fDate], noDoc[fCustomerName], noDoc[fItemName], noDoc[fAmount] = 0, 1, 2, 3
	for _, c := range []struct {
		cells []string
		cols  columnMap
		want  bool
	}{
		{[]string{"合计", "", "", "", "100"}, withDoc, true},
		{[]string{"", "小计：", "", "", "100"}, withDoc, true},
		{[]string{"总计"}, withDoc, true},
		{[]string{"Total", "", "", "", "5"}, withDoc, true},
		{[]string{"", "", "", "合计(含税)", "5"}, withDoc, true},
		{[]string{"", "", "", "小计 C001", "5"}, withDoc, false}, // a customer's name that starts with a total word
		{[]string{"合计(含税) 1,000", "", "", "", "1000"}, withDoc, true},
		{[]string{"2024-01-02", "XS1", "C1", "合计金额有限公司", "5"}, withDoc, false},
		{[]string{"2024-01-02", "Total Wine Co", "", "", "5"}, withDoc, false},
		// Customers the issue saw dropped: a line of their own is theirs.
		{[]string{"2024-01-02", "XS1", "C1", "Total (China) Co.", "5"}, withDoc, false},
		{[]string{"2024-01-02", "XS1", "C1", "TOTAL 2000", "5"}, withDoc, false},
		{[]string{"2024-01-02", "XS1", "C1", "Total", "5"}, withDoc, false},
		{[]string{"2024-01-02", "XS1", "C1", "合计(含税)五金", "5"}, withDoc, false},
		{[]string{"2024-01-02", "XS1", "C1", "总计1号店", "5"}, withDoc, false},
		{[]string{"2024-01-02", "Total", "机油", "5"}, noDoc, false},
		{[]string{"2024-01-02", "总计1号店", "机油", "5"}, noDoc, false},
		{[]string{"2024-01-02", "甲公司", "Total", "5"}, noDoc, false}, // an item named Total
		{[]string{"", "合计", "", "5"}, noDoc, true},
		{[]string{"合计", "", "", "5"}, noDoc, true},
	} {
		if got := isSummaryRow(c.cells, sch, c.cols); got != c.want {
			t.Errorf("isSummaryRow(%q) = %v, want %v", c.cells, got, c.want)
		}
	}
}

func FuzzHeaderDetection(f *testing.F) {
	f.Add("销售出库单\n单据日期,单据编号,客户编码,价税合计\n2024-01-01,X1,C1,10")
	f.Add("InvoiceNo,InvoiceDate,CustomerID,Quantity,UnitPrice\n1,2024-01-01,5,1,2")
	f.Add("a;b;c\n1;2;3")
	f.Add(cloudKeys + "\n" + cloudCaptions + "\n1,XSDD001,2024-02-01,C-001,华南电子,1,P-100,路由器,10,199,1990\n,,,,,,,,,,")
	f.Add(cloudCaptions + "\n" + cloudKeys + "\n1,XSDD001,2024-02-01,C-001,华南电子,1,P-100,路由器,10,199,1990")
	f.Fuzz(func(t *testing.T, text string) {
		var rows []record
		for i, l := range strings.Split(text, "\n") {
			rows = append(rows, record{Line: i + 1, Cells: splitFields(l, sniffDelimiter([]string{l}))})
		}
		p := lineParser{src: Source{Name: "s"}, headerAt: -1}
		if err := p.findHeader(rows); err != nil {
			return
		}
		// A header that was found maps every required field to a real column.
		if p.cols[fDate] < 0 || p.cols[fDate] >= p.width {
			t.Fatalf("date column %d outside a header of %d cells", p.cols[fDate], p.width)
		}
		if p.headerAt < 0 || p.headerAt >= len(rows) {
			t.Fatalf("header index %d outside %d rows", p.headerAt, len(rows))
		}
	})
}

// The 云星空 引出 header rows of a 销售订单: field keys, then captions.
const (
	cloudKeys     = "FBillHead(SAL_SaleOrder),FBillNo,FDate,FCustId,FCustId#Name,FSaleOrderEntry,FMaterialId,FMaterialName,FQty,FTaxPrice,FAllAmount"
	cloudCaptions = "*基本信息(序号),(基本信息)单据编号,*(基本信息)日期,*(基本信息)客户#编码,(基本信息)客户#名称,*订单明细(序号),*(订单明细)物料编码#编码,(订单明细)物料名称,(订单明细)销售数量,(订单明细)含税单价,(订单明细)价税合计"
)

// cloudWant is the mapping of both header rows of the 云星空 export.
var cloudWant = map[string]int{"doc_no": 1, "date": 2, "customer_code": 3, "customer_name": 4, "item_code": 6, "item_name": 7, "quantity": 8, "unit_price": 9, "amount": 10}

func TestNormHeaderCloudCaptions(t *testing.T) {
	for in, want := range map[string]string{
		"*(基本信息)日期":      "日期",
		"(基本信息)单据编号":     "单据编号",
		"*(基本信息)客户#编码":   "客户编码",
		"(基本信息)客户#名称":    "客户名称",
		"*(明细信息)物料编码#编码": "物料编码",
		"(明细信息)物料编码#名称":  "物料名称",
		"FCustId#Name":   "fcustidname",
		"FAllAmount_LC":  "fallamountlc",
		"价税合计(本币)":       "本币价税合计",
		"价税合计（原币）":       "原币价税合计",
		"价税合计(本位币)":      "本币价税合计",
		"(本币)价税合计":       "本币价税合计",
		"金额(元)":          "金额",
		"*基本信息(序号)":      "基本信息",
	} {
		if got := normHeader(in); got != want {
			t.Errorf("normHeader(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMapHeaderLayouts(t *testing.T) {
	cases := []struct {
		name, header string
		want         map[string]int
		choices      []string
	}{
		{name: "云星空 captions alone", header: cloudCaptions, want: cloudWant},
		{name: "云星空 field keys alone", header: cloudKeys, want: cloudWant},
		{
			name:    "云星空 销售出库单 keys",
			header:  "FBillHead(SAL_OUTSTOCK),FBillNo,FDate,FCustomerID,FCustomerID#Name,FEntity,FMaterialID,FMaterialID#Name,FRealQty,FTaxPrice,FAllAmount_LC,FAllAmount",
			want:    map[string]int{"doc_no": 1, "date": 2, "customer_code": 3, "customer_name": 4, "item_code": 6, "item_name": 7, "quantity": 8, "unit_price": 9, "amount": 10},
			choices: []string{"amount from FAllAmount_LC (column 11), not FAllAmount (column 12): FAllAmount_LC is the total with tax in the ledger's currency, FAllAmount the total with tax"},
		},
		{
			name:    "U8 invoice list: the ledger's currency over the document's",
			header:  "发票号,开票日期,客户编码,客户简称,存货编码,数量,含税单价,原币价税合计,本币价税合计,币种",
			want:    map[string]int{"doc_no": 0, "date": 1, "customer_code": 2, "customer_name": 3, "item_code": 4, "quantity": 5, "unit_price": 6, "amount": 8},
			choices: []string{"amount from 本币价税合计 (column 9), not 原币价税合计 (column 8): 本币价税合计 is the total with tax in the ledger's currency, 原币价税合计 the total with tax in the document's currency"},
		},
		{
			name:    "U8 invoice list: 价税合计 of the document beside 本币价税合计",
			header:  "发票号,开票日期,客户简称,价税合计,本币价税合计",
			want:    map[string]int{"doc_no": 0, "date": 1, "customer_name": 2, "amount": 4},
			choices: []string{"amount from 本币价税合计 (column 5), not 价税合计 (column 4): 本币价税合计 is the total with tax in the ledger's currency, 价税合计 the total with tax"},
		},
		{
			name:    "Kingdee 价税合计(本币) and 价税合计(原币)",
			header:  "日期,单据编号,客户,价税合计(原币),价税合计(本币)",
			want:    map[string]int{"date": 0, "doc_no": 1, "customer_name": 2, "amount": 4},
			choices: []string{"amount from 价税合计(本币) (column 5), not 价税合计(原币) (column 4): 价税合计(本币) is the total with tax in the ledger's currency, 价税合计(原币) the total with tax in the document's currency"},
		},
		{
			name:    "吉客云 detail: after the order's discounts",
			header:  "订单编号,客户编号,客户名称,地址,数量,金额,分摊后金额,发货时间",
			want:    map[string]int{"doc_no": 0, "customer_code": 1, "customer_name": 2, "quantity": 4, "amount": 6, "date": 7},
			choices: []string{"amount from 分摊后金额 (column 7), not 金额 (column 6): 分摊后金额 is the amount after the order's discounts are shared out over its lines, 金额 the line's amount (before tax in Kingdee and Yonyou, before the order's discounts in 吉客云)"},
		},
		{
			name:    "吉客云 detail: the order's time over the delivery's",
			header:  "订单编号,客户名称,分摊后金额,发货时间,下单时间",
			want:    map[string]int{"doc_no": 0, "customer_name": 1, "amount": 2, "date": 4},
			choices: []string{"date from 下单时间 (column 5), not 发货时间 (column 4): 下单时间 is the time of the order, 发货时间 the time of the delivery"},
		},
		{
			name:   "U8 return grid",
			header: "退货单号,退货日期,客户编码,客户名称,存货编码,数量,含税单价,价税合计",
			want:   map[string]int{"doc_no": 0, "date": 1, "customer_code": 2, "customer_name": 3, "item_code": 4, "quantity": 5, "unit_price": 6, "amount": 7},
		},
		{
			name:   "other totals: 实收金额 over 销售金额, 订单金额 last",
			header: "日期,客户,订单金额,销售金额,实收金额",
			want:   map[string]int{"date": 0, "customer_name": 1, "amount": 4},
			choices: []string{
				"amount from 实收金额 (column 5), not 订单金额 (column 3): 实收金额 is the amount received, after discounts, 订单金额 the order's amount, which may be the whole order's on each of its lines",
				"amount from 实收金额 (column 5), not 销售金额 (column 4): 实收金额 is the amount received, after discounts, 销售金额 the sales amount",
			},
		},
		{
			name:    "two columns of one name: the first",
			header:  "日期,客户,金额,金额",
			want:    map[string]int{"date": 0, "customer_name": 1, "amount": 2},
			choices: []string{"amount from 金额 (column 3), not 金额 (column 4): the first of the columns named 金额"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := Source{Name: "s"}
			h, err := mapHeaders(strings.Split(c.header, ","), nil, src)
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range src.schema().fields {
				want, ok := c.want[f]
				if !ok {
					want = -1
				}
				if h.cols[i] != want {
					t.Errorf("%s is column %d, want %d", f, h.cols[i], want)
				}
			}
			if diff := cmp.Diff(c.choices, h.choices); diff != "" {
				t.Errorf("choices (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCloudHeaderRows finds the header of a 云星空 引出 export in its two
// rows, either way round, below a title or not, and takes the lower as the
// header so that the other is not read as data; a data line below a
// header is never taken for a second header row.
func TestCloudHeaderRows(t *testing.T) {
	data := "1,XSDD001,2024-02-01,C-001,华南电子,1,P-100,路由器,10,199,1990"
	rowsOf := func(lines ...string) []record {
		var rows []record
		for i, l := range lines {
			rows = append(rows, record{Line: i + 1, Cells: strings.Split(l, ",")})
		}
		return rows
	}
	for _, c := range []struct {
		name          string
		rows          []record
		header, other int
		seq           []int
	}{
		{name: "keys, then captions", rows: rowsOf(cloudKeys, cloudCaptions, data), header: 2, other: 1, seq: []int{0, 5}},
		{name: "captions, then keys", rows: rowsOf(cloudCaptions, cloudKeys, data), header: 2, other: 1, seq: []int{0, 5}},
		{name: "below a title", rows: rowsOf("销售订单", cloudKeys, cloudCaptions, data), header: 3, other: 2, seq: []int{0, 5}},
		{name: "captions alone", rows: rowsOf(cloudCaptions, data), header: 1, seq: []int{0, 5}},
		{name: "keys alone", rows: rowsOf(cloudKeys, data), header: 1, seq: []int{0, 5}},
		{name: "a Kingdee header and a data line", rows: rowsOf("单据日期,单据编号,客户编码,客户,价税合计", "2024-01-02,XS1,C1,客户,100"), header: 1},
		{name: "a data line naming fields, without numbers", rows: rowsOf("单据日期,单据编号,客户,客户名称,价税合计", "2024-01-02,XS1,客户,客户名称,"), header: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := lineParser{src: Source{Name: "s"}, headerAt: -1}
			if err := p.findHeader(c.rows); err != nil {
				t.Fatal(err)
			}
			if p.headerLine != c.header || p.otherLine != c.other {
				t.Errorf("header on line %d, other header row on line %d; want %d and %d", p.headerLine, p.otherLine, c.header, c.other)
			}
			if diff := cmp.Diff(c.seq, p.header.seq); diff != "" {
				t.Errorf("sequence columns (-want +got):\n%s", diff)
			}
			if strings.HasPrefix(c.name, "keys") || strings.HasPrefix(c.name, "captions") || c.name == "below a title" {
				for i, f := range p.src.schema().fields {
					want, ok := cloudWant[f]
					if !ok {
						want = -1
					}
					if p.cols[i] != want {
						t.Errorf("%s is column %d, want %d", f, p.cols[i], want)
					}
				}
			}
		})
	}
}

// TestCloudKeysFillCaptions: where a caption names no field, the field
// key above it maps the column.
func TestCloudKeysFillCaptions(t *testing.T) {
	keys := strings.Split("FBillNo,FDate,FCustId,FAllAmount", ",")
	captions := strings.Split("(基本信息)单据编号,*(基本信息)业务发生日,(基本信息)往来单位#编码,(订单明细)本行合计", ",")
	h, err := mapHeaders(captions, keys, Source{Name: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if h.cols[fDocNo] != 0 || h.cols[fDate] != 1 || h.cols[fCustomerCode] != 2 || h.cols[fAmount] != 3 {
		t.Errorf("columns %v; want doc_no 0, date 1, customer_code 2, amount 3", h.cols)
	}
	// A mapping may name a title of either row.
	h, err = mapHeaders(captions, keys, Source{Name: "s", Columns: map[string]ColumnRef{"amount": {Header: "FAllAmount"}}})
	if err != nil || h.cols[fAmount] != 3 {
		t.Errorf("amount mapped to FAllAmount: column %d, %v; want 3", h.cols[fAmount], err)
	}
}

// TestMasterHint: the customer-master hint is for a header that looks
// like a master and not like sales, and its example maps what is missing.
func TestMasterHint(t *testing.T) {
	const hint = "this header looks like a customer master export"
	for _, c := range []struct {
		name, header string
		cols         map[string]ColumnRef
		err          string // "" when it maps
		hint         bool
	}{
		{name: "a Kingdee master", header: "客户编码,客户名称,地址,联系人,电话,客户类别",
			err: "for example columns: {date: 开单日, amount: 本单金额}", hint: true},
		{name: "吉客云 detail is sales", header: "订单编号,客户编号,客户名称,地址,数量,金额,分摊后金额,发货时间"},
		{name: "sales without a date: no hint", header: "订单编号,客户编号,客户名称,地址,联系人,分摊后金额,开单日",
			err: "no column for date; map it under sources (name: s) columns, for example columns: {date: 开单日}"},
		{name: "sales without an amount: no hint", header: "单据日期,客户编码,客户名称,地址,电话,本单金额",
			err: "no column for amount (or quantity and unit_price); map it under sources (name: s) columns, for example columns: {amount: 本单金额}"},
		{name: "the source's own mappings do not count", header: "开单日,往来单位,地址,本单金额,备注",
			cols: map[string]ColumnRef{"customer_name": {Header: "往来单位"}, "amount": {Header: "本单金额"}, "item_name": {Header: "备注"}},
			err:  "no column for date; map it under sources (name: s) columns, for example columns: {date: 开单日}"},
		{name: "no customer", header: "单据日期,单据编号,价税合计",
			err: "no column for customer_code or customer_name; map it under sources (name: s) columns, for example columns: {customer_code: 往来单位编码}"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := mapHeader(strings.Split(c.header, ","), Source{Name: "s", Columns: c.cols})
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("error %v; want the header mapped", err)
			case c.err == "":
				return
			case err == nil || !strings.Contains(err.Error(), c.err):
				t.Fatalf("error %v; want it to say %q", err, c.err)
			case strings.Contains(err.Error(), hint) != c.hint:
				t.Errorf("error %v: the master hint is there: %t, want %t", err, !c.hint, c.hint)
			}
		})
	}
}
