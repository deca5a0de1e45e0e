package main

import (
	"bytes"
	"context"
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
