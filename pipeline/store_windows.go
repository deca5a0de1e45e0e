package pipeline

import (
	"errors"
	"strconv"
	"time"

	"golang.org/x/sys/windows"
)

// fileHeld reports whether another process has the file at path open.
// DuckDB holds its database file open with no sharing; a second custcat
// gets "Cannot open file ...: " and the system's text for a sharing
// violation, which is in the language of the system (and, where the
// Restart Manager knows, the program and its PID). Opening the file here
// with no sharing tells the same without reading text.
func fileHeld(path string) bool {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return false
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ, 0, nil, windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return errors.Is(err, windows.ERROR_SHARING_VIOLATION)
	}
	windows.CloseHandle(h)
	return false
}

// processStart is when the process pid started, if it is running.
func processStart(pid string) (time.Time, bool) {
	n, err := strconv.ParseUint(pid, 10, 32)
	if err != nil {
		return time.Time{}, false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(n))
	if err != nil {
		return time.Time{}, false
	}
	defer windows.CloseHandle(h)
	var created, exited, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(h, &created, &exited, &kernel, &user); err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, created.Nanoseconds()), true
}
