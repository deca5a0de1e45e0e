package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A database held by a program that is not custcat (here this test, with
// DuckDB open on the file) is reported as that program, not as another
// custcat process, with what to do; the run exits 4 and changes nothing.
func TestLockedByAnotherProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	dir := inboxCase(t, "", map[string]string{"a.csv": smallExport})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	db, err := sql.Open("duckdb", filepath.Join(dir, "var", "custcat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	d := crashDir{dir}
	code, out, errOut := d.run(buildCustcat(t))
	if code != exitLocked {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitLocked, out, errOut)
	}
	want := fmt.Sprintf("database is in use by another program: process %d (%s) holds", os.Getpid(), filepath.Base(os.Args[0]))
	if !strings.Contains(errOut, want) || !strings.Contains(errOut, "it is not custcat") {
		t.Errorf("the refusal does not say %q:\n%s", want, errOut)
	}
	if strings.Contains(errOut, "custcat process") {
		t.Errorf("the refusal calls the holder a custcat process:\n%s", errOut)
	}
}
