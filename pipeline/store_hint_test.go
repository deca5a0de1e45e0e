package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

// DuckDB's cap on its temp folder (90 % of the disk's free space by
// default) is an "Out of Memory Error" that names max_temp_directory_size:
// custcat tells it as a full disk, with the folder, not as memory to raise
// alone, and without DuckDB's PRAGMA. The text is DuckDB 1.5.6's, as
// TestSmallDisk (cmd/custcat) gets it from a real run.
func TestStoreHintTempCap(t *testing.T) {
	err := errors.New(`segment: KeepSnapshotRun: Out of Memory Error: failed to offload data block of size 256.0 KiB (18.9 MiB/19.0 MiB used).
This limit was set by the 'max_temp_directory_size' setting.
By default, this setting utilizes the available disk space on the drive where the 'temp_directory' is located.
You can adjust this setting, by using (for example) PRAGMA max_temp_directory_size='10GiB'`)
	got := StoreHint(err, StoreConfig{Path: "var/custcat.duckdb", MemoryLimit: "96MB"})
	var me *MemoryError
	if !errors.Is(got, ErrDiskFull) || errors.As(got, &me) {
		t.Fatalf("not a full disk: %v", got)
	}
	for _, want := range []string{"(18.9 MiB/19.0 MiB used); the disk of DuckDB's temp folder var/custcat.duckdb.tmp is full",
		"free space on that disk", "raise store.memory_limit", "store.memory_limit (96MB)"} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("the message does not say %q:\n%v", want, got)
		}
	}
	if strings.Contains(got.Error(), "PRAGMA") || strings.Contains(got.Error(), "\n") {
		t.Errorf("the message holds DuckDB's advice:\n%v", got)
	}
	// Out of memory within the limit is still told as memory.
	oom := errors.New("Out of Memory Error: failed to pin block of size 256.0 KiB (60.9 MiB/61.0 MiB used)\n\nPossible solutions:\n* Reducing the number of threads (SET threads=X)")
	if got := StoreHint(oom, StoreConfig{MemoryLimit: "64MB"}); !errors.As(got, &me) || errors.Is(got, ErrDiskFull) {
		t.Errorf("memory told as: %v", got)
	}
}

// Each form of a full disk DuckDB reports names the folder to free.
func TestStoreHintDiskFull(t *testing.T) {
	cfg := StoreConfig{Path: "var/custcat.duckdb", MemoryLimit: "512MB"}
	for _, c := range []struct {
		name, msg, want string
	}{
		{"storing lines", `load: b.csv: store lines: IO Error: Could not write file "/srv/custcat/var/custcat.duckdb": No space left on device`,
			"the disk that holds the database /srv/custcat/var/custcat.duckdb (store.path) is full: free space on it"},
		{"the checkpoint", `commit: FATAL Error: Failed to create checkpoint because of error: Could not write file "/srv/custcat/var/custcat.duckdb": No space left on device`,
			"the disk that holds the database /srv/custcat/var/custcat.duckdb (store.path) is full"},
		{"a spill", `segment: SaveSnapshot: IO Error: Could not write file "/srv/custcat/var/custcat.duckdb.tmp/duckdb_temp_storage_DEFAULT-0.tmp": No space left on device`,
			"the disk of DuckDB's temp folder /srv/custcat/var/custcat.duckdb.tmp is full"},
		{"Windows", `IO Error: Could not write file "/srv/custcat/var/custcat.duckdb": There is not enough space on the disk.`,
			"(store.path) is full"},
		{"no path", `IO Error: No space left on device`,
			"the disk of the database var/custcat.duckdb (store.path) is full, or that of DuckDB's temp folder var/custcat.duckdb.tmp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := StoreHint(fmt.Errorf("%s", c.msg), cfg)
			if !errors.Is(got, ErrDiskFull) || !strings.Contains(got.Error(), c.want) || !strings.HasPrefix(got.Error(), strings.TrimSuffix(c.msg, ".")) {
				t.Errorf("got  %v\nwant %s, then %q", got, c.msg, c.want)
			}
		})
	}
	// custcat's own writes (the outputs) carry their own advice.
	own := fmt.Errorf("write outputs: %w", &fs.PathError{Op: "write", Path: "out/.categories.csv.1.tmp", Err: syscall.ENOSPC})
	if got := StoreHint(own, cfg); got != own {
		t.Errorf("an output's error changed: %v", got)
	}
}

// custcat's own memory is limited to half of DuckDB's memory_limit, and
// to no less than 400 MiB.
func TestGoMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		duckdb string
		want   int64
	}{
		{"488.2 MiB", 400 << 20}, // the default, 512MB
		{"4.0 GiB", 2 << 30},
		{"1.0 GB", 500e6},
		{"", 400 << 20},
		{"lots", 400 << 20},
	} {
		if got := goMemoryLimit(c.duckdb); got != c.want {
			t.Errorf("goMemoryLimit(%q) = %d, want %d", c.duckdb, got, c.want)
		}
	}
}
