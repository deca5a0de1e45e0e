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
	busy, err := RetryMove(from, to, windows.MOVEFILE_COPY_ALLOWED|windows.MOVEFILE_WRITE_THROUGH, moveBusyFor, sharingViolation)
	switch {
	case busy:
		return fmt.Errorf("%s is open in another program (the ERP still writing it, a viewer): it stays in the inbox, and the next run moves it: %w", from, err)
	case err != nil:
		return &os.LinkError{Op: "move", Old: from, New: to, Err: err}
	}
	return nil
}

// RetryMove calls MoveFileEx with flags until it succeeds, fails for a
// reason busy does not accept, or busyFor has passed, waiting a little
// longer each time: a virus scanner or the search indexer that holds a
// file lets go within a second. It returns the last error, and whether
// another program still held the file then.
func RetryMove(from, to string, flags uint32, busyFor time.Duration, busy func(error) bool) (held bool, err error) {
	src, err := windows.UTF16PtrFromString(from)
	if err != nil {
		return false, err
	}
	dst, err := windows.UTF16PtrFromString(to)
	if err != nil {
		return false, err
	}
	deadline := time.Now().Add(busyFor)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		err = windows.MoveFileEx(src, dst, flags)
		if err == nil || !busy(err) {
			return false, err
		}
		if time.Now().After(deadline) {
			return true, err
		}
		time.Sleep(wait)
	}
}

// sharingViolation reports whether err means that another program holds
// the file open without sharing it.
func sharingViolation(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) || errors.Is(err, windows.ERROR_LOCK_VIOLATION)
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
		return sharingViolation(err)
	}
	f.Close()
	return false
}
