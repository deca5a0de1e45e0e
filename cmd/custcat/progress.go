package main

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"custcat/pipeline"
)

// barProgress shows on a terminal where a run is, on one line that is
// cleared when the step ends: while a file is read, its share read (of its
// size on disk, compressed for a .gz), then each step of the run, with the
// time it has taken. Elsewhere it shows nothing.
type barProgress struct {
	w     io.Writer
	name  string
	size  int64
	bar   *progressbar.ProgressBar
	bytes bool // bar counts the bytes of the file being read
}

var _ pipeline.Progress = (*barProgress)(nil)

func newProgress(w io.Writer) pipeline.Progress {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return nil
	}
	return &barProgress{w: w}
}

// Start begins the reading of a file of size bytes.
func (p *barProgress) Start(name string, size int64) {
	p.clear()
	p.name, p.size = name, size
}

// Read tells how many bytes of the file are read.
func (p *barProgress) Read(n int64) {
	if p.bar == nil || !p.bytes {
		if p.size <= 0 {
			return
		}
		p.clear()
		p.bytes = true
		p.bar = progressbar.NewOptions64(p.size,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription("reading "+p.name),
			progressbar.OptionSetWidth(20),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	if n >= p.size {
		// Read whole; what remains of the file is storing its lines. Later
		// reports of the same file change nothing (size 0 ignores them).
		p.size = 0
		p.phase("loading " + p.name)
		return
	}
	_ = p.bar.Set64(n)
}

// Phase begins a step of the run; "" ends the run's display.
func (p *barProgress) Phase(name string) {
	p.clear()
	if name != "" {
		p.phase(name)
	}
}

func (p *barProgress) phase(name string) {
	if p.bar != nil && !p.bytes {
		p.bar.Describe(name)
		return
	}
	p.clear()
	// An indeterminate bar: a spinner, the step, and its time, redrawn by
	// the bar's own ticker while the step runs.
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	)
	_ = p.bar.RenderBlank()
}

func (p *barProgress) clear() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar, p.bytes = nil, false
	}
}
