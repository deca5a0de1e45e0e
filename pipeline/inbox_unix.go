//go:build !windows

package pipeline

import "os"

func renameFile(from, to string) error { return os.Rename(from, to) }
