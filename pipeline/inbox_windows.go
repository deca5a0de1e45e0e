package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// moveBusyFor is how long renameFile keeps trying while another program
// holds the export open: a virus scanner lets go within a second.
const moveBusyFor = 3 * time.Second

// renameFile moves from to the free name to; on another volume or a share
// Windows copies and then deletes. A file that is still open elsewhere
// (the ERP writing it, a viewer) cannot move: after a short wait the error
// says so, and the file stays where it is, whole.
func renameFile(from, to string) error {
	src, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return err
	}
	dst, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(moveBusyFor)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err = windows.MoveFileEx(src, dst, windows.MOVEFILE_COPY_ALLOWED|windows.MOVEFILE_WRITE_THROUGH)
		if err == nil {
			return nil
		}
		busy := errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_LOCK_VIOLATION)
		if !busy {
			return &os.LinkError{Op: "move", Old: from, New: to, Err: err}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is open in another program (the ERP still writing it, a viewer): it stays in the inbox, and the next run moves it: %w", from, err)
		}
		time.Sleep(wait)
	}
}

// hiddenFile reports whether Windows hides the file: Explorer's Thumbs.db
// and desktop.ini in an export folder are not exports.
func hiddenFile(info fs.FileInfo) bool {
	a, ok := info.Sys().(*syscall.Win32FileAttributeData)
	return ok && a.FileAttributes&(windows.FILE_ATTRIBUTE_HIDDEN|windows.FILE_ATTRIBUTE_SYSTEM) != 0
}

// lockedFile reports whether another program holds the file open with no
// read sharing, as an ERP may while it writes an export: it waits for a
// later run rather than failing this one.
func lockedFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_LOCK_VIOLATION)
	}
	f.Close()
	return false
}
