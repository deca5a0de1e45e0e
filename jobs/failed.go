package jobs

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"custcat/pipeline"
)

// FailedFile is an export that waits in failed/ for a person: fixed and
// sent again with custcat retry, or removed.
type FailedFile struct {
	Name   string // in failed/
	Reason string // the first lines of its .reason.txt
	Run    int64  // the run that failed it, 0 when the reason does not say
	Since  time.Time
}

// reasonSuffix names the file that says why its file failed.
const reasonSuffix = ".reason.txt"

// maxReasonLines and maxReasonBytes bound the reason shown on a page,
// in a log line or on a phone: its first lines are what a person reads.
const (
	maxReasonLines = 3
	maxReasonBytes = 600
)

// FailedFiles lists the files waiting in the failed folder of cfg, by
// name, each with the start of its reason. A missing folder holds none.
func FailedFiles(cfg *pipeline.Config) ([]FailedFile, error) {
	dir := cfg.Path(cfg.Failed)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the failed folder: %w", err)
	}
	var out []FailedFile
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasSuffix(name, reasonSuffix) || e.IsDir() {
			continue
		}
		f := FailedFile{Name: name}
		if info, err := e.Info(); err == nil {
			f.Since = info.ModTime()
		}
		f.Reason, f.Run = readReason(filepath.Join(dir, name+reasonSuffix))
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b FailedFile) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readReason reads the start of a .reason.txt as written by moveInbox:
// the reason, then "sha256 ..." and "run N" lines.
func readReason(path string) (string, int64) {
	f, err := os.Open(path)
	if err != nil {
		return "no .reason.txt beside it", 0
	}
	defer f.Close()
	var lines []string
	var run int64
	sc := bufio.NewScanner(io.LimitReader(f, 64<<10))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if n, ok := strings.CutPrefix(line, "run "); ok {
			if id, err := strconv.ParseInt(n, 10, 64); err == nil {
				run = id
				continue
			}
		}
		if line == "" || strings.HasPrefix(line, "sha256 ") || len(lines) == maxReasonLines {
			continue
		}
		lines = append(lines, line)
	}
	return clip(strings.Join(lines, " / "), maxReasonBytes), run
}

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// Retried is a failed file put back in the inbox.
type Retried struct {
	Name  string // as it was in failed/
	Inbox string // its path in the inbox
}

// Retry moves failed files back to the inbox, where the next run reads
// them, and removes their .reason.txt. With no names it moves them all.
// A name that is not waiting in failed/ moves nothing and is an error
// that lists what is.
func Retry(cfg *pipeline.Config, names []string) ([]Retried, error) {
	waiting, err := FailedFiles(cfg)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	var all []string
	for _, f := range waiting {
		have[f.Name] = true
		all = append(all, f.Name)
	}
	if len(names) == 0 {
		names = all
	}
	var unknown []string
	for i, n := range names {
		// A path such as failed/a.csv, as a shell completes it, names a.csv.
		n = filepath.Base(n)
		names[i] = n
		if !have[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		what := "it is empty"
		if len(all) > 0 {
			what = "it holds " + strings.Join(all, ", ")
		}
		return nil, fmt.Errorf("%s not in the failed folder (%s): %s", strings.Join(unknown, ", "), cfg.Path(cfg.Failed), what)
	}
	inbox := cfg.Path(cfg.Inbox)
	var out []Retried
	for _, n := range names {
		from := filepath.Join(cfg.Path(cfg.Failed), n)
		dest, err := pipeline.FreeName(from, inbox)
		if err != nil {
			return out, fmt.Errorf("retry %s: %w", n, err)
		}
		if err := pipeline.MoveFile(from, dest); err != nil {
			return out, fmt.Errorf("retry %s: %w", n, err)
		}
		// The reason goes after its file: a crash between leaves a
		// reason alone, which no list shows.
		if err := os.Remove(from + reasonSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return out, fmt.Errorf("retry %s: remove its reason: %w", n, err)
		}
		out = append(out, Retried{Name: n, Inbox: dest})
	}
	return out, nil
}
