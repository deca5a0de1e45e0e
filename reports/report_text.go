package reports

import (
	"maps"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// texts are the words of the report, by language: Chinese by default,
// English for the analysts who ask for it. Keys missing from a language
// fall back to Chinese.
var texts = map[string]map[string]string{
	"zh": {
		"colon": "：", "not_before": "上期无此客户", "unchanged": "未变",
		"click_hint":   "点击图中的柱、格子、流向或标签，下方客户表就只列出这些客户。",
		"tbl_segments": "各层概况", "col_segment": "分层", "col_customers": "客户数", "col_cust_share": "客户占比",
		"col_rev_share": "销售额占比", "col_med_r": "R 中位数 (天)", "col_med_f": "F 中位数 (单)", "col_med_m": "M 中位数",
		"col_aov": "平均客单价", "seg_table_note": "中位数与平均客单价只计窗口内有订单的客户；平均客单价 = 销售额 ÷ 订单数。",
		"sec_dist": "R、F、M 分布", "ch_hist_r": "距上次购买天数 (R)", "ch_hist_f": "订单数 (F)", "ch_hist_m": "销售额 (M)",
		"ax_recency_days": "天", "ax_frequency": "订单数", "ax_monetary": "销售额",
		"by_customers": "按客户数", "by_revenue": "按销售额",
		"matrix_note":    "每格：客户数，下方为这些客户本期的销售额。",
		"moves_left_out": "按销售额画时，%s 位销售额为 0 或负的客户的流向画不出宽度，未画出；见下表。",
		"history_one":    "目前只有 %s 一次快照，还画不出趋势：用 custcat backfill --from … --to %s 补算过去的月末，就能看到每层随时间的变化。",
		"history_hint":   "只有一次快照：用 custcat backfill 补算过去的日期，就能看到历史。",
		"sec_customers":  "客户明细", "search_ph": "搜索客户编码、名称或拼音首字母", "min": "最低", "max": "最高",
		"pinned_only": "只看手工指定", "clear": "清除筛选", "csv": "下载这些客户 (CSV)", "loading": "正在载入客户…",
		"page_size": "每页行数", "per_page": "每页 %s 行", "close": "关闭", "pinned": "手工指定",
		"col_move": "变动", "col_category": "主要品类", "no_match": "没有符合条件的客户。",
		"shown": "第 %s–%s 位，共 %s 位符合（全部 %s 位）· 销售额合计 %s", "page_of": "第 %s / %s 页",
		"remove_filter": "去掉这个条件", "all_segments": "全部分层", "all_tags": "全部标签",
		"move_all": "全部变动", "move_changed": "换了层", "move_up": "升层", "move_down": "降层", "move_same": "没变",
		"move_new":   "上期无此客户",
		"tip_pareto": "前 %s 的客户贡献 %s 的销售额", "tip_rf": "R = %s，F = %s", "n_customers": "%s 位客户",
		"avg_revenue": "平均销售额 %s",
		"not_scored":  "未评分：窗口内没有正金额的单据", "above": "大于", "at_or_above": "大于或等于",
		"reason_r": "= %s - %s：%s %s %s 个切点 (共 %s 个)", "reason_fm": "= 1 + %s：%s %s %s 个切点 (共 %s 个)",
		"card_features": "特征", "card_scores": "切点与评分", "card_rules": "分层规则 (按顺序，第一条成立的生效)",
		"abc_note":   "(帕累托：累计销售额 %s 以内为 A，%s 以内为 B)",
		"rule_fired": "← 成立，生效", "rule_no": "不成立", "rule_untried": "未尝试",
		"rule_gave": "规则给出：%s", "seg_since": "当前分层 %s，自 %s 起", "seg_prev": "上期 %s",
		"pinned_note": "由手工文件指定；规则给出的是 %s。", "waiting_note": "降层等待中：规则给出 %s，已连续 %s 次，需 %s 次 (downgrade_after_runs)。",
		"card_tags": "标签及原因", "no_tags": "没有标签。", "why_pref": "主要品类占比 %s ≥ %s", "why_manual": "手工文件第 %s 行",
		"why_unknown": "–", "manual_line": "手工文件第 %s 行", "manual_segment": "指定分层 %s，到 %s 为止 (%s)",
		"in_force": "生效中", "expired": "已过期",
		"card_history": "分层历史", "h_asof": "截至日期", "h_segment": "分层", "h_rules": "规则给出", "h_since": "自",
		"h_trigger": "触发", "h_note": "说明", "h_pinned": "手工指定", "h_waiting": "降层等待 (%s)", "h_from": "由 %s 变来",
		"trigger_manual": "手动运行", "trigger_schedule": "定时运行", "trigger_backfill": "补算", "trigger_": "–",
		"unpack_failed":  "客户数据无法解开 (浏览器需支持 DecompressionStream)：",
		"f_recency_days": "距上次购买天数", "f_frequency": "订单数", "f_monetary": "销售额", "f_active_months": "有订单的月数",
		"f_tenure_days": "首单至今天数", "f_avg_order_value": "平均客单价", "f_returns_share": "退货占比",
		"f_top_category": "主要品类", "f_top_category_share": "主要品类占比", "f_trend_ratio": "近 90 天 / 前 90 天销售额",
		"status_loaded": "已载入", "status_failed": "失败", "status_skipped": "已跳过 (内容载入过)",
		"method_quintile": "五分位", "method_thresholds": "阈值",
		"fmt_csv": "CSV", "fmt_xlsx": "Excel", "fmt_parquet": "Parquet", "fmt_utf-8": "UTF-8", "fmt_utf-8-bom": "UTF-8 (BOM)",
		"fmt_gbk": "GBK", "fmt_gb18030": "GB18030", "fmt_comma": "逗号分隔", "fmt_tab": "制表符分隔", "fmt_semicolon": "分号分隔",
		"fmt_pipe": "竖线分隔", "fmt_whitespace": "空格对齐", "fmt_header": "表头在第 %s 行", "fmt_sheet": "工作表 %s",
		"rej_date": "日期无法识别", "rej_amount": "金额无法识别", "rej_quantity": "数量无法识别", "rej_unit_price": "单价无法识别",
		"rej_no customer code": "缺客户编码", "rej_no customer": "缺客户", "rej_no customer name": "缺客户名称",
		"rej_wrong number of fields": "列数不对", "rej_no amount (and no quantity and unit price)": "缺金额 (也没有数量和单价)",
		"rej_unterminated quote": "引号没有闭合", "rej_return with a positive amount": "退货 (数量为负) 的金额为正",
		"rej_customer_code in scientific notation": "客户编码是科学计数法 (Excel 截断了长数字)", "rej_doc_no in scientific notation": "单据编号是科学计数法 (Excel 截断了长数字)", "rej_NUL byte in line": "行内有 NUL 字节",
		"rej_byte order mark inside the line": "行内有 BOM", "rej_invalid UTF-8 text (is the file GBK? set encoding)": "不是有效的 UTF-8 文本 (文件是 GBK？请设置 encoding)",
		"rej_invalid GBK text (is the file UTF-8? set encoding)":     "不是有效的 GBK 文本 (文件是 UTF-8？请设置 encoding)",
		"rej_invalid GB18030 text (is the file UTF-8? set encoding)": "不是有效的 GB18030 文本 (文件是 UTF-8？请设置 encoding)",
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
		"prev": "上期", "now": "本期", "ch_moves": "客户流向", "tbl_from_to": "上期 → 本期",
		"sec_history": "历史趋势", "ch_history": "各层客户数随时间变化", "ax_date": "截至日期",
		"sec_tags": "标签与品类", "ch_tags": "客户标签 (前 15)", "ch_categories": "客户主要品类 (前 15)",
		"no_data":  "无数据",
		"col_code": "客户编码", "col_name": "客户名称", "col_revenue": "销售额", "col_freq": "订单数",
		"col_recency": "距上次购买 (天)", "col_rfm": "R/F/M", "col_abc": "ABC", "col_tags": "标签",
		"sec_run": "本次运行", "files": "输入文件", "col_file": "文件", "col_source": "来源", "col_format": "读取方式",
		"col_status": "状态", "col_read": "读取", "col_loaded": "载入", "col_rejected": "拒绝", "col_dup": "重复",
		"col_summary": "汇总行", "total": "合计", "no_files": "本次运行没有读取新文件。",
		"cuts": "评分切点", "col_metric": "指标", "col_method": "方法", "col_cuts": "切点", "col_collapsed": "有重合",
		"recency_days": "最近购买天数 (R)", "frequency": "订单数 (F)", "monetary": "销售额 (M)",
		"sec_quality": "数据质量", "rejects": "被拒绝的行 (按原因)", "col_reason": "原因", "col_lines": "行数",
		"col_example": "示例 (rejects.csv 中的原因)", "no_rejects": "最近一次读取的文件中没有被拒绝的行。",
		"master": "客户资料检查", "m_customers": "客户总数", "m_in_master": "在客户主数据中",
		"q_missing_contact": "缺联系人", "q_missing_phone": "缺电话", "q_missing_address": "缺地址",
		"q_bad_phone": "电话格式不对", "q_duplicate_name": "同名不同编码", "q_not_in_master": "有销售但不在主数据中",
		"q_category_differs":  "主数据类别与计算结果不同",
		"q_code_two_names":    "同一编码两个名称",
		"q_no_master":         "没有载入客户主数据：在 sources 中加一个 kind: customers 的来源，才能检查联系人、电话、地址和类别。",
		"q_file":              "每一条问题及其客户见 quality.csv。",
		"q_not_reviewed":      "这一天的客户资料没有检查过：检查由 custcat run 在运行时做。",
		"warnings":            "需要注意",
		"warn_collapsed":      "%s 的切点有重合 (%s)：这些客户无法按分数区分；可改用阈值评分 (scoring.method: thresholds) 或加长统计窗口。",
		"warn_failed":         "文件 %s 读取失败：%s",
		"warn_empty":          "截至 %s 没有快照：请先对这一天运行 custcat run。",
		"warn_no_scored":      "统计窗口内没有任何客户有正金额的单据，无法评分：所有客户的分数为空。",
		"warn_manual_unknown": "手工文件中的客户 %s（%s）不是已知客户，该行未生效。",
		"yes":                 "是", "no": "否", "footer": "由 custcat 生成 · 运行 %d · 截至 %s",
	},
	"en": {
		"colon": ": ", "not_before": "not in the previous snapshot", "unchanged": "unchanged",
		"click_hint":   "Click a bar, a cell, a flow or a tag in a chart: the customer table below then lists just those customers.",
		"tbl_segments": "Segments at a glance", "col_segment": "Segment", "col_customers": "Customers", "col_cust_share": "Share of customers",
		"col_rev_share": "Share of revenue", "col_med_r": "Median R (days)", "col_med_f": "Median F (orders)", "col_med_m": "Median M",
		"col_aov": "Average order value", "seg_table_note": "Medians and the average order value count the customers with an order in the window; average order value = revenue ÷ orders.",
		"sec_dist": "R, F and M distributions", "ch_hist_r": "Days since the last order (R)", "ch_hist_f": "Orders (F)", "ch_hist_m": "Revenue (M)",
		"ax_recency_days": "days", "ax_frequency": "orders", "ax_monetary": "revenue",
		"by_customers": "by customers", "by_revenue": "by revenue",
		"matrix_note":    "Each cell: customers, and below, their revenue in this snapshot.",
		"moves_left_out": "By revenue, the flows of %s customers with no or negative revenue have no width and are not drawn; the table below has them.",
		"history_one":    "There is one snapshot so far (%s), so there is no trend yet: custcat backfill --from … --to %s computes past month ends from the loaded lines.",
		"history_hint":   "One snapshot only: custcat backfill computes past dates, so that the history shows.",
		"sec_customers":  "Customers", "search_ph": "Search a code, a name or its pinyin initials", "min": "min", "max": "max",
		"pinned_only": "pinned only", "clear": "Clear filters", "csv": "Download these customers (CSV)", "loading": "Loading the customers…",
		"page_size": "Rows per page", "per_page": "%s per page", "close": "Close", "pinned": "pinned",
		"col_move": "Movement", "col_category": "Top category", "no_match": "No customer matches.",
		"shown": "%s–%s of %s matching (%s in all) · revenue %s", "page_of": "page %s of %s",
		"remove_filter": "Remove this filter", "all_segments": "All segments", "all_tags": "All tags",
		"move_all": "Any movement", "move_changed": "changed segment", "move_up": "moved up", "move_down": "moved down", "move_same": "unchanged",
		"move_new":   "not in the previous snapshot",
		"tip_pareto": "the top %s of customers make %s of revenue", "tip_rf": "R = %s, F = %s", "n_customers": "%s customers",
		"avg_revenue": "average revenue %s",
		"not_scored":  "not scored: no positive document in the window", "above": "above", "at_or_above": "at or above",
		"reason_r": "= %s - %s: %s is %s %s of %s cut points", "reason_fm": "= 1 + %s: %s is %s %s of %s cut points",
		"card_features": "Features", "card_scores": "Cut points and scores", "card_rules": "Segment rules, first match wins",
		"abc_note":   "(Pareto: A until %s of revenue, B until %s)",
		"rule_fired": "← holds: fired", "rule_no": "no match", "rule_untried": "not tried",
		"rule_gave": "the rules gave %s", "seg_since": "Segment %s since %s", "seg_prev": "previous %s",
		"pinned_note": "Pinned by the manual file; the rules gave %s.", "waiting_note": "Downgrade waiting: the rules gave %s in %s of the %s consecutive runs downgrade_after_runs asks for.",
		"card_tags": "Tags and why", "no_tags": "No tags.", "why_pref": "top category share %s >= %s", "why_manual": "manual file line %s",
		"why_unknown": "–", "manual_line": "manual line %s", "manual_segment": "segment %s until %s (%s)",
		"in_force": "in force", "expired": "expired",
		"card_history": "Segment history", "h_asof": "as of", "h_segment": "segment", "h_rules": "rules gave", "h_since": "since",
		"h_trigger": "trigger", "h_note": "note", "h_pinned": "pinned", "h_waiting": "downgrade waiting (%s)", "h_from": "from %s",
		"trigger_manual": "manual", "trigger_schedule": "schedule", "trigger_backfill": "backfill", "trigger_": "–",
		"unpack_failed":  "The customers could not be unpacked (the browser needs DecompressionStream):",
		"f_recency_days": "days since the last order", "f_frequency": "orders", "f_monetary": "revenue", "f_active_months": "months with an order",
		"f_tenure_days": "days since the first order", "f_avg_order_value": "average order value", "f_returns_share": "share of returns",
		"f_top_category": "top category", "f_top_category_share": "top category share", "f_trend_ratio": "revenue last 90 days / the 90 before",
		"status_loaded": "loaded", "status_failed": "failed", "status_skipped": "skipped (content loaded before)",
		"method_quintile": "quintiles", "method_thresholds": "thresholds",
		"fmt_csv": "CSV", "fmt_xlsx": "Excel", "fmt_parquet": "Parquet", "fmt_utf-8": "UTF-8", "fmt_utf-8-bom": "UTF-8 (BOM)",
		"fmt_gbk": "GBK", "fmt_gb18030": "GB18030", "fmt_comma": "comma", "fmt_tab": "tab", "fmt_semicolon": "semicolon",
		"fmt_pipe": "pipe", "fmt_whitespace": "aligned columns", "fmt_header": "header on line %s", "fmt_sheet": "sheet %s",
		"rej_date": "date not understood", "rej_amount": "amount not understood", "rej_quantity": "quantity not understood", "rej_unit_price": "unit price not understood",
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
		"prev": "before", "now": "now", "ch_moves": "Customer flow", "tbl_from_to": "before → now",
		"sec_history": "History", "ch_history": "Customers per segment over time", "ax_date": "as-of date",
		"sec_tags": "Tags and categories", "ch_tags": "Tags (top 15)", "ch_categories": "Top categories (top 15)",
		"no_data":  "No data",
		"col_code": "Code", "col_name": "Name", "col_revenue": "Revenue", "col_freq": "Orders",
		"col_recency": "Days since last order", "col_rfm": "R/F/M", "col_abc": "ABC", "col_tags": "Tags",
		"sec_run": "This run", "files": "Input files", "col_file": "File", "col_source": "Source", "col_format": "Read as",
		"col_status": "Status", "col_read": "Read", "col_loaded": "Loaded", "col_rejected": "Rejected", "col_dup": "Duplicate",
		"col_summary": "Summary", "total": "Total", "no_files": "This run read no new files.",
		"cuts": "Score cut points", "col_metric": "Metric", "col_method": "Method", "col_cuts": "Cut points", "col_collapsed": "Collapsed",
		"recency_days": "days since last order (R)", "frequency": "orders (F)", "monetary": "revenue (M)",
		"sec_quality": "Data quality", "rejects": "Rejected lines by reason", "col_reason": "Reason", "col_lines": "Lines",
		"col_example": "Example (the reason in rejects.csv)", "no_rejects": "The files read last had no rejected lines.",
		"master": "Customer data review", "m_customers": "Customers", "m_in_master": "In the customer master",
		"q_missing_contact": "No contact", "q_missing_phone": "No phone", "q_missing_address": "No address",
		"q_bad_phone": "Malformed phone", "q_duplicate_name": "Name under several codes", "q_not_in_master": "Sales but not in the master",
		"q_category_differs":  "Master category differs from computed",
		"q_code_two_names":    "One code, two names in a file",
		"q_no_master":         "No customer master loaded: add a source with kind: customers to check contacts, phones, addresses and categories.",
		"q_file":              "quality.csv lists every finding with its customer.",
		"q_not_reviewed":      "The customer data was not reviewed as of this date: custcat run reviews it as it runs.",
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

// textOr returns the words of key in lang, or fallback where neither
// language has the key.
func textOr(lang, key, fallback string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	return fallback
}

// rejectKind names a kind of rejected line (the reason before its first
// colon) in the report's language; a kind it does not know stays as it is.
func rejectKind(lang, kind string) string { return textOr(lang, "rej_"+kind, kind) }

// defaultSegmentNames are the Chinese names of the built-in segments, in
// English, so that an English report of a default config reads in English.
var defaultSegmentNames = map[[2]string]string{
	{"A", "大客户"}: "key accounts", {"B", "一般客户"}: "regular customers", {"C", "潜在客户"}: "potential customers",
}

// segmentName is a segment's name in the report: the config's, or in an
// English report the English of a built-in name.
func segmentName(lang, code, name string) string {
	if lang == "en" {
		if en, ok := defaultSegmentNames[[2]string{code, name}]; ok {
			return en
		}
	}
	return name
}

// HasText says whether lang has its own words for key.
func HasText(lang, key string) bool { _, ok := texts[lang][key]; return ok }

// TextKeys are the keys of lang's words, sorted.
func TextKeys(lang string) []string { return slices.Sorted(maps.Keys(texts[lang])) }

// pinyinBounds are where each initial of pinyin starts among the first
// level of GB2312 (0xB0A1 to 0xD7F9), whose 3,755 common characters are in
// the order of their pinyin: the search finds 客户 by "kh".
var pinyinBounds = []struct {
	letter string
	from   int
}{
	{"a", 0xB0A1}, {"b", 0xB0C5}, {"c", 0xB2C1}, {"d", 0xB4EE}, {"e", 0xB6EA}, {"f", 0xB7A2}, {"g", 0xB8C1},
	{"h", 0xB9FE}, {"j", 0xBBF7}, {"k", 0xBFA6}, {"l", 0xC0AC}, {"m", 0xC2E8}, {"n", 0xC4C3}, {"o", 0xC5B6},
	{"p", 0xC5BE}, {"q", 0xC6DA}, {"r", 0xC8BB}, {"s", 0xC8F6}, {"t", 0xCBFA}, {"w", 0xCDDA}, {"x", 0xCEF4},
	{"y", 0xD1B9}, {"z", 0xD4D1},
}

// pinyinInitials maps each initial to the common characters it begins, for
// the page's search.
var pinyinInitials = func() map[string]string {
	out := map[string]*strings.Builder{}
	dec := simplifiedchinese.GBK.NewDecoder()
	for hi := 0xB0; hi <= 0xD7; hi++ {
		for lo := 0xA1; lo <= 0xFE; lo++ {
			code := hi<<8 | lo
			if code > 0xD7F9 {
				break
			}
			r, err := dec.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil || len(r) == 0 {
				continue
			}
			letter := ""
			for _, b := range pinyinBounds {
				if code >= b.from {
					letter = b.letter
				}
			}
			if out[letter] == nil {
				out[letter] = &strings.Builder{}
			}
			out[letter].Write(r)
		}
	}
	m := map[string]string{}
	for k, b := range out {
		m[k] = b.String()
	}
	return m
}()

// PinyinInitials writes the pinyin initials of the common characters of s,
// keeping letters and digits, lower case: 北京客户A1 -> bjkha1.
func PinyinInitials(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		default:
			for k, chars := range pinyinInitials {
				if strings.ContainsRune(chars, r) {
					b.WriteString(k)
					break
				}
			}
		}
	}
	return b.String()
}
