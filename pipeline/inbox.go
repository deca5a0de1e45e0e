package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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
	// NotAFile says why a name in the inbox is no export custcat reads,
	// such as "a symbolic link"; empty for a regular file. Such a name
	// fails with that reason and goes to failed/, never opened.
	NotAFile string
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
		if hiddenFile(info) {
			continue
		}
		if !info.Mode().IsRegular() {
			// Never opened: a link may point anywhere, a pipe blocks.
			ready = append(ready, InboxFile{Path: filepath.Join(dir, name), Name: name, Size: info.Size(), ModTime: info.ModTime(), NotAFile: notAFile(info.Mode())})
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

// InboxFolders lists the folders in the inbox dir that hold files, which
// no run reads (a run reads the files of the inbox itself), but for hidden
// ones and those custcat writes to (own: archive, failed, out, the
// database's folder), which may lie inside it.
func InboxFolders(dir string, own ...string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if slices.ContainsFunc(own, func(o string) bool { return holds(path, o) }) {
			continue
		}
		if info, err := e.Info(); err == nil && hiddenFile(info) {
			continue
		}
		inside, _ := os.ReadDir(path)
		if slices.ContainsFunc(inside, func(f os.DirEntry) bool { return !f.IsDir() && !strings.HasPrefix(f.Name(), ".") }) {
			out = append(out, e.Name())
		}
	}
	return out
}

// holds says whether folder is path or holds it.
func holds(folder, path string) bool {
	a, err1 := filepath.Abs(folder)
	b, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(a, b)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// notAFile says what kind of inbox entry a mode that is no regular file is.
func notAFile(m os.FileMode) string {
	switch {
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// NotAFileReason is why a run fails an inbox entry that is no regular file.
func (f InboxFile) NotAFileReason() string {
	return f.NotAFile + ", not a file: custcat reads only files that are in the inbox themselves; copy or move the export itself into the inbox"
}

// Changed says whether the file is no longer as the scan found it: its
// size or modification time moved, or it is gone. Such a file is still
// being written (or was replaced), and what was read of it is not the
// export.
func (f InboxFile) Changed() bool {
	st, err := os.Lstat(f.Path)
	return err != nil || st.Size() != f.Size || !st.ModTime().Equal(f.ModTime)
}

// ReasonChanged is why a file that changed while a run read it waits.
const ReasonChanged = "changed while the run read it (still being written): nothing of it is loaded; the next run reads it whole"

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
