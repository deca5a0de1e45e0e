package jobs

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The words of notices and of the daemon's page, in the report's
// languages. A string with verbs takes the arguments its use names.
var words = map[string]map[string]string{
	"zh": {
		"ok": "成功", "partial": "部分文件失败", "failed": "失败", "held": "已暂停，未交给 ERP", "accepted": "已确认放行", "running": "运行中",
		"title":        "custcat：作业 %s 第 %d 次运行：%s",
		"title norun":  "custcat：作业 %s 运行：%s",
		"as of":        "截至日期 %s，开始于 %s，用时 %s，尝试 %d 次",
		"failed files": "失败的文件（已移到 failed/ 文件夹）：",
		"waiting":      "仍在 failed/ 中等待处理的文件：",
		"error":        "错误：%s",
		"lines":        "载入 %d 行，拒绝 %d 行",
		"customers":    "客户 %d 个（%s）",
		"report":       "打开报告",
		"retry":        "修正后运行 custcat retry 把文件放回收件箱，或删除它。",
		"summary":      "custcat：作业 %s 第 %d 次运行成功，客户 %d 个（%s），升级 %d，降级 %d，新客户 %d",
		"test title":   "custcat：测试通知",
		"test body":    "这条消息来自 custcat serve -test-notice：通知已配置好。运行失败、部分文件失败或被暂停时，这里会收到文件名和原因。",
	},
	"en": {
		"ok": "succeeded", "partial": "some files failed", "failed": "failed", "held": "held, not given to the ERP", "accepted": "accepted", "running": "running",
		"title":        "custcat: job %s, run %d: %s",
		"title norun":  "custcat: job %s: %s",
		"as of":        "as of %s, started %s, took %s, %d attempt(s)",
		"failed files": "Failed files (moved to the failed/ folder):",
		"waiting":      "Files still waiting in failed/:",
		"error":        "Error: %s",
		"lines":        "%d lines loaded, %d rejected",
		"customers":    "%d customers (%s)",
		"report":       "Open the report",
		"retry":        "Fix it, then run custcat retry to put the file back in the inbox, or remove it.",
		"summary":      "custcat: job %s, run %d succeeded: %d customers (%s), %d moved up, %d down, %d new",
		"test title":   "custcat: test notice",
		"test body":    "This message comes from custcat serve -test-notice: notices are set up. When a run fails, some files fail or a run is held, this is where the file names and reasons arrive.",
	},
}

func say(lang, key string, args ...any) string {
	w, ok := words[lang]
	if !ok {
		w = words["en"]
	}
	s, ok := w[key]
	if !ok {
		s = words["en"][key]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

func (n Notice) statusWord() string { return say(n.lang, n.Status) }

func (n Notice) title() string {
	if n.RunID == 0 {
		return say(n.lang, "title norun", n.Job, n.statusWord())
	}
	return say(n.lang, "title", n.Job, n.RunID, n.statusWord())
}

// segmentList is "A 5, B 20, C 46" in the order of the config.
func (n Notice) segmentList() string {
	codes := append([]string(nil), n.segOrder...)
	for c := range n.Segments {
		if !contains(codes, c) {
			codes = append(codes, c)
		}
	}
	if len(n.segOrder) == 0 {
		sort.Strings(codes)
	}
	sep := ", "
	if n.lang == "zh" {
		sep = "，"
	}
	var parts []string
	for _, c := range codes {
		if v, ok := n.Segments[c]; ok {
			parts = append(parts, fmt.Sprintf("%s %d", c, v))
		}
	}
	return strings.Join(parts, sep)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// body is the message: markdown for the robots that render it, plain
// text for email and the webhook's text field. A run that succeeded says
// it in one line.
func (n Notice) body(md bool) string {
	l := n.lang
	if n.Status == "test" {
		if md {
			return "**" + mdEscape(n.Title) + "**\n\n" + say(l, "test body")
		}
		return n.Title + "\n\n" + say(l, "test body")
	}
	if okLike(n.Status) {
		var m Movers
		if n.Movers != nil {
			m = *n.Movers
		}
		line := say(l, "summary", n.Job, n.RunID, n.Customers, n.segmentList(), m.Up, m.Down, m.New)
		if n.ReportURL != "" {
			line += link(md, say(l, "report"), n.ReportURL)
		}
		return line
	}
	// Paragraphs stand apart by a blank line: markdown joins the lines of
	// one paragraph (and a list wants a blank line above it in some robots).
	var paras []string
	add := func(lines ...string) { paras = append(paras, strings.Join(lines, "\n")) }
	if md {
		add("**" + mdEscape(n.Title) + "**")
	} else {
		add(n.Title)
	}
	took := "-"
	if !n.Finished.IsZero() {
		took = n.Finished.Sub(n.Started).Round(time.Millisecond).String()
	}
	add(say(l, "as of", orDash(n.AsOf), n.Started.Format("2006-01-02 15:04:05"), took, n.Attempts))
	if n.Error != "" {
		add(say(l, "error", text(md, n.Error)))
	}
	files := func(head string, list []NoticeFile) {
		if len(list) == 0 {
			return
		}
		add(head)
		var items []string
		for _, f := range list {
			if md {
				items = append(items, fmt.Sprintf("- **%s**: %s", mdEscape(f.Name), mdEscape(f.Reason)))
			} else {
				items = append(items, fmt.Sprintf("- %s: %s", f.Name, f.Reason))
			}
		}
		add(items...)
	}
	files(say(l, "failed files"), n.Files)
	var older []NoticeFile
	for _, w := range n.Waiting {
		if !containsFile(n.Files, w.Name) {
			older = append(older, w)
		}
	}
	files(say(l, "waiting"), older)
	if n.LinesLoaded > 0 || n.LinesRejected > 0 || n.Customers > 0 {
		add(say(l, "lines", n.LinesLoaded, n.LinesRejected))
		if n.Customers > 0 {
			add(say(l, "customers", n.Customers, n.segmentList()))
		}
	}
	if len(n.Files) > 0 || len(older) > 0 {
		add(say(l, "retry"))
	}
	if n.ReportURL != "" {
		add(strings.TrimPrefix(link(md, say(l, "report"), n.ReportURL), " "))
	}
	return strings.Join(paras, "\n\n")
}

func containsFile(list []NoticeFile, name string) bool {
	for _, f := range list {
		if f.Name == name {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func link(md bool, label, u string) string {
	if md {
		return fmt.Sprintf(" [%s](%s)", label, u)
	}
	return " " + label + ": " + u
}

func text(md bool, s string) string {
	if md {
		return mdEscape(s)
	}
	return s
}

// mdEscape keeps names and reasons from data as text in markdown.
// Underscores stay: file names hold them, and not every robot reads a
// backslash escape.
var mdEscaper = strings.NewReplacer("*", `\*`, "`", "'", "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;", "\n", " ")

func mdEscape(s string) string { return mdEscaper.Replace(s) }
