package reports

import (
	"fmt"
	"os"
	"path/filepath"
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
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output folder: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	p := &Pending{Final: path, tmp: f.Name()}
	if _, err := f.Write(data); err != nil {
		f.Close()
		p.Abort()
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		p.Abort()
		return nil, fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		p.Abort()
		return nil, fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Chmod(p.tmp, 0o644); err != nil {
		p.Abort()
		return nil, err
	}
	return p, nil
}

// Commit renames the file into place and syncs the folder.
func (p *Pending) Commit() error {
	if err := os.Rename(p.tmp, p.Final); err != nil {
		return fmt.Errorf("put %s in place: %w", p.Final, err)
	}
	if d, err := os.Open(filepath.Dir(p.Final)); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// Abort removes the temporary file.
func (p *Pending) Abort() { _ = os.Remove(p.tmp) }
