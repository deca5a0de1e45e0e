package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole process to the file that
// CUSTCAT_CPUPROFILE names, for `go tool pprof` (BENCH.md, "Where the time
// goes"); without it, it does nothing. The returned function ends it.
func startProfile(stderr io.Writer) func() {
	path := os.Getenv("CUSTCAT_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(stderr, "custcat: CUSTCAT_CPUPROFILE: %v\n", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(stderr, "custcat: CUSTCAT_CPUPROFILE: %v\n", err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
