package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// With keep_runs: 2 each run keeps the copies of the outputs of the two
// latest runs under out/runs/ and the reports of their dates under
// out/reports/, says what it removed, and leaves alone what custcat did
// not write there. A rerun of an older date keeps the copy it wrote.
func TestKeepRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	dir := inboxCase(t, "keep_runs: 2\n", map[string]string{"a.csv": smallExport})
	cfg := filepath.Join(dir, "custcat.yaml")
	out := filepath.Join(dir, "out")
	os.MkdirAll(filepath.Join(out, "runs", "2024-12-28", "mine"), 0o755)
	os.WriteFile(filepath.Join(out, "runs", "notes.txt"), []byte("kept by hand"), 0o644)
	os.MkdirAll(filepath.Join(out, "reports"), 0o755)
	os.WriteFile(filepath.Join(out, "reports", "summary.html"), []byte("kept by hand"), 0o644)

	run := func(asOf string) string {
		t.Helper()
		code, stdout, errOut := custcat(t, "run", "-c", cfg, "--as-of", asOf)
		if code != exitOK {
			t.Fatalf("run as of %s: exit %d\n%s%s", asOf, code, stdout, errOut)
		}
		return stdout
	}
	for _, asOf := range []string{"2024-12-28", "2024-12-29", "2024-12-30"} {
		run(asOf)
	}
	last := run("2024-12-31")
	if !strings.Contains(last, "older output copies removed from runs/ and reports/ (keep_runs): 2") {
		t.Errorf("the fourth run does not say what it removed:\n%s", last)
	}
	want := []string{
		"reports/report-2024-12-30.html", "reports/report-2024-12-31.html", "reports/summary.html",
		"runs/2024-12-28/mine", "runs/2024-12-30/3", "runs/2024-12-31/4", "runs/notes.txt",
	}
	if got := outEntries(t, out); !slices.Equal(got, want) {
		t.Errorf("out/ after four runs:\n got %q\nwant %q", got, want)
	}

	// A rerun of 2024-12-29 computes the snapshot of run 2 again and
	// writes its copy anew: it stays, beside the two latest.
	rerun := run("2024-12-29")
	if strings.Contains(rerun, "removed") {
		t.Errorf("the rerun removed copies:\n%s", rerun)
	}
	if got := outEntries(t, out); !slices.Contains(got, "runs/2024-12-29/2") || !slices.Contains(got, "reports/report-2024-12-29.html") ||
		!slices.Contains(got, "runs/2024-12-31/4") || !slices.Contains(got, "runs/2024-12-30/3") {
		t.Errorf("out/ after the rerun of 2024-12-29: %q", got)
	}
	// The next run is the latest again: the older copy goes.
	run("2024-12-31")
	if got := outEntries(t, out); !slices.Equal(got, want) {
		t.Errorf("out/ after the run after the rerun:\n got %q\nwant %q", got, want)
	}
}

// outEntries lists out/runs/<date>/<entry>, out/runs/<file> and
// out/reports/<entry>, as paths inside out with /.
func outEntries(t *testing.T, out string) []string {
	t.Helper()
	var got []string
	for _, top := range []string{"runs", "reports"} {
		entries, err := os.ReadDir(filepath.Join(out, top))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if top == "runs" && e.IsDir() {
				sub, err := os.ReadDir(filepath.Join(out, top, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if len(sub) == 0 {
					got = append(got, top+"/"+e.Name()+"/ (empty)")
				}
				for _, s := range sub {
					got = append(got, top+"/"+e.Name()+"/"+s.Name())
				}
				continue
			}
			got = append(got, top+"/"+e.Name())
		}
	}
	slices.Sort(got)
	return got
}
