package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// On Windows an export moves to archive/ under a Chinese name with spaces;
// one that another program still holds open stays in the inbox, whole,
// with an error that says why, after a short wait.
func TestMoveFileWindows(t *testing.T) {
	root := filepath.Join(tempDir(t), "金蝶 导出")
	inbox := filepath.Join(root, "inbox")
	os.MkdirAll(inbox, 0o755)
	src := filepath.Join(inbox, "销售出库单 2024.csv")
	os.WriteFile(src, []byte("日期,单据编号\r\n"), 0o644)

	held, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	dest, err := FreeName(src, filepath.Join(root, "archive", "2024", "12"))
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	err = MoveFile(src, dest)
	if err == nil || !strings.Contains(err.Error(), "is open in another program") {
		t.Errorf("move of a file open elsewhere: %v, want the open-in-another-program error", err)
	}
	if took := time.Since(began); took < moveBusyFor {
		t.Errorf("gave up after %v, want a wait of %v", took, moveBusyFor)
	}
	if _, err := os.Stat(src); err != nil {
		t.Errorf("the export left the inbox: %v", err)
	}
	if _, err := os.Stat(dest); err == nil {
		t.Errorf("a copy of the export is in the archive")
	}
	held.Close()
	if err := MoveFile(src, dest); err != nil {
		t.Fatalf("move: %v", err)
	}
	if b, err := os.ReadFile(dest); err != nil || string(b) != "日期,单据编号\r\n" {
		t.Errorf("archived: %q, %v", b, err)
	}
	if _, err := os.Stat(src); !os.IsNotExist(err) {
		t.Errorf("the export is still in the inbox: %v", err)
	}
}
