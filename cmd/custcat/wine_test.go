//go:build !windows

package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/unicode"
)

// TestWindowsUnderWine builds the Windows zip (make windows) and the
// Windows test binaries (make windows-check), then, under wine64, runs
// the Windows-only unit tests and the demo of the zip end to end, next
// to the same demo on Linux: run, backfill, run again, check, explain,
// runs give the same exit codes, the same text (paths aside) and out/
// files byte for byte. The Windows config has CRLF line ends and \ in its
// paths, and the folder a Chinese name with a space. Then, under wine: a
// run while another custcat holds the database gets the lock message, and
// a run killed before and after its commit is finished by the next run.
func TestWindowsUnderWine(t *testing.T) {
	if testing.Short() {
		t.Skip("builds custcat.exe and runs it under wine")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	w := newWine(t)
	began := time.Now()
	mk := exec.Command("make", "-C", root, "windows", "windows-check")
	if out, err := mk.CombinedOutput(); err != nil {
		t.Fatalf("make windows windows-check: %v\n%s", err, out)
	}
	t.Logf("make windows windows-check: %v", time.Since(began).Round(time.Second))

	t.Run("unit tests", func(t *testing.T) {
		for _, pkg := range []string{"pipeline", "reports", "cmd/custcat"} {
			exe := filepath.Join(root, "dist", "wintest", filepath.Base(pkg)+".test.exe")
			began := time.Now()
			code, out, errOut := w.run(filepath.Join(root, pkg), exe, "-test.run", "Windows", "-test.v", "-test.count=1")
			if code != 0 || !strings.Contains(out, "--- PASS") {
				t.Errorf("%s under wine: exit %d\n%s%s", pkg, code, out, errOut)
			}
			t.Logf("%s: %v\n%s", pkg, time.Since(began).Round(time.Millisecond), grepLines(out, "--- "))
		}
	})

	zipPath := filepath.Join(root, "dist", "custcat-windows-amd64.zip")
	fresh := func(name string) string {
		dir := filepath.Join(t.TempDir(), "客户 分类 "+name)
		unzip(t, zipPath, dir)
		return filepath.Join(dir, "custcat-windows-amd64")
	}
	win, lin := fresh("win"), fresh("linux")
	windowsConfig(t, win)
	linuxConfig(t, lin)
	winDir := w.path(win)
	norm := func(s, dir, winDir string) string {
		s = strings.ReplaceAll(s, winDir, "<dir>")
		s = strings.ReplaceAll(s, dir, "<dir>")
		return strings.ReplaceAll(s, `\`, "/")
	}
	steps := [][]string{
		{"run", "--as-of", "2024-12-31"},
		{"backfill", "--from", "2024-01-31", "--to", "2024-11-30"},
		{"run", "--as-of", "2024-12-31"},
		{"check"},
		{"explain", "--as-of", "2024-12-31", "C0001"},
		{"runs"},
	}
	// Both sides give the config as a user does, relative to the folder.
	t.Chdir(lin)
	var afterFirst map[string][]byte
	for i, step := range steps {
		args := append([]string{step[0], "-c", "custcat.yaml"}, step[1:]...)
		began := time.Now()
		wCode, wOut, wErr := w.run(win, "custcat.exe", args...)
		took := time.Since(began)
		var lOut, lErr bytes.Buffer
		lCode := Run(context.Background(), args, &lOut, &lErr)
		t.Logf("%s: %v under wine", strings.Join(step, " "), took.Round(time.Millisecond))
		if wCode != lCode {
			t.Errorf("%s: exit %d on Windows, %d on Linux\n%s%s", step[0], wCode, lCode, wOut, wErr)
		}
		lo, wo := norm(lOut.String(), lin, winDir), norm(wOut, win, winDir)
		le, we := norm(lErr.String(), lin, winDir), norm(wErr, win, winDir)
		if step[0] == "runs" {
			lo, wo = maskRunTimes(lo), maskRunTimes(wo)
		}
		if diff := cmp.Diff(lo, wo); diff != "" {
			t.Errorf("%s: stdout (-linux +windows):\n%s", step[0], diff)
		}
		if diff := cmp.Diff(le, we); diff != "" {
			t.Errorf("%s: stderr (-linux +windows):\n%s", step[0], diff)
		}
		want, got := tree(t, filepath.Join(lin, "out")), tree(t, filepath.Join(win, "out"))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after %s: out/ (-linux +windows):\n%s", step[0], diff)
		}
		if i == 0 {
			afterFirst = want
			if len(want) < 6 {
				t.Fatalf("the first run wrote %d outputs", len(want))
			}
		}
	}
	for _, place := range []string{"inbox", "archive", "failed"} {
		if diff := cmp.Diff(names(t, filepath.Join(lin, place)), names(t, filepath.Join(win, place))); diff != "" {
			t.Errorf("%s/ (-linux +windows):\n%s", place, diff)
		}
	}

	t.Run("output open elsewhere", func(t *testing.T) {
		// Another program (as Excel does) holds out\categories.csv: the run
		// says which file and what to do, exit 1, and the file stays the
		// previous one, whole; once it is closed, the next run puts it in
		// place.
		final := filepath.Join(win, "out", "categories.csv")
		before, _ := os.ReadFile(final)
		hold := w.command(filepath.Join(root, "cmd", "custcat"), filepath.Join(root, "dist", "wintest", "custcat.test.exe"), "-test.run", "^TestHelperHoldFile$")
		hold.Env = append(hold.Env, "CUSTCAT_TEST_HOLD="+w.path(final))
		release, err := hold.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		held := make(chan struct{})
		var once sync.Once
		hold.Stdout = &lineWriter{keep: &bytes.Buffer{}, line: func(l string) {
			if l == "held" {
				once.Do(func() { close(held) })
			}
		}}
		if err := hold.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-held:
		case <-time.After(time.Minute):
			hold.Process.Kill()
			t.Fatal("the holder did not open categories.csv within a minute")
		}
		code, out, errOut := w.run(win, "custcat.exe", "run", "-c", "custcat.yaml", "--as-of", "2024-12-31")
		release.Close()
		hold.Wait()
		if code != exitFailed || !strings.Contains(errOut, `out\categories.csv is open in another program`) || !strings.Contains(errOut, "close it") {
			t.Errorf("run while categories.csv is held: exit %d, want %d and the message\n%s%s", code, exitFailed, out, errOut)
		}
		if now, _ := os.ReadFile(final); !bytes.Equal(now, before) {
			t.Errorf("categories.csv changed while it was held")
		}
		if code, out, errOut := w.run(win, "custcat.exe", "run", "-c", "custcat.yaml", "--as-of", "2024-12-31"); code != exitOK {
			t.Errorf("the run after: exit %d\n%s%s", code, out, errOut)
		}
		if now, _ := os.ReadFile(final); !bytes.Equal(now, tree(t, filepath.Join(lin, "out"))["categories.csv"]) {
			t.Errorf("categories.csv after the run is not Linux's")
		}
	})

	t.Run("lock", func(t *testing.T) {
		// The holder: a run whose source downloads its export from this
		// test, which answers only when the other two commands are done.
		// A run opens the database before it fetches, so the holder holds
		// it for as long as the download waits, however fast its machine.
		asked := make(chan struct{})
		release := make(chan struct{})
		var once sync.Once
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			once.Do(func() { close(asked) })
			select {
			case <-release:
			case <-r.Context().Done():
			}
			rw.WriteHeader(http.StatusNotModified)
		}))
		defer srv.Close()
		defer func() {
			select {
			case <-release:
			default:
				close(release)
			}
		}()
		dir := fresh("lock")
		windowsConfig(t, dir)
		cfg := filepath.Join(dir, "custcat.yaml")
		b, err := os.ReadFile(cfg)
		if err != nil {
			t.Fatal(err)
		}
		held := "sources:\r\n  - {name: held, ledger: held, files: \"held_*.csv\", url: \"" + srv.URL + "/held_1.csv\"}\r\n"
		if !bytes.Contains(b, []byte("sources:\r\n")) {
			t.Fatal("the Windows config has no sources:")
		}
		os.WriteFile(cfg, bytes.Replace(b, []byte("sources:\r\n"), []byte(held), 1), 0o644)
		holder := w.start(dir, func(string) {}, "custcat.exe", "run", "-c", "custcat.yaml", "--as-of", "2024-12-31")
		select {
		case <-asked:
		case <-holder.done:
			t.Fatalf("the holding run ended before it fetched: %v", holder.err)
		case <-time.After(2 * time.Minute):
			t.Fatal("the holding run did not fetch its source within 2 minutes")
		}
		code, out, errOut := w.run(dir, "custcat.exe", "run", "-c", "custcat.yaml", "--as-of", "2024-12-31")
		rCode, _, rErr := w.run(dir, "custcat.exe", "runs", "-c", "custcat.yaml")
		if holder.exited() {
			t.Fatalf("the holding run ended while its download waited: %v", holder.err)
		}
		close(release)
		if err := holder.wait(); err != nil {
			t.Errorf("the holding run: %v", err)
		}
		if code != exitLocked || !strings.Contains(errOut, "database is in use by another custcat process") ||
			!strings.Contains(errOut, "wait for it to finish, or stop it, then run again") {
			t.Errorf("run while the database is held: exit %d, want %d and the lock message\n%s%s", code, exitLocked, out, errOut)
		}
		if rCode != exitLocked || !strings.Contains(rErr, "database is in use by another custcat process") {
			t.Errorf("runs while the database is held: exit %d, want %d and the lock message\n%s", rCode, exitLocked, rErr)
		}
	})

	t.Run("task xml", func(t *testing.T) {
		// Wine's Task Scheduler reads the task of the zip (UTF-16, as
		// Windows exports it) and keeps its settings; it drops the action,
		// which encoding/xml checks instead.
		code, out, errOut := w.run(win, "schtasks", "/Create", "/TN", "custcat-run", "/XML", `deploy\custcat-run.xml`)
		if code != 0 {
			// Wine's task scheduler service sometimes is not up at once.
			t.Logf("schtasks /Create /XML: exit %d %s%s; once more", code, out, errOut)
			time.Sleep(2 * time.Second)
			code, out, errOut = w.run(win, "schtasks", "/Create", "/TN", "custcat-run", "/XML", `deploy\custcat-run.xml`)
		}
		if code != 0 {
			t.Fatalf("schtasks /Create /XML: exit %d\n%s%s", code, out, errOut)
		}
		saved, err := os.ReadFile(filepath.Join(w.prefix, "drive_c", "windows", "system32", "tasks", "custcat-run"))
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"<MultipleInstancesPolicy>IgnoreNew<", "<StartWhenAvailable>true<", "<ExecutionTimeLimit>PT2H<"} {
			if !bytes.Contains(saved, []byte(want)) {
				t.Errorf("the task as wine saved it has no %s:\n%s", want, saved)
			}
		}
		raw, err := os.ReadFile(filepath.Join(win, "deploy", "custcat-run.xml"))
		if err != nil {
			t.Fatal(err)
		}
		text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(raw)
		if err != nil {
			t.Fatalf("custcat-run.xml is not UTF-16: %v", err)
		}
		var task struct {
			Exec struct{ Command, Arguments, WorkingDirectory string } `xml:"Actions>Exec"`
		}
		dec := xml.NewDecoder(bytes.NewReader(bytes.Replace(text, []byte(`encoding="UTF-16"`), []byte(`encoding="UTF-8"`), 1)))
		if err := dec.Decode(&task); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(task.Exec.Arguments, `"C:\custcat\custcat.exe" run -c "C:\custcat\custcat.yaml"`) || task.Exec.WorkingDirectory != `C:\custcat` {
			t.Errorf("the task runs %s %s in %s", task.Exec.Command, task.Exec.Arguments, task.Exec.WorkingDirectory)
		}
	})

	t.Run("service", func(t *testing.T) {
		dir := fresh("service")
		cfg := filepath.Join(dir, "custcat.yaml")
		b, _ := os.ReadFile(cfg)
		os.WriteFile(cfg, append(b, "jobs:\n  - {name: nightly, schedule: \"0 2 * * *\"}\nserve: {listen: 127.0.0.1:18377}\n"...), 0o644)
		name := fmt.Sprintf("custcat-test-%d", os.Getpid())
		t.Cleanup(func() { w.run(dir, "custcat.exe", "service", "uninstall", "--name", name) })
		for _, step := range [][]string{
			{"install", "-c", "custcat.yaml", "--name", name},
			{"start", "--name", name},
			{"stop", "-c", "custcat.yaml", "--name", name},
			{"uninstall", "--name", name},
		} {
			code, out, errOut := w.run(dir, "custcat.exe", append([]string{"service"}, step...)...)
			if code != exitOK {
				t.Fatalf("service %s: exit %d\n%s%s", step[0], code, out, errOut)
			}
			t.Logf("service %s: %s", step[0], strings.TrimSpace(out))
		}
		// The daemon ran under the service manager and logged to its file.
		log, err := os.ReadFile(filepath.Join(dir, "custcat.log"))
		if err != nil || !strings.Contains(string(log), `"msg":"start"`) || !strings.Contains(string(log), `"listen":"127.0.0.1:18377"`) {
			t.Errorf("custcat.log of the service: %v\n%s", err, log)
		}
		if code, _, errOut := w.run(dir, "custcat.exe", "service", "start", "--name", name); code != exitFailed || !strings.Contains(errOut, "install it with custcat service install") {
			t.Errorf("start after uninstall: exit %d\n%s", code, errOut)
		}
	})

	t.Run("killed run", func(t *testing.T) {
		killed := 0
		defer func() {
			if killed == 0 {
				t.Errorf("no run was still running at its kill point")
			}
		}()
		for _, point := range []string{`msg="write outputs"`, `msg="move inbox files"`} {
			dir := fresh("kill")
			windowsConfig(t, dir)
			if w.runAndKill(dir, point, "custcat.exe", "run", "-c", "custcat.yaml", "--as-of", "2024-12-31", "-v") {
				killed++
			} else {
				t.Logf("%s: the run ended before the kill", point)
			}
			code, out, errOut := w.run(dir, "custcat.exe", "run", "-c", "custcat.yaml", "--as-of", "2024-12-31")
			if code != exitOK {
				t.Errorf("%s: the run after the kill: exit %d\n%s%s", point, code, out, errOut)
			}
			if diff := cmp.Diff(afterFirst, tree(t, filepath.Join(dir, "out"))); diff != "" {
				t.Errorf("%s: out/ after the rerun (-never killed +killed):\n%s", point, diff)
			}
			if diff := cmp.Diff(names(t, filepath.Join(lin, "archive")), names(t, filepath.Join(dir, "archive"))); diff != "" {
				t.Errorf("%s: archive/ after the rerun (-never killed +killed):\n%s", point, diff)
			}
			if n := names(t, filepath.Join(dir, "inbox")); len(n) > 0 {
				t.Errorf("%s: left in the inbox: %v", point, n)
			}
		}
	})
}

// wine runs Windows programs in a wine prefix of its own, made for the
// test: wine64 has no bcryptprimitives.dll, whose ProcessPrng the Go
// runtime calls at start, so a shim over RtlGenRandom, built with
// mingw-w64, goes into its system32.
type wine struct {
	t      *testing.T
	bin    string
	prefix string
}

const prngShim = `#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID, ULONG);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n) {
  while (n > 0) {
    ULONG k = n > 0x40000000 ? 0x40000000 : (ULONG)n;
    if (!SystemFunction036(data, k)) return FALSE;
    data += k; n -= k;
  }
  return TRUE;
}
`

func newWine(t *testing.T) *wine {
	t.Helper()
	bin := ""
	for _, name := range []string{"wine64", "wine", "/usr/lib/wine/wine64"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Fatal("wine64 is missing: apt-get install --no-install-recommends wine64 gcc-mingw-w64-x86-64-posix (.ci/run does), or go test -short")
	}
	gcc, err := exec.LookPath("x86_64-w64-mingw32-gcc-posix")
	if err != nil {
		t.Fatal("mingw-w64 is missing: apt-get install --no-install-recommends gcc-mingw-w64-x86-64-posix (.ci/run does), or go test -short")
	}
	w := &wine{t: t, bin: bin, prefix: filepath.Join(t.TempDir(), "prefix")}
	began := time.Now()
	// One wineserver for the whole test, persistent, started before any
	// program, with wine's own system processes (services.exe,
	// winedevice.exe, ...) started by wineboot beside it. Their output
	// goes to a log of their own: started by the first custcat.exe
	// instead, they wrote into its stderr (once, a page fault in
	// winedevice's ntoskrnl.exe), and a server that exits between two
	// programs can drop the next one ("recvmsg: Connection reset by peer").
	server := filepath.Join(filepath.Dir(w.bin), "wineserver")
	if _, err := os.Stat(server); err != nil {
		server = "wineserver"
	}
	if err := os.MkdirAll(w.prefix, 0o755); err != nil { // wineserver needs it
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "wine.log")
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		kill := exec.Command(server, "-k")
		kill.Env = w.env()
		_ = kill.Run()
		log.Close()
		if b, _ := os.ReadFile(logPath); t.Failed() && len(b) > 0 {
			t.Logf("wine's own processes wrote:\n%s", b)
		}
	})
	// The prefix is made first, by a server of its own that ends with it:
	// services started while it was being made do not see what is
	// installed later.
	for _, args := range [][]string{{w.bin, "wineboot", "-i"}, {server, "-w"}, {server, "-p"}, {w.bin, "wineboot"}} {
		// A step that hangs fails the test, with what wine wrote, instead
		// of holding it to the end of go test's timeout.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, args[0], args[1:]...)
		cmd.Env = w.env()
		cmd.Stdout, cmd.Stderr = log, log
		err := cmd.Run()
		cancel()
		if err != nil {
			b, _ := os.ReadFile(logPath)
			t.Fatalf("%s: %v (within 3 minutes)\n%s", strings.Join(args, " "), err, b)
		}
	}
	src := filepath.Join(t.TempDir(), "prng.c")
	def := filepath.Join(filepath.Dir(src), "prng.def")
	os.WriteFile(src, []byte(prngShim), 0o644)
	os.WriteFile(def, []byte("LIBRARY bcryptprimitives\nEXPORTS\nProcessPrng\n"), 0o644)
	dll := filepath.Join(w.prefix, "drive_c", "windows", "system32", "bcryptprimitives.dll")
	if out, err := exec.Command(gcc, "-shared", "-O2", "-o", dll, src, def, "-ladvapi32").CombinedOutput(); err != nil {
		t.Fatalf("build the ProcessPrng shim: %v\n%s", err, out)
	}
	t.Logf("wine prefix with the shim: %v", time.Since(began).Round(time.Millisecond))
	return w
}

func (w *wine) env() []string {
	return append(os.Environ(), "WINEPREFIX="+w.prefix, "WINEDEBUG=-all", "WINEDLLOVERRIDES=mscoree,mshtml=")
}

func (w *wine) command(dir, exe string, args ...string) *exec.Cmd {
	cmd := exec.Command(w.bin, append([]string{exe}, args...)...)
	cmd.Dir = dir
	cmd.Env = w.env()
	// Should a wine process outlive the program and keep our pipes open,
	// the output is what the program wrote before it exited.
	cmd.WaitDelay = time.Second
	return cmd
}

// run runs exe in dir and returns its exit code and output.
func (w *wine) run(dir, exe string, args ...string) (int, string, string) {
	w.t.Helper()
	cmd := w.command(dir, exe, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String(), errOut.String()
	}
	if errors.Is(err, exec.ErrWaitDelay) { // see command
		return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		w.t.Fatalf("wine %s: %v", exe, err)
	}
	return 0, out.String(), errOut.String()
}

// path is the Windows name of a folder of this machine: wine maps / to Z:.
func (w *wine) path(dir string) string { return "Z:" + strings.ReplaceAll(dir, "/", `\`) }

type wineProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start starts exe in dir; each line it writes to stderr goes to onLine.
func (w *wine) start(dir string, onLine func(string), exe string, args ...string) *wineProc {
	w.t.Helper()
	p := &wineProc{cmd: w.command(dir, exe, args...), done: make(chan struct{})}
	var errOut bytes.Buffer
	p.cmd.Stderr = &lineWriter{keep: &errOut, line: onLine}
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		if err := p.cmd.Wait(); err != nil && !errors.Is(err, exec.ErrWaitDelay) {
			p.err = fmt.Errorf("%v: %s", err, errOut.String())
		}
		close(p.done)
	}()
	return p
}

func (p *wineProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *wineProc) wait() error { <-p.done; return p.err }

// lineWriter hands each whole line written to it to line, and keeps all.
type lineWriter struct {
	keep *bytes.Buffer
	part []byte
	line func(string)
}

func (lw *lineWriter) Write(b []byte) (int, error) {
	lw.keep.Write(b)
	lw.part = append(lw.part, b...)
	for {
		i := bytes.IndexByte(lw.part, '\n')
		if i < 0 {
			return len(b), nil
		}
		if lw.line != nil {
			lw.line(string(lw.part[:i]))
		}
		lw.part = lw.part[i+1:]
	}
}

// runAndKill starts exe and kills its process (SIGKILL: the Windows
// program is that process) when its log prints a line holding point. It
// reports whether the process was still running then.
func (w *wine) runAndKill(dir, point, exe string, args ...string) bool {
	w.t.Helper()
	var p *wineProc
	hit := make(chan struct{})
	var once sync.Once
	p = w.start(dir, func(l string) {
		if strings.Contains(l, point) {
			once.Do(func() { close(hit) })
		}
	}, exe, args...)
	select {
	case <-hit:
		p.cmd.Process.Kill()
	case <-p.done:
	case <-time.After(2 * time.Minute):
		p.cmd.Process.Kill()
		p.wait()
		w.t.Fatalf("%s %s: no %s after 2 minutes: %v", exe, strings.Join(args, " "), point, p.err)
	}
	p.wait()
	st := p.cmd.ProcessState
	return st != nil && !st.Exited() // killed by the signal, not ended
}

// windowsConfig makes the demo config of the zip Windows-like: CRLF line
// ends, \ in its paths, a database and an archive in subfolders.
func windowsConfig(t *testing.T, dir string) {
	editConfig(t, dir, `db\custcat.duckdb`, `archive\erp`, `.\out`, "\r\n")
}

func linuxConfig(t *testing.T, dir string) {
	editConfig(t, dir, "db/custcat.duckdb", "archive/erp", "./out", "\n")
}

func editConfig(t *testing.T, dir, store, archive, out, eol string) {
	t.Helper()
	p := filepath.Join(dir, "custcat.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, r := range [][2]string{
		{"\n  path: custcat.duckdb\n", "\n  path: " + store + "\n"},
		{"\narchive: archive\n", "\narchive: " + archive + "\n"},
		{"\nout: out\n", "\nout: " + out + "\n"},
	} {
		if !strings.Contains(s, r[0]) {
			t.Fatalf("the demo config has no %q", strings.TrimSpace(r[0]))
		}
		s = strings.Replace(s, r[0], r[1], 1)
	}
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(s, "\n", eol)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// unzip extracts the zip into dir, giving the inbox files modification
// times a second apart in the order of their names (the inbox is read
// oldest first), the same in every folder.
func unzip(t *testing.T, zipPath, dir string) {
	t.Helper()
	r, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatalf("%v (make windows builds it)", err)
	}
	defer r.Close()
	var inbox []string
	for _, f := range r.File {
		if f.NonUTF8 {
			t.Errorf("the zip names %s without the UTF-8 flag: Windows would show it garbled", f.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if f.FileInfo().IsDir() {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		in, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(in)
		in.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(filepath.Dir(p)) == "inbox" {
			inbox = append(inbox, p)
		}
	}
	slices.Sort(inbox)
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i, p := range inbox {
		mt := old.Add(time.Duration(i) * time.Second)
		os.Chtimes(p, mt, mt)
	}
}

// tree reads every file under dir: relative path (with /) -> content.
func tree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	return files
}

// names lists the files under dir by relative path.
func names(t *testing.T, dir string) []string {
	var out []string
	for p := range tree(t, dir) {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// runTimes are the start and duration columns of custcat runs.
var runTimes = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[0-9.]+m?s`)

func maskRunTimes(s string) string {
	s = runTimes.ReplaceAllString(s, "<started took>")
	return regexp.MustCompile(` +`).ReplaceAllString(s, " ")
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
