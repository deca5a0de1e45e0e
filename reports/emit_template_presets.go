package reports

import (
	"regexp"

	"custcat/pipeline"
)

// templateLayout is the customer import template of one ERP as its public
// descriptions lay it out (README, "The category file in the ERP's form",
// says per preset which description and what is not verified). custcat
// fills the template the user downloaded from the ERP when the config
// names one, and otherwise writes a workbook in this layout.
type templateLayout struct {
	ERP          string
	Sheet        string   // the sheet that holds the customer fields
	Instructions []string // an instructions sheet before it, as the ERP writes one; nil: none
	InstrSheet   string
	KeyRow       bool // a row of field keys above the captions (云星空)
	Columns      []templateColumn
	// CodeForm is the form of the category code the ERP imports, for the
	// warnings of check; CodeHint says where in the ERP the codes are.
	CodeForm *regexp.Regexp
	CodeHint string
}

// templateColumn is one column of a layout. Names are what identify it in
// a template, field key first, then captions and their variants; the
// built-in layout writes Names[0] (and Names[1] under a key row).
type templateColumn struct {
	Names    []string
	Source   pipeline.TemplateSource
	Required bool // a template without the column is refused
}

func field(f string) pipeline.TemplateSource { return pipeline.TemplateSource{Field: f} }

var templateLayouts = map[string]templateLayout{
	// 云星空 引入模板 of 客户 (BD_Customer): sheets named after the entity and
	// its parts, row 1 the field keys, row 2 the captions, data from row 3,
	// each row starting with the entity sequence number.
	"kingdee-cloud": {
		ERP:        "金蝶云星空",
		Sheet:      "客户#基本信息(FBillHead)",
		InstrSheet: "引入模板说明",
		Instructions: []string{"【模板使用说明】",
			"1.下载的模板内页签名为实体的标识，请不要更改。",
			"2.下载的模板内列名为实体字段的标识，请不要更改。",
			"3.录入模板时录入的数据行之间不能出现空行。",
			"4.序号为每个页签数据之间的关系，每一条分录数据使用一个序号。"},
		KeyRow: true,
		Columns: []templateColumn{
			{Names: []string{"FBillHead(BD_Customer)", "基本信息(实体序号)"}, Source: field(pipeline.RowNumber), Required: true},
			{Names: []string{"FNumber", "(基本信息)客户编码", "(基本信息)编码"}, Source: field("customer_code"), Required: true},
			{Names: []string{"FName", "(基本信息)客户名称"}, Source: field("customer_name"), Required: true},
			{Names: []string{"FShortName", "(基本信息)简称"}, Source: field("customer_name")},
			{Names: []string{"FCustTypeId", "(基本信息)客户类别#编码"}, Source: field("erp_code"), Required: true},
		},
		CodeForm: regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`),
		CodeHint: "云星空 imports the code of the 客户类别 (基础管理 > 基础资料 > 辅助资料 > 客户类别), such as KHLB001_SYS, not its name",
	},
	// KIS 专业版 / 旗舰版: 基础资料 > 客户 > 引入, one sheet, one caption row.
	"kingdee-kis": {
		ERP:   "金蝶KIS",
		Sheet: "客户",
		Columns: []templateColumn{
			{Names: []string{"代码", "客户代码", "客户编码"}, Source: field("customer_code"), Required: true},
			{Names: []string{"名称", "客户名称"}, Source: field("customer_name"), Required: true},
			{Names: []string{"客户类别", "客户分类", "类别"}, Source: field("erp_code"), Required: true},
		},
		CodeForm: regexp.MustCompile(`^\S+$`),
		CodeHint: "KIS imports the 客户类别 as it is kept in 基础资料 > 辅助资料 > 客户类别",
	},
	// 精斗云: 资料 > 客户 > 导入, one sheet, one caption row; the category by name.
	"jingdouyun": {
		ERP:   "金蝶精斗云",
		Sheet: "客户",
		Columns: []templateColumn{
			{Names: []string{"客户编码", "编码"}, Source: field("customer_code"), Required: true},
			{Names: []string{"客户名称", "名称"}, Source: field("customer_name"), Required: true},
			{Names: []string{"客户类别", "类别"}, Source: field("erp_code"), Required: true},
		},
		CodeForm: regexp.MustCompile(`^\S+$`),
		CodeHint: "精斗云 takes the 客户类别 as it is named in 设置 > 辅助资料 > 客户类别",
	},
	// U8 客户档案: 客户编码, 客户名称, 客户简称 and 所属分类码 are required.
	"yonyou-u8": {
		ERP:   "用友U8",
		Sheet: "客户档案",
		Columns: []templateColumn{
			{Names: []string{"客户编码", "cCusCode"}, Source: field("customer_code"), Required: true},
			{Names: []string{"客户名称", "cCusName"}, Source: field("customer_name"), Required: true},
			{Names: []string{"客户简称", "cCusAbbName"}, Source: field("customer_name"), Required: true},
			{Names: []string{"所属分类码", "所属分类编码", "cCCCode"}, Source: field("erp_code"), Required: true},
		},
		CodeForm: regexp.MustCompile(`^[0-9]+$`),
		CodeHint: "U8 imports the code of an existing 客户分类 (基础设置 > 基础档案 > 客商信息 > 客户分类), digits by its 编码方案 such as 01 or 0102",
	},
	// T+ 客户 (往来单位): 编码, 名称, 简称, 所属分类 by code.
	"yonyou-tplus": {
		ERP:   "畅捷通T+",
		Sheet: "往来单位",
		Columns: []templateColumn{
			{Names: []string{"往来单位编码", "客户编码", "编码"}, Source: field("customer_code"), Required: true},
			{Names: []string{"往来单位名称", "客户名称", "名称"}, Source: field("customer_name"), Required: true},
			{Names: []string{"简称", "客户简称"}, Source: field("customer_name")},
			{Names: []string{"所属分类编码", "往来单位分类编码", "分类编码", "所属分类"}, Source: field("erp_code"), Required: true},
		},
		CodeForm: regexp.MustCompile(`^[0-9A-Za-z]+$`),
		CodeHint: "T+ imports the code of an existing 往来单位分类 (基础设置 > 往来单位分类), such as 01",
	},
}
