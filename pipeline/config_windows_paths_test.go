package pipeline

import (
	"reflect"
	"strings"
	"testing"
)

// Configs written on Windows: Notepad's CRLF line ends, and paths with \
// (drive letters, UNC shares, Chinese names and spaces) in the three ways
// YAML allows, or refused with a hint where YAML reads \ as an escape.
func TestConfigWindowsStyle(t *testing.T) {
	lf := "inbox: C:\\custcat\\收件 箱\n" +
		"archive: \\\\fileserver\\erp\\archive\n" +
		"failed: 'D:\\失败 文件'\n" +
		"out: C:/custcat/out\n" +
		"store: {path: db\\custcat.duckdb}\n" +
		"sources:\n  - {name: kingdee, files: \"销售出库单_*.csv\"}\n"
	want := map[string]string{
		"inbox":   `C:\custcat\收件 箱`,
		"archive": `\\fileserver\erp\archive`,
		"failed":  `D:\失败 文件`,
		"out":     `C:/custcat/out`,
		"store":   `db\custcat.duckdb`,
	}
	a, problems := ParseConfig([]byte(lf))
	if len(problems) > 0 {
		t.Fatalf("LF config: %v", problems)
	}
	got := map[string]string{"inbox": a.Inbox, "archive": a.Archive, "failed": a.Failed, "out": a.Out, "store": a.Store.Path}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths: got %q, want %q", got, want)
	}
	b, problems := ParseConfig([]byte(strings.ReplaceAll(lf, "\n", "\r\n")))
	if len(problems) > 0 {
		t.Fatalf("CRLF config: %v", problems)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("the CRLF config reads otherwise than the LF one:\n%+v\n%+v", b, a)
	}

	_, problems = ParseConfig([]byte("inbox: \"C:\\custcat\\inbox\"\r\n"))
	if len(problems) != 1 || !strings.Contains(problems[0], "line 1") || !strings.Contains(problems[0], "in single quotes ('C:\\custcat\\inbox')") {
		t.Errorf("a double-quoted Windows path: problems %q, want one on line 1 with the hint", problems)
	}
}
