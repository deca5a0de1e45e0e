package main

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"

	"custcat/pipeline"
)

// barProgress shows a bar on a terminal for files that take more than a
// second to read; elsewhere it shows nothing.
type barProgress struct {
	w     io.Writer
	name  string
	size  int64
	start time.Time
	bar   *progressbar.ProgressBar
}

var _ pipeline.Progress = (*barProgress)(nil)

func newProgress(w io.Writer) pipeline.Progress {
	f, ok := w.(*os.File)
	if !ok || !isatty.IsTerminal(f.Fd()) {
		return nil
	}
	return &barProgress{w: w}
}

func (p *barProgress) Start(name string, size int64) {
	p.name, p.size, p.start, p.bar = name, size, time.Now(), nil
}

func (p *barProgress) Line(n int64) {
	if p.bar == nil {
		if time.Since(p.start) < time.Second {
			return
		}
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(p.w),
			progressbar.OptionSetDescription(p.name),
			progressbar.OptionShowCount(),
			progressbar.OptionSetItsString("lines"),
			progressbar.OptionShowIts(),
			progressbar.OptionThrottle(200*time.Millisecond),
		)
	}
	_ = p.bar.Set64(n)
}

func (p *barProgress) Done() {
	if p.bar != nil {
		_ = p.bar.Finish()
		io.WriteString(p.w, "\n")
	}
}
