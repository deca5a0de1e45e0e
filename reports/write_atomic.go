package reports

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Pending is an output written to a temporary file beside its final path.
// Commit renames it into place; Abort removes it. Until Commit, the file
// that readers see at the final path, if any, is the previous one, whole.
type Pending struct {
	Final string
	tmp   string
}

// WriteFile writes data to a temporary file in the folder of path and syncs it.
func WriteFile(path string, data []byte) (*Pending, error) {
	p, f, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		p.Abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		p.Abort()
		return nil, fmt.Errorf("close %s: %w", path, err)
	}
	if err := p.Adopt(); err != nil {
		p.Abort()
		return nil, err
	}
	return p, nil
}

// createTemp creates the temporary file of path, in its folder. Temporary
// files of path that a killed process left behind go first: one process
// writes an output at a time (it holds the database).
func createTemp(path string) (*Pending, *os.File, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("create output folder: %w", err)
	}
	prefix := "." + filepath.Base(path) + "."
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if n := e.Name(); strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ".tmp") && e.Type().IsRegular() {
				_ = os.Remove(filepath.Join(dir, n))
			}
		}
	}
	f, err := os.CreateTemp(dir, prefix+"*.tmp")
	if err != nil {
		return nil, nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &Pending{Final: path, tmp: f.Name()}, f, nil
}

// Commit renames the file into place and makes the rename durable
// (write_atomic_unix.go, write_atomic_windows.go).
func (p *Pending) Commit() error {
	if err := replaceFile(p.tmp, p.Final); err != nil {
		return fmt.Errorf("put %s in place: %w", p.Final, err)
	}
	return nil
}

// Abort removes the temporary file.
func (p *Pending) Abort() { _ = os.Remove(p.tmp) }

// Reserve creates an empty temporary file beside path for a writer that
// takes a file name rather than bytes, such as DuckDB's COPY. Once that
// writer is done, Adopt makes the file durable; Commit and Abort then work
// as for WriteFile.
func Reserve(path string) (*Pending, error) {
	p, f, err := createTemp(path)
	if err != nil {
		return nil, err
	}
	if err := f.Close(); err != nil {
		p.Abort()
		return nil, fmt.Errorf("close %s: %w", path, err)
	}
	return p, nil
}

// Temp is the name of the temporary file that a reserved output is written to.
func (p *Pending) Temp() string { return p.tmp }

// Adopt syncs the temporary file that another writer filled, so that a
// crash after Commit cannot leave a short file in place.
func (p *Pending) Adopt() error {
	if err := syncFile(p.tmp); err != nil {
		return fmt.Errorf("sync %s: %w", p.Final, err)
	}
	return os.Chmod(p.tmp, 0o644)
}
