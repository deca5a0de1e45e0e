package reports

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"

	"custcat/pipeline"
)

// replaceBusyFor is how long replaceFile keeps trying while the file in
// place is held open: a virus scanner or the search indexer lets go within
// a second; a program showing the file does not.
const replaceBusyFor = 3 * time.Second

// replaceFile renames from over to. Windows has no folder sync: the write
// through flag makes the rename durable before the call returns. A file
// open elsewhere without delete sharing (Excel holds the files it shows
// that way) cannot be replaced: replaceFile waits a little, then says who
// has to act. The old file stays whole either way.
func replaceFile(from, to string) error {
	busy, err := pipeline.RetryMove(from, to, windows.MOVEFILE_REPLACE_EXISTING|windows.MOVEFILE_WRITE_THROUGH, replaceBusyFor, fileBusy)
	switch {
	case busy:
		return fmt.Errorf("%s is open in another program (Excel, a viewer) or read-only: close it or clear its read-only flag, then run again: %w", to, err)
	case err != nil:
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
	}
	return nil
}

// fileBusy reports whether err means that another handle holds the file.
func fileBusy(err error) bool {
	return errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION) ||
		errors.Is(err, windows.ERROR_ACCESS_DENIED)
}

// syncFile writes the file's data through to the disk. FlushFileBuffers
// needs a handle with write access, which os.Open does not give.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
