//go:build unix

package jobs

import (
	"io/fs"
	"os"
	"syscall"
)

// hardLinked says whether a file has more names than one. os.Root keeps
// paths and symlinks inside the output folder, but a hard link is the
// file itself: one made in out/ to a file outside would be served.
// custcat writes its outputs beside and renames them in, so each has one.
func hardLinked(_ *os.File, st fs.FileInfo) bool {
	s, ok := st.Sys().(*syscall.Stat_t)
	return ok && s.Nlink > 1
}
