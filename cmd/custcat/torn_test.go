package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tornExport is an export without document numbers, and one with them:
// the rerun after a torn commit loads it into the repaired database.
const (
	tornExportNoDoc = "日期,客户编码,客户名称,价税合计\n2024-03-01,C1,甲,100\n2024-04-01,C2,乙,50\n2024-04-01,C2,乙,50\n2024-11-02,C3,丙,70\n"
	tornExportDoc   = "日期,单据编号,客户编码,客户名称,价税合计\n2024-03-01,S1,C1,甲,100\n2024-04-01,S2,C2,乙,50\n2024-11-02,S3,C3,丙,70\n"
)

// TestTornCommitFixture opens the database a run left when it was killed
// inside its commit (testdata/torn-commit: DuckDB 1.5.6 replays its WAL
// into 997,376 lines of a file that files does not hold, and no run). The
// next run must remove those lines in its own transaction, say so in the
// summary and the log, be numbered run 1, and write what a run on an
// empty database writes, byte for byte.
func TestTornCommitFixture(t *testing.T) {
	for _, tc := range []struct{ name, export string }{
		{"without document numbers", tornExportNoDoc},
		{"with document numbers", tornExportDoc},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := inboxCase(t, "", map[string]string{"a.csv": tc.export})
			if code, out, errOut := custcat(t, "run", "-c", filepath.Join(ref, "custcat.yaml"), "--as-of", "2024-12-31"); code != exitOK {
				t.Fatalf("reference run: exit %d\n%s%s", code, out, errOut)
			}

			dir := inboxCase(t, "", map[string]string{"a.csv": tc.export})
			untar(t, "testdata/torn-commit/var.tar.gz", filepath.Join(dir, "var"))
			code, out, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31", "-v")
			if code != exitOK {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			const removed = "removed rows that no committed run leaves (a run killed inside its commit): 997376 sales lines of a file that is not recorded"
			if !strings.Contains(out, "warning: "+removed) {
				t.Errorf("the summary does not say what was removed:\n%s", out)
			}
			if !strings.Contains(errOut, removed) {
				t.Errorf("the log does not say what was removed:\n%s", errOut)
			}
			if !strings.HasPrefix(out, "custcat run 1,") {
				t.Errorf("the run is not run 1:\n%s", out)
			}
			if got, want := dbState(t, dir), dbState(t, ref); got != want {
				t.Errorf("database: %s, want %s", got, want)
			}
			sameOutputs(t, filepath.Join(ref, "out"), filepath.Join(dir, "out"))
			// The repair is committed: the next run finds nothing to remove.
			code, out, errOut = custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31")
			if code != exitOK || strings.Contains(out, "removed rows") {
				t.Errorf("second run: exit %d\n%s%s", code, out, errOut)
			}
		})
	}
}

// TestTornStateSynthetic makes, by hand, every kind of row the check at
// open looks for, as a torn commit of a second run would leave them on a
// database with a run in it: lines and rejects of an unrecorded file, a
// run never finished with a file and its lines, snapshot, review and
// category rows of an unrecorded run, and sequences taken past the ids in
// use. The next run removes them all, reports each, and gives what a run
// on the undamaged database gives.
func TestTornStateSynthetic(t *testing.T) {
	const second = "日期,单据编号,客户编码,客户名称,价税合计\n2024-05-01,S9,C9,庚,10\n"
	ref := inboxCase(t, "", map[string]string{"a.csv": tornExportDoc})
	cfgRef := filepath.Join(ref, "custcat.yaml")
	dir := inboxCase(t, "", map[string]string{"a.csv": tornExportDoc})
	cfg := filepath.Join(dir, "custcat.yaml")
	for _, c := range []string{cfgRef, cfg} {
		if code, out, errOut := custcat(t, "run", "-c", c, "--as-of", "2024-12-31"); code != exitOK {
			t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
		}
	}
	db, err := sql.Open("duckdb", filepath.Join(dir, "var", "custcat.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`SELECT nextval('run_ids'), nextval('file_ids'), nextval('file_ids')`,
		`INSERT INTO sales_lines SELECT * EXCLUDE (doc_key, customer_key) REPLACE (7 AS file_id) FROM sales_lines`,
		`INSERT INTO rejects VALUES (7, 3, 'bad date', 'x')`,
		// A file of the run that never finished, with lines: removed with the run.
		`INSERT INTO files SELECT 8, 2, 'b.csv', 'abc', source, ledger, size, format, status, reason, lines_read,
			lines_loaded, lines_rejected, lines_duplicate, lines_summary, loaded_at FROM files`,
		`INSERT INTO sales_lines SELECT * EXCLUDE (doc_key, customer_key) REPLACE (8 AS file_id) FROM sales_lines WHERE file_id = 1`,
		`INSERT INTO runs (run_id, job, trigger, as_of, window_days, started_at, status) VALUES (2, 'manual', 'manual', '2024-12-31', 365, now(), 'running')`,
		`INSERT INTO snapshots SELECT * REPLACE (6 AS run_id, DATE '2024-11-30' AS as_of) FROM snapshots`,
		`INSERT INTO quality_reviews VALUES ('2024-11-30', 6)`,
		`INSERT INTO category_exports SELECT * REPLACE (6 AS run_id) FROM category_exports`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	for _, d := range []string{ref, dir} {
		os.WriteFile(filepath.Join(d, "inbox", "b.csv"), []byte(second), 0o644)
	}
	if code, out, errOut := custcat(t, "run", "-c", cfgRef, "--as-of", "2024-12-31"); code != exitOK {
		t.Fatalf("reference run: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	if code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{
		"6 sales lines of a file that is not recorded", "1 rejected lines of a file that is not recorded",
		"1 files of a run that is not recorded", "3 snapshot rows of a run that is not recorded",
		"1 customer data reviews of a run that is not recorded", "1 category files of a run that is not recorded",
		"1 runs that never finished",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary does not name %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(out, "custcat run 2,") {
		t.Errorf("the run is not run 2:\n%s", out)
	}
	if got, want := dbState(t, dir), dbState(t, ref); got != want {
		t.Errorf("database: %s, want %s", got, want)
	}
	for _, q := range []string{`SELECT string_agg(file_id::VARCHAR, ',' ORDER BY file_id) FROM files`,
		`SELECT string_agg(DISTINCT as_of::VARCHAR, ',') FROM snapshots`} {
		if got, want := queryString(t, dir, q), queryString(t, ref, q); got != want {
			t.Errorf("%s: %s, want %s", q, got, want)
		}
	}
	sameOutputs(t, filepath.Join(ref, "out"), filepath.Join(dir, "out"))
}

func queryString(t *testing.T, dir, q string) string {
	t.Helper()
	db := openDB(t, filepath.Join(dir, "var", "custcat.duckdb"))
	defer db.Close()
	var s sql.NullString
	if err := db.QueryRow(q).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s.String
}

// sameOutputs fails unless the two out folders hold the same files with
// the same bytes.
func sameOutputs(t *testing.T, want, got string) {
	t.Helper()
	w, g := snapshotDir(t, want), snapshotDir(t, got)
	for name, b := range w {
		if !bytes.Equal(b, g[name]) {
			t.Errorf("out/%s differs from the run on an undamaged database", name)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("out/%s should not be there", name)
		}
	}
}

// untar unpacks a .tar.gz into dir.
func untar(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "/") {
			t.Fatalf("%s: unexpected entry %q", archive, h.Name)
		}
		out, err := os.Create(filepath.Join(dir, h.Name))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, tr); err != nil {
			t.Fatal(err)
		}
		if err := out.Close(); err != nil {
			t.Fatal(fmt.Errorf("%s: %w", h.Name, err))
		}
	}
}
