package main

import (
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/windows"
)

// TestHelperHoldFile is not a test: the wine test runs this binary with
// CUSTCAT_TEST_HOLD set to hold that file open as Excel does (read, no
// write or delete sharing) until its stdin closes, so that custcat meets
// an output that another program holds.
func TestHelperHoldFile(t *testing.T) {
	path := os.Getenv("CUSTCAT_TEST_HOLD")
	if path == "" {
		t.Skip("a helper process of TestWindowsUnderWine")
	}
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, windows.FILE_SHARE_READ, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		t.Fatalf("hold %s: %v", path, err)
	}
	defer windows.CloseHandle(h)
	fmt.Println("held")
	done := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
	}
}
