//go:build !windows

package reports

import (
	"os"
	"path/filepath"
)

// replaceFile renames from over to and syncs their folder, so that the
// new name survives a crash.
func replaceFile(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	if d, err := os.Open(filepath.Dir(to)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// syncFile writes the file's data through to the disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
