package pipeline

import (
	"strings"
	"testing"
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
			err:    "no column for customer_code or customer_name; map it under sources (name: s) columns, for example columns: {customer_code: 客户号}",
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
