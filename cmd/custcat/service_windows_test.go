package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// Misuse of custcat service says what was wrong and what to try; service
// run outside the service manager points to custcat serve. (The wine test
// installs, starts, stops and uninstalls a real service.)
func TestServiceCommandWindows(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no action", []string{"service"}, exitUsage, "custcat service install   -c"},
		{"help", []string{"service", "-h"}, exitOK, "--user"},
		{"unknown action", []string{"service", "restart"}, exitUsage, `unknown action "restart"`},
		{"install without a config", []string{"service", "install"}, exitUsage, `-c C:\custcat\custcat.yaml`},
		{"stray argument", []string{"service", "stop", "now"}, exitUsage, `unexpected "now"`},
		{"run outside the service manager", []string{"service", "run", "-c", "custcat.yaml"}, exitUsage, "custcat serve -c custcat.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Run(context.Background(), c.args, &out, &errOut)
			if code != c.code || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("exit %d, want %d; stderr:\n%s\nwant it to hold %q", code, c.code, errOut.String(), c.want)
			}
		})
	}
}

// The service's log lines of level error (a failed run) go to the event
// log too, with the attributes of the logger and of the line; the others
// only to the log file.
func TestEventTeeWindows(t *testing.T) {
	var file bytes.Buffer
	events := &eventRecorder{}
	log := slog.New(eventTee{Handler: slog.NewJSONHandler(&file, nil), elog: events}).With(slog.String("job", "nightly"))
	log.Info("run", slog.Int64("run", 3))
	log.Error("run failed", slog.Int64("run", 4), slog.String("err", "load: 销售出库单.csv: boom"))
	want := []string{`2 run failed job=nightly run=4 err=load: 销售出库单.csv: boom`}
	if !slices.Equal(events.got, want) {
		t.Errorf("event log: %q, want %q", events.got, want)
	}
	if n := strings.Count(file.String(), "\n"); n != 2 || !strings.Contains(file.String(), `"msg":"run failed"`) {
		t.Errorf("log file: %d lines\n%s", n, file.String())
	}
}

// eventRecorder stands in for the Windows event log.
type eventRecorder struct{ got []string }

var _ eventWriter = (*eventRecorder)(nil)

func (r *eventRecorder) Error(id uint32, msg string) error {
	r.got = append(r.got, fmt.Sprintf("%d %s", id, msg))
	return nil
}
