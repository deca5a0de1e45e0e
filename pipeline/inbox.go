package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// InboxFile is an export waiting in the inbox.
type InboxFile struct {
	Path    string
	Name    string
	Size    int64
	ModTime time.Time
}

// ScanInbox lists the exports ready in dir, oldest first. Files still being
// written wait for a later run: names ending in .tmp or .part, hidden
// files, and files changed within settle (their size may still grow).
func ScanInbox(dir string, now time.Time, settle time.Duration) ([]InboxFile, []string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("read inbox: %w", err)
	}
	var ready []InboxFile
	var waiting []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
			continue
		}
		lower := strings.ToLower(name)
		if strings.HasSuffix(lower, ".tmp") || strings.HasSuffix(lower, ".part") || strings.HasSuffix(lower, ".reason.txt") {
			waiting = append(waiting, name)
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, nil, err
		}
		if !info.Mode().IsRegular() || hiddenFile(info) {
			continue
		}
		if (settle > 0 && now.Sub(info.ModTime()) < settle) || lockedFile(filepath.Join(dir, name)) {
			waiting = append(waiting, name)
			continue
		}
		ready = append(ready, InboxFile{Path: filepath.Join(dir, name), Name: name, Size: info.Size(), ModTime: info.ModTime()})
	}
	sort.Slice(ready, func(i, j int) bool {
		if !ready[i].ModTime.Equal(ready[j].ModTime) {
			return ready[i].ModTime.Before(ready[j].ModTime)
		}
		return ready[i].Name < ready[j].Name
	})
	return ready, waiting, nil
}

// FreeName is where MoveFile may put path in dir, which it creates: the
// same name, or, if a file of that name is already there, a numbered name
// beside it.
func FreeName(path, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	base := filepath.Base(path)
	ext := filepath.Ext(base)
	dest := filepath.Join(dir, base)
	for i := 1; ; i++ {
		if _, err := os.Lstat(dest); os.IsNotExist(err) {
			return dest, nil
		}
		dest = filepath.Join(dir, fmt.Sprintf("%s.%d%s", strings.TrimSuffix(base, ext), i, ext))
	}
}

// MoveFile moves a file to dest, a name from FreeName.
func MoveFile(path, dest string) error {
	// On Windows renameFile copies across volumes itself (inbox_windows.go).
	if err := renameFile(path, dest); err == nil || runtime.GOOS == "windows" {
		return err
	}
	// Another file system: copy, sync, then remove.
	if err := copyFile(path, dest); err != nil {
		return err
	}
	return os.Remove(path)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := to + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, to)
}

// ErrNoInbox means the inbox folder is missing or cannot be read: a share
// not mounted, a path mistyped. A run fails on it rather than loading nothing.
var ErrNoInbox = errors.New("inbox cannot be read")

// CheckInbox says whether dir is a folder custcat can list.
func CheckInbox(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("%w: %s does not exist; mount the share or create the folder, or set inbox in the config to where the ERP writes its exports", ErrNoInbox, dir)
	case err != nil:
		return fmt.Errorf("%w: %v; give custcat's user read access to it, or set inbox in the config", ErrNoInbox, err)
	case !st.IsDir():
		return fmt.Errorf("%w: %s is a file, not a folder; set inbox in the config to the folder the ERP writes its exports to", ErrNoInbox, dir)
	}
	f, err := os.Open(dir)
	if err == nil {
		_, err = f.Readdirnames(1)
		f.Close()
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("%w: %v; give custcat's user read access to it, or set inbox in the config", ErrNoInbox, err)
	}
	return nil
}
