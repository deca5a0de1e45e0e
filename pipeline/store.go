package pipeline

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	custsql "custcat/sql"
)

// ErrLocked means another process holds the database for writing:
// another custcat, or another program (errors.Is tells either).
var ErrLocked = errors.New("database is in use by another custcat process")

// ErrDamaged means a block of the database file does not hold what DuckDB
// wrote there: its checksum does not match.
var ErrDamaged = errors.New("the database file is damaged")

// ErrDiskFull means a write found no room on its disk: the database file
// growing, DuckDB spilling to its temp folder, or an output.
var ErrDiskFull = errors.New("the disk is full")

// Store is the DuckDB database of custcat.
type Store struct {
	DB   *sql.DB
	Path string

	torn      []Torn          // found at open, removed by Repair
	sequences []sequenceState // read at open, renumbered by Repair
}

// OpenStore opens (creating if need be) the database of cfg and brings its
// schema up to date. path ":memory:" gives a database in memory.
func OpenStore(ctx context.Context, cfg StoreConfig, path string) (*Store, error) {
	dsn := path
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
	} else {
		dsn = ""
	}
	q := url.Values{}
	if cfg.MemoryLimit != "" {
		q.Set("memory_limit", cfg.MemoryLimit)
	}
	// No checkpoint merges row groups unless the run asks for it (Compact).
	q.Set("max_vacuum_tasks", "0")
	if path != ":memory:" {
		// Every commit is a checkpoint that skips the WAL: the new state
		// is in the file once the new header is written, or not at all. A
		// transaction's row groups written to the WAL before its commit
		// record survive a kill in DuckDB 1.5.6 (its pull request 25931):
		// no WAL, no such rows. Where a commit cannot checkpoint (another
		// transaction is open), DuckDB writes the WAL after all, so the
		// check at open (checkConsistency) stays.
		q.Set("checkpoint_threshold", "0b")
		q.Set("auto_checkpoint_skip_wal_threshold", "0")
	}
	if cfg.Threads > 0 {
		q.Set("threads", strconv.Itoa(cfg.Threads))
	}
	if len(q) > 0 {
		dsn += "?" + q.Encode()
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, lockError(path, err)
	}
	db := sql.OpenDB(connector)
	s := &Store{DB: db, Path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, StoreHint(err, cfg)
	}
	if err := s.checkConsistency(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var limit string
	if err := db.QueryRowContext(ctx, `SELECT current_setting('memory_limit')`).Scan(&limit); err == nil && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(goMemoryLimit(limit))
	}
	return s, nil
}

// goMemoryLimit is the soft limit of custcat's own memory beside DuckDB's
// memory_limit: half of it, and at least 400 MiB. Without one the Go heap
// grows to twice what is live before it is collected: at 100M lines the
// outputs (470,000 customers) took the peak RSS to 1,543,752 KiB, against
// 1,390,588 KiB with it. The environment's GOMEMLIMIT, where set, stands
// instead.
func goMemoryLimit(duckdbLimit string) int64 {
	const least = 400 << 20
	bytes, ok := parseDuckDBBytes(duckdbLimit)
	if !ok || bytes/2 < least {
		return least
	}
	return int64(bytes / 2)
}

// OpenReadOnly opens an existing database for reading, without migrating
// it. It fails with ErrLocked while a run holds the database.
func OpenReadOnly(path string) (*Store, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	connector, err := duckdb.NewConnector(path+"?access_mode=READ_ONLY", nil)
	if err != nil {
		return nil, lockError(path, err)
	}
	return &Store{DB: sql.OpenDB(connector), Path: path}, nil
}

var lockHolder = regexp.MustCompile(`PID (\d+)`)

// lockedError is a lock conflict, told as the holder is: another custcat,
// or another program (a DuckDB client left open on the file).
type lockedError struct{ msg string }

func (e *lockedError) Error() string        { return e.msg }
func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// lockError turns DuckDB's lock conflict into a message an operator can act on.
func lockError(path string, err error) error {
	msg := err.Error()
	if !strings.Contains(msg, "Could not set lock") && !strings.Contains(msg, "Conflicting lock") && !fileHeld(path) {
		return fmt.Errorf("open database %s: %w", path, err)
	}
	who, custcat := "another process", false
	if m := lockHolder.FindStringSubmatch(msg); m != nil {
		who = "process " + m[1]
		name, isCustcat, known := processName(m[1])
		if known && !isCustcat {
			return &lockedError{fmt.Sprintf("database is in use by another program: process %s (%s) holds %s; it is not custcat but a program that has the database open, such as a DuckDB client: close it, then run again", m[1], name, path)}
		}
		custcat = known
		if since, ok := processStart(m[1]); ok {
			who += fmt.Sprintf(" (running since %s)", since.Format("2006-01-02 15:04:05"))
		}
	}
	if !custcat {
		// The system does not say what holds it (Windows has no /proc).
		return &lockedError{fmt.Sprintf("%v or another program: %s holds %s; wait for it to finish, or stop it, then run again", ErrLocked, who, path)}
	}
	return &lockedError{fmt.Sprintf("%v: %s holds %s; wait for it to finish, or stop it, then run again", ErrLocked, who, path)}
}

// custcatCommands are the subcommands a custcat process runs with.
var custcatCommands = []string{"run", "serve", "backfill", "check", "explain", "runs"}

// processName says what process pid runs, from /proc: its program name,
// and whether it is custcat: a program running one of custcat's
// subcommands that is this program's binary or is named custcat. known is
// false where /proc does not say (not Linux, or the process is gone).
func processName(pid string) (name string, isCustcat, known bool) {
	b, err := os.ReadFile("/proc/" + pid + "/cmdline")
	if err != nil || len(b) == 0 {
		return "", false, false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	name = filepath.Base(args[0])
	if len(args) < 2 || !slices.Contains(custcatCommands, args[1]) {
		return name, false, true
	}
	self, err1 := os.Executable()
	exe, err2 := os.Readlink("/proc/" + pid + "/exe")
	return name, strings.HasPrefix(name, "custcat") || err1 == nil && err2 == nil && self == exe, true
}

func (s *Store) Close() error { return s.DB.Close() }

// migrate applies, each in its own transaction, the migrations the ledger
// table schema_migrations does not list yet.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name VARCHAR PRIMARY KEY, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)`); err != nil {
		return fmt.Errorf("create migration ledger: %w", err)
	}
	for _, m := range custsql.Migrations() {
		var n int
		if err := s.DB.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, m.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		err := s.Unit(ctx, func(ctx context.Context, c *sql.Conn) error {
			if _, err := c.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := c.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// Unit runs fn on one connection inside one transaction: all of it is
// committed, or none. Temp tables made by fn live on that connection.
func (s *Store) Unit(ctx context.Context, fn func(ctx context.Context, c *sql.Conn) error) error {
	c, err := s.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			// Roll back even when ctx is cancelled: that is why it is rolled back.
			_, _ = c.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := fn(ctx, c); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	committed = true
	return nil
}

// CompactEvery is how often, in runs, the commit of a run compacts the
// database: only the checkpoint of a run whose id is a multiple of it
// merges small row groups and those thinned by deleted lines (DuckDB's
// vacuum), and so gives back their space. In the others a run's new lines
// go into row groups of their own, which costs nothing more at commit:
// merging them into the last row group of a 10M-line table on every commit
// took 0.8 s of the 1.2 s checkpoint of a nightly run. Once a week for a
// nightly schedule.
const CompactEvery = 7

// Compact lets the checkpoint at the commit of the transaction on c merge
// row groups (100 vacuum tasks, DuckDB's default); it stays so until the
// store is closed.
func Compact(ctx context.Context, c *sql.Conn) error {
	_, err := c.ExecContext(ctx, "SET GLOBAL max_vacuum_tasks = 100")
	return err
}

// MemoryError is DuckDB running out of memory within store.memory_limit,
// told with the config keys to change rather than DuckDB's SET statements,
// which a custcat user cannot run.
type MemoryError struct {
	msg string
	err error
}

func (e *MemoryError) Error() string { return e.msg }
func (e *MemoryError) Unwrap() error { return e.err }

// StoreHint returns err, or, where DuckDB's error has a cause an operator
// can act on, an error that says what to do: a MemoryError when DuckDB ran
// out of memory, an ErrDamaged error when a block of the file does not
// match its checksum, an ErrDiskFull error when a disk is full.
func StoreHint(err error, cfg StoreConfig) error {
	if err == nil || errors.Is(err, ErrDamaged) {
		return err
	}
	if strings.Contains(err.Error(), "Corrupt database file") {
		return fmt.Errorf("%w: %v; custcat did not change it: restore the database file (store.path) from a backup, or move it aside and copy the exports from archive/ back into the inbox, so that a run loads them into a new database", ErrDamaged, err)
	}
	if errors.Is(err, ErrDiskFull) {
		return err
	}
	if full := diskFull(err, cfg); full != nil {
		return full
	}
	var de *duckdb.Error
	msg := err.Error()
	outOfMemory := errors.As(err, &de) && de.Type == duckdb.ErrorTypeOutOfMemory ||
		strings.Contains(msg, "Out of Memory Error") ||
		// A commit that cannot get the memory for its checkpoint says so
		// as a transaction error.
		strings.Contains(msg, "could not allocate block") || strings.Contains(msg, "failed to pin block")
	if !outOfMemory {
		return err
	}
	var me *MemoryError
	if errors.As(err, &me) {
		return err
	}
	msg, _, _ = strings.Cut(msg, "\n\nPossible solutions:")
	limit := cfg.MemoryLimit
	if limit == "" {
		limit = "DuckDB's default"
	}
	threads := ", or set store.threads to fewer cores (each takes memory of its own)"
	if cfg.Threads == 1 {
		threads = ""
	}
	return &MemoryError{err: err, msg: fmt.Sprintf("%s; DuckDB needed more memory than store.memory_limit (%s) allows: raise store.memory_limit in the config (512MB, the default, loads 100M lines of some 470,000 customers)%s, then run again",
		strings.TrimSpace(msg), limit, threads)}
}

// diskFullError is a write that found its disk full, told with the folder
// and what to do; errors.Is(err, ErrDiskFull) holds.
type diskFullError struct {
	msg string
	err error
}

func (e *diskFullError) Error() string        { return e.msg }
func (e *diskFullError) Unwrap() error        { return e.err }
func (e *diskFullError) Is(target error) bool { return target == ErrDiskFull }

// fullPath is the file or folder DuckDB names in an IO error.
var fullPath = regexp.MustCompile(`(?:file|directory) "([^"]+)"`)

// diskFull returns the error that says which disk is full and what to do,
// or nil when err is not a full disk. By default DuckDB spills what does
// not fit in memory_limit to a folder beside the database file (its path
// with .tmp added) and caps that folder at 90 % of the space free on its
// disk: reaching the cap is an "Out of Memory Error" that names
// max_temp_directory_size, a setting a custcat user cannot change.
func diskFull(err error, cfg StoreConfig) error {
	msg := err.Error()
	first, _, _ := strings.Cut(msg, "\n")
	first = strings.TrimSuffix(strings.TrimSpace(first), ".")
	temp := cfg.Path + ".tmp"
	spill := func() string {
		return fmt.Sprintf("DuckDB spills there, beside the database (store.path), what does not fit in store.memory_limit (%s); free space on that disk, or move store.path to a disk with more room, or raise store.memory_limit so that less is spilled, then run again",
			cmp.Or(cfg.MemoryLimit, "DuckDB's default"))
	}
	if strings.Contains(msg, "max_temp_directory_size") {
		return &diskFullError{err: err, msg: fmt.Sprintf("%s; the disk of DuckDB's temp folder %s is full: DuckDB reached its cap there, 90 %% of the space that was free on that disk; %s",
			first, temp, spill())}
	}
	// Go's own writes (the outputs) say which folder and what to do
	// where they fail; the hint here is for DuckDB's.
	var pe *fs.PathError
	lower := strings.ToLower(msg)
	if errors.As(err, &pe) || !strings.Contains(lower, "no space left on device") &&
		!strings.Contains(lower, "not enough space on the disk") { // Windows
		return nil
	}
	where := ""
	if m := fullPath.FindStringSubmatch(msg); m != nil {
		where = m[1]
	}
	db := filepath.Base(cfg.Path)
	tempFolder := filepath.Dir(where)
	if filepath.Base(where) == db+".tmp" {
		tempFolder = where
	}
	var hint string
	switch {
	case where == "":
		hint = fmt.Sprintf("the disk of the database %s (store.path) is full, or that of DuckDB's temp folder %s beside it: free space on it, or move store.path to a disk with more room, then run again", cfg.Path, temp)
	case filepath.Base(tempFolder) == db+".tmp":
		hint = fmt.Sprintf("the disk of DuckDB's temp folder %s is full: %s", tempFolder, spill())
	case filepath.Base(where) == db || strings.HasPrefix(filepath.Base(where), db+"."):
		hint = fmt.Sprintf("the disk that holds the database %s (store.path) is full: free space on it, or move store.path to a disk with more room, then run again; a run needs room there for the lines it adds, and in %s.tmp beside it for what DuckDB spills beyond store.memory_limit", where, where)
	default:
		hint = fmt.Sprintf("the disk that holds %s is full: free space on it, or give that folder a disk with more room, then run again", filepath.Dir(where))
	}
	return &diskFullError{err: err, msg: first + "; " + hint}
}
