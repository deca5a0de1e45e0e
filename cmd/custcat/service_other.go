//go:build !windows

package main

import (
	"context"
	"fmt"
	"io"
)

// serviceCmd is the Windows service's command; elsewhere systemd or cron
// runs custcat (data/deploy).
func serviceCmd(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "custcat service installs custcat serve as a Windows service; here, run custcat serve from systemd (data/deploy/custcat.service) or custcat run from cron (data/deploy/custcat.cron)")
	return exitUsage
}
