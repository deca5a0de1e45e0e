package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The outputs cannot be written: the run fails with an error that says
// what to fix, the outputs of the previous run stay as they were, the
// database is as before (but for the failed run in the history), and the
// new export waits in the inbox.
//
// chmod does not stop root, and tests run as root in CI, so the folder is
// made unwritable in ways that stop root too: a file where a folder must
// be (in-process, everywhere), and, in a user and mount namespace
// (unshare -rm; skipped where the kernel or a seccomp profile forbids
// them), a read-only bind mount and a full tmpfs.

const laterExport = "日期,单据编号,客户编码,客户名称,价税合计\n2024-06-01,S9,C3,丙,70\n"

func TestOutputsUnwritable(t *testing.T) {
	cases := []struct {
		name  string
		block func(t *testing.T, dir string) // makes out unwritable
		run   func(t *testing.T, dir string) (int, string)
		want  string // in the error
	}{
		{
			name: "a file where out/reports must be",
			block: func(t *testing.T, dir string) {
				reps := filepath.Join(dir, "out", "reports")
				if err := os.RemoveAll(reps); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(reps, []byte("not a folder"), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			run:  inProcess,
			want: "not a directory",
		},
		{
			name:  "a read-only mount",
			block: func(*testing.T, string) {},
			run: inNamespace(`mount --bind "$OUT" "$OUT" && mount -o remount,bind,ro "$OUT" &&
				"$BIN" run -c "$CFG" --as-of 2024-12-31`),
			want: "read-only file system",
		},
		{
			// A tmpfs over out that the previous outputs fill but for 64 KiB,
			// less than the report needs. What is left in it afterwards is
			// copied back to out, to be compared.
			name: "a full file system",
			block: func(t *testing.T, dir string) {
				if err := os.Rename(filepath.Join(dir, "out"), filepath.Join(dir, "saved")); err != nil {
					t.Fatal(err)
				}
				os.Mkdir(filepath.Join(dir, "out"), 0o755)
			},
			run: inNamespace(`size=$(du -sk "$DIR/saved" | cut -f1) &&
				mount -t tmpfs -o size=$((size + 64))k tmpfs "$OUT" && cp -a "$DIR/saved/." "$OUT/" &&
				{ "$BIN" run -c "$CFG" --as-of 2024-12-31; rc=$?; } &&
				mkdir "$DIR/after" && cp -a "$OUT/." "$DIR/after/" && exit $rc`),
			want: "no space left on device",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := inboxCase(t, "", map[string]string{"a.csv": smallExport})
			cfg := filepath.Join(dir, "custcat.yaml")
			if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != 0 {
				t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
			}
			outputs := snapshotDir(t, filepath.Join(dir, "out"))
			db := dbState(t, dir)
			os.WriteFile(filepath.Join(dir, "inbox", "b.csv"), []byte(laterExport), 0o644)

			c.block(t, dir)
			code, errOut := c.run(t, dir)
			if code != exitFailed {
				t.Fatalf("exit %d, want %d\n%s", code, exitFailed, errOut)
			}
			for _, want := range []string{"the database is unchanged", "write outputs", c.want, "must be a folder that custcat can write to, with free space"} {
				if !strings.Contains(strings.ToLower(errOut), strings.ToLower(want)) {
					t.Errorf("the error lacks %q:\n%s", want, errOut)
				}
			}

			after := filepath.Join(dir, "out")
			if _, err := os.Stat(filepath.Join(dir, "after")); err == nil {
				after = filepath.Join(dir, "after")
			}
			got := snapshotDir(t, after)
			for name, b := range outputs {
				if name == "reports/report-2024-12-31.html" && c.name == "a file where out/reports must be" {
					continue // the test put a file in its folder's place
				}
				if !bytes.Equal(got[name], b) {
					t.Errorf("%s changed (%d bytes, was %d)", name, len(got[name]), len(b))
				}
			}
			for name := range got {
				if strings.HasSuffix(name, ".tmp") {
					t.Errorf("a temporary file is left: %s", name)
				}
			}
			if now := dbState(t, dir); now != db+", 1 failed run" {
				t.Errorf("database: %s\nwas:      %s", now, db)
			}
			if _, err := os.Stat(filepath.Join(dir, "inbox", "b.csv")); err != nil {
				t.Errorf("b.csv left the inbox: %v", err)
			}
		})
	}
}

// TestOutputsUnderAFile has out below a file, on the first run: nothing
// can be written, the database stays empty, the export stays in the inbox.
func TestOutputsUnderAFile(t *testing.T) {
	dir := inboxCase(t, "out: blocker/out\n", map[string]string{"a.csv": smallExport})
	os.WriteFile(filepath.Join(dir, "blocker"), []byte("a file"), 0o644)
	code, _, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	if code != exitFailed || !strings.Contains(errOut, "create output folder") || !strings.Contains(errOut, "set out in the config") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := dbState(t, dir); got != "0 lines, 0 files, 0 rejects, 0 snapshot rows, 0 category rows, 0 runs, 1 failed run" {
		t.Errorf("database: %s", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "inbox", "a.csv")); err != nil {
		t.Errorf("a.csv left the inbox: %v", err)
	}
}

func inProcess(t *testing.T, dir string) (int, string) {
	code, _, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
	return code, errOut
}

// inNamespace runs script with sh in a new user and mount namespace, as
// root of it, so that it can mount over out; $BIN is the custcat binary,
// $DIR the case's folder, $OUT its out, $CFG its config.
func inNamespace(script string) func(t *testing.T, dir string) (int, string) {
	return func(t *testing.T, dir string) (int, string) {
		if err := exec.Command("unshare", "-rm", "true").Run(); err != nil {
			t.Skipf("no user and mount namespaces here (unshare -rm: %v); the in-process cases still run", err)
		}
		cmd := exec.Command("unshare", "-rm", "sh", "-c", script)
		cmd.Env = append(os.Environ(), "CUSTCAT_TEST_MAIN=1", "BIN="+buildCustcat(t), "DIR="+dir,
			"OUT="+filepath.Join(dir, "out"), "CFG="+filepath.Join(dir, "custcat.yaml"))
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		err := cmd.Run()
		if exit, ok := err.(*exec.ExitError); ok {
			return exit.ExitCode(), errOut.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, errOut.String()
	}
}

// snapshotDir reads every file under dir, by relative path.
func snapshotDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			b, _ := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = b
		}
		return nil
	})
	return files
}

// dbState counts what the database of the case in dir holds.
func dbState(t *testing.T, dir string) string {
	t.Helper()
	db := openDB(t, filepath.Join(dir, "var", "custcat.duckdb"))
	defer db.Close()
	var n [7]int64
	for i, q := range []string{
		`SELECT count(*) FROM sales_lines`, `SELECT count(*) FROM files`, `SELECT count(*) FROM rejects`,
		`SELECT count(*) FROM snapshots`, `SELECT count(*) FROM category_rows`,
		`SELECT count(*) FROM runs WHERE status <> 'failed'`, `SELECT count(*) FROM runs WHERE status = 'failed'`,
	} {
		if err := db.QueryRow(q).Scan(&n[i]); err != nil {
			t.Fatal(err)
		}
	}
	s := fmt.Sprintf("%d lines, %d files, %d rejects, %d snapshot rows, %d category rows, %d runs", n[0], n[1], n[2], n[3], n[4], n[5])
	if n[6] > 0 {
		s += fmt.Sprintf(", %d failed run", n[6])
	}
	return s
}
