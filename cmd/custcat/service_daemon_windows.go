package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
)

// Event ids of custcat's entries in the Windows event log.
const (
	eventStopped = 1 // the daemon stopped by itself: a bad config, it cannot listen
	eventFailure = 2 // an error the daemon logged: a failed run, the HTTP server
)

// runService is what the service manager starts: custcat serve, its log
// in a file, its failures also in the event log.
func runService(name, configPath, logPath string, verbose bool, stderr io.Writer) int {
	// Without its event source (not installed by service install) the
	// failures are in the log file alone.
	var elog eventWriter
	if l, err := eventlog.Open(name); err == nil {
		elog = l
		defer l.Close()
	}
	d := &daemon{name: name, config: configPath, logPath: logPath, verbose: verbose, elog: elog}
	if err := svc.Run(name, d); errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		fmt.Fprintf(stderr, "custcat service run is what the service manager starts; to run the daemon here: custcat serve -c %s\n", configPath)
		return exitUsage
	} else if err != nil {
		report(elog, eventStopped, fmt.Sprintf("custcat service %s: %v", name, err))
		return exitFailed
	}
	return d.code
}

// daemon is custcat serve under the service manager.
type daemon struct {
	name, config, logPath string
	verbose               bool
	elog                  eventWriter // nil without the event source
	code                  int
}

var _ svc.Handler = (*daemon)(nil)

// Execute runs serve until the service manager says stop (or the system
// shuts down): that cancels its context, as the first Ctrl+C does, so a
// run under way rolls back before the service reports stopped.
func (d *daemon) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	// The log, and what serve prints (a bad config), go to the log file.
	logFile, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		report(d.elog, eventStopped, fmt.Sprintf("custcat service %s: open the log %s: %v", d.name, d.logPath, err))
		d.code = exitFailed
		return true, uint32(d.code)
	}
	defer logFile.Close()
	level := slog.LevelInfo
	if d.verbose {
		level = slog.LevelDebug
	}
	h := eventTee{Handler: slog.NewJSONHandler(logFile, &slog.HandlerOptions{Level: level}), elog: d.elog}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- serve(ctx, d.config, h, logFile) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case d.code = <-done:
			// serve ended by itself: a bad config, or it cannot listen.
			report(d.elog, eventStopped, fmt.Sprintf("custcat service %s stopped with exit code %d; see %s", d.name, d.code, d.logPath))
			return true, uint32(d.code)
		case r := <-req:
			switch r.Cmd {
			case svc.Interrogate:
				status <- r.CurrentStatus
			case svc.Stop, svc.Shutdown:
				cancel()
				tick := time.NewTicker(5 * time.Second)
				defer tick.Stop()
				for point := uint32(1); ; point++ {
					status <- svc.Status{State: svc.StopPending, CheckPoint: point, WaitHint: 10000}
					select {
					case d.code = <-done:
						return false, 0
					case <-tick.C:
					}
				}
			}
		}
	}
}

// eventTee writes the records of level error also to the event log, where
// Windows administrators look for failures.
type eventTee struct {
	slog.Handler
	elog  eventWriter
	attrs []slog.Attr
}

func (h eventTee) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		for _, a := range h.attrs {
			b.WriteString(" " + a.String())
		}
		r.Attrs(func(a slog.Attr) bool {
			b.WriteString(" " + a.String())
			return true
		})
		report(h.elog, eventFailure, b.String())
	}
	return h.Handler.Handle(ctx, r)
}

func (h eventTee) WithAttrs(as []slog.Attr) slog.Handler {
	return eventTee{Handler: h.Handler.WithAttrs(as), elog: h.elog, attrs: append(slices.Clip(h.attrs), as...)}
}

func (h eventTee) WithGroup(name string) slog.Handler {
	return eventTee{Handler: h.Handler.WithGroup(name), elog: h.elog, attrs: h.attrs}
}

// eventWriter is the Windows event log, as custcat writes to it.
type eventWriter interface {
	Error(id uint32, msg string) error
}

var _ eventWriter = (*eventlog.Log)(nil)

// report writes msg to the event log, if custcat has its source.
func report(elog eventWriter, id uint32, msg string) {
	if elog != nil {
		_ = elog.Error(id, msg)
	}
}
