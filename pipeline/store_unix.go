//go:build !windows

package pipeline

import (
	"os"
	"time"
)

// fileHeld is for Windows, where DuckDB reports a held database as a
// sharing violation in the language of the system; on Unix its lock
// messages say so.
func fileHeld(string) bool { return false }

// processStart is when the process pid started, if it is running.
func processStart(pid string) (time.Time, bool) {
	st, err := os.Stat("/proc/" + pid)
	if err != nil {
		return time.Time{}, false
	}
	return st.ModTime(), true
}
