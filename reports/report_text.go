package reports

// texts are the words of the report, by language: Chinese by default,
// English for the analysts who ask for it. Keys missing from a language
// fall back to Chinese.
var texts = map[string]map[string]string{
	"zh": {
		"html_lang": "zh-CN", "title": "客户分类报告", "asof": "截至日期", "window": "统计窗口",
		"window_days": "%d 天", "window_all": "全部历史", "run": "运行编号",
		"sec_overview": "概览", "kpi_customers": "客户数", "kpi_scored": "有交易客户",
		"kpi_revenue": "窗口内销售额", "kpi_top_share": "%s 客户占比", "kpi_top_rev": "%s 销售额占比",
		"kpi_pareto": "贡献 80% 销售额的客户", "kpi_pareto_note": "%s 位有交易客户中的 %s 位",
		"kpi_moved": "较上期换层客户", "kpi_updown": "↑ %s 升层 · ↓ %s 降层", "kpi_rejected": "拒绝的输入行",
		"kpi_of": "共 %s 位", "kpi_since": "与 %s 相比", "kpi_first": "第一次快照",
		"sec_segments": "客户分层", "ch_seg_customers": "各层客户数", "ch_seg_revenue": "各层销售额",
		"ax_customers": "客户数", "ax_revenue": "销售额", "ax_segment": "分层",
		"sec_pareto": "销售额集中度", "ch_pareto": "帕累托曲线：按销售额从高到低累计",
		"ax_cust_share": "客户累计占比 (%)", "ax_rev_share": "销售额累计占比 (%)",
		"sec_rf": "R × F 分布", "ch_rf_count": "各格客户数", "ch_rf_avg": "各格平均销售额",
		"ax_r": "R 分 (越高越近期)", "ax_f": "F 分 (越高越频繁)",
		"sec_moves": "分层变动", "moves_since": "与上期快照 %s 相比", "moves_none": "没有更早的快照，本次是第一次分层，还看不出变动。",
		"new": "新客户", "prev": "上期", "now": "本期", "ch_moves": "客户流向", "tbl_from_to": "上期 → 本期",
		"sec_history": "历史趋势", "ch_history": "各层客户数随时间变化", "ax_date": "截至日期",
		"sec_tags": "标签与品类", "ch_tags": "客户标签 (前 15)", "ch_categories": "客户主要品类 (前 15)",
		"no_data": "无数据",
		"sec_top": "重点客户", "top_of": "%s：销售额前 %d 名",
		"col_rank": "#", "col_code": "客户编码", "col_name": "客户名称", "col_revenue": "销售额", "col_freq": "订单数",
		"col_recency": "距上次购买 (天)", "col_rfm": "R/F/M", "col_abc": "ABC", "col_prev": "上期", "col_tags": "标签",
		"sec_run": "本次运行", "files": "输入文件", "col_file": "文件", "col_source": "来源", "col_format": "读取方式",
		"col_status": "状态", "col_read": "读取", "col_loaded": "载入", "col_rejected": "拒绝", "col_dup": "重复",
		"col_summary": "汇总行", "total": "合计", "no_files": "本次运行没有读取新文件。",
		"cuts": "评分切点", "col_metric": "指标", "col_method": "方法", "col_cuts": "切点", "col_collapsed": "有重合",
		"recency_days": "最近购买天数 (R)", "frequency": "订单数 (F)", "monetary": "销售额 (M)",
		"sec_quality": "数据质量", "rejects": "被拒绝的行 (按原因)", "col_reason": "原因", "col_lines": "行数",
		"col_example": "示例", "no_rejects": "最近一次读取的文件中没有被拒绝的行。",
		"master": "客户主数据完整性", "m_customers": "客户总数", "m_in_master": "在主数据中",
		"m_no_code": "缺客户编码", "m_no_phone": "缺电话", "m_no_address": "缺地址", "m_no_contact": "缺联系人",
		"warnings":            "需要注意",
		"warn_collapsed":      "%s 的切点有重合 (%s)：这些客户无法按分数区分；可改用阈值评分 (scoring.method: thresholds) 或加长统计窗口。",
		"warn_failed":         "文件 %s 读取失败：%s",
		"warn_empty":          "截至 %s 没有快照：请先对这一天运行 custcat run。",
		"warn_no_scored":      "统计窗口内没有任何客户有正金额的单据，无法评分：所有客户的分数为空。",
		"warn_manual_unknown": "手工文件中的客户 %s（%s）不是已知客户，该行未生效。",
		"yes":                 "是", "no": "否", "footer": "由 custcat 生成 · 运行 %d · 截至 %s",
	},
	"en": {
		"html_lang": "en", "title": "Customer segmentation report", "asof": "As of", "window": "Window",
		"window_days": "%d days", "window_all": "all history", "run": "Run",
		"sec_overview": "Overview", "kpi_customers": "Customers", "kpi_scored": "Customers with orders",
		"kpi_revenue": "Revenue in window", "kpi_top_share": "%s: share of customers", "kpi_top_rev": "%s: share of revenue",
		"kpi_pareto": "Customers making 80% of revenue", "kpi_pareto_note": "%[2]s of %[1]s customers with orders",
		"kpi_moved": "Changed segment", "kpi_updown": "↑ %s up · ↓ %s down", "kpi_rejected": "Input lines rejected",
		"kpi_of": "of %s", "kpi_since": "since %s", "kpi_first": "first snapshot",
		"sec_segments": "Segments", "ch_seg_customers": "Customers per segment", "ch_seg_revenue": "Revenue per segment",
		"ax_customers": "customers", "ax_revenue": "revenue", "ax_segment": "segment",
		"sec_pareto": "Revenue concentration", "ch_pareto": "Pareto curve: customers by revenue, highest first",
		"ax_cust_share": "share of customers (%)", "ax_rev_share": "share of revenue (%)",
		"sec_rf": "R × F", "ch_rf_count": "Customers per cell", "ch_rf_avg": "Average revenue per cell",
		"ax_r": "R score (higher = more recent)", "ax_f": "F score (higher = more often)",
		"sec_moves": "Movement", "moves_since": "Since the snapshot of %s", "moves_none": "No earlier snapshot: this is the first segmentation, so nothing has moved yet.",
		"new": "new", "prev": "before", "now": "now", "ch_moves": "Customer flow", "tbl_from_to": "before → now",
		"sec_history": "History", "ch_history": "Customers per segment over time", "ax_date": "as-of date",
		"sec_tags": "Tags and categories", "ch_tags": "Tags (top 15)", "ch_categories": "Top categories (top 15)",
		"no_data": "No data",
		"sec_top": "Top customers", "top_of": "%s: top %d by revenue",
		"col_rank": "#", "col_code": "Code", "col_name": "Name", "col_revenue": "Revenue", "col_freq": "Orders",
		"col_recency": "Days since last order", "col_rfm": "R/F/M", "col_abc": "ABC", "col_prev": "Before", "col_tags": "Tags",
		"sec_run": "This run", "files": "Input files", "col_file": "File", "col_source": "Source", "col_format": "Read as",
		"col_status": "Status", "col_read": "Read", "col_loaded": "Loaded", "col_rejected": "Rejected", "col_dup": "Duplicate",
		"col_summary": "Summary", "total": "Total", "no_files": "This run read no new files.",
		"cuts": "Score cut points", "col_metric": "Metric", "col_method": "Method", "col_cuts": "Cut points", "col_collapsed": "Collapsed",
		"recency_days": "days since last order (R)", "frequency": "orders (F)", "monetary": "revenue (M)",
		"sec_quality": "Data quality", "rejects": "Rejected lines by reason", "col_reason": "Reason", "col_lines": "Lines",
		"col_example": "Example", "no_rejects": "The files read last had no rejected lines.",
		"master": "Customer master data", "m_customers": "Customers", "m_in_master": "In the master export",
		"m_no_code": "No code", "m_no_phone": "No phone", "m_no_address": "No address", "m_no_contact": "No contact",
		"warnings":            "Warnings",
		"warn_collapsed":      "The cut points of %s collapse (%s): scores cannot tell these customers apart; try scoring.method: thresholds or a longer window.",
		"warn_failed":         "File %s failed: %s",
		"warn_empty":          "There is no snapshot as of %s: run custcat run for that date first.",
		"warn_no_scored":      "No customer has a positive document in the window, so none could be scored: every score is empty.",
		"warn_manual_unknown": "Customer %s of the manual file (%s) is not a known customer; its line was not applied.",
		"yes":                 "yes", "no": "no", "footer": "Made by custcat · run %d · as of %s",
	},
}

// text returns the words of key in lang.
func text(lang, key string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	if s, ok := texts["zh"][key]; ok {
		return s
	}
	return key
}
