package jobs

import (
	"io/fs"
	"os"
	"syscall"
)

// hardLinked says whether a file has more names than one (see the unix
// version); Windows tells the count through the open handle.
func hardLinked(f *os.File, _ fs.FileInfo) bool {
	var info syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(syscall.Handle(f.Fd()), &info); err != nil {
		return true // unknown: do not serve
	}
	return info.NumberOfLinks > 1
}
