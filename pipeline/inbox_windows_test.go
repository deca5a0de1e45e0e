package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows"
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

// Files that Windows hides (Explorer's Thumbs.db, desktop.ini) wait in
// the inbox like dot files on Unix; the exports beside them are read.
func TestScanInboxHiddenWindows(t *testing.T) {
	dir := tempDir(t)
	for _, name := range []string{"销售出库单_1.csv", "Thumbs.db", "desktop.ini"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
	}
	for _, name := range []string{"Thumbs.db", "desktop.ini"} {
		p, _ := windows.UTF16PtrFromString(filepath.Join(dir, name))
		if err := windows.SetFileAttributes(p, windows.FILE_ATTRIBUTE_HIDDEN|windows.FILE_ATTRIBUTE_SYSTEM); err != nil {
			t.Fatal(err)
		}
	}
	ready, _, err := ScanInbox(dir, time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ready) != 1 || ready[0].Name != "销售出库单_1.csv" {
		t.Errorf("ready: %+v, want the export alone", ready)
	}
}

// An export that its writer holds with no read sharing waits for a later
// run instead of failing this one.
func TestScanInboxLockedWindows(t *testing.T) {
	dir := tempDir(t)
	path := filepath.Join(dir, "销售出库单_2.csv")
	os.WriteFile(path, []byte("x"), 0o644)
	p, _ := windows.UTF16PtrFromString(path)
	h, err := windows.CreateFile(p, windows.GENERIC_WRITE, 0, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatal(err)
	}
	ready, waiting, err := ScanInbox(dir, time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ready) != 0 || len(waiting) != 1 || waiting[0] != "销售出库单_2.csv" {
		t.Errorf("while the writer holds it: ready %+v, waiting %q", ready, waiting)
	}
	windows.CloseHandle(h)
	if ready, _, _ := ScanInbox(dir, time.Now(), 0); len(ready) != 1 {
		t.Errorf("after the writer let go: ready %+v", ready)
	}
}
