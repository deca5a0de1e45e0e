//go:build !windows

package pipeline

import (
	"io/fs"
	"os"
)

func renameFile(from, to string) error { return os.Rename(from, to) }

// hiddenFile is for Windows' hidden attribute; on Unix a hidden file's
// name starts with a dot, which ScanInbox checks.
func hiddenFile(fs.FileInfo) bool { return false }

// lockedFile is for Windows, where a writer can keep others from reading.
func lockedFile(string) bool { return false }
