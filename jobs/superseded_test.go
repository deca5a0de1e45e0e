package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"custcat/pipeline"
)

// Two files of one run that hold the same document: the later replaces
// it whole, as a document exported again, and the run says which files,
// since a document cut between two parts of one export loses a part so.
// Under serve the same warning goes to the log.
func TestDocumentInTwoFilesOfOneRun(t *testing.T) {
	const head = "单据日期,单据编号,客户编码,客户名称,商品编码,价税合计\n"
	files := map[string]string{
		"part1.csv": head + "2026-03-01,XS1,C1,甲,I1,70\n2026-03-02,XS2,C1,甲,I1,100\n2026-03-02,XS2,C1,甲,I2,30\n",
		"part2.csv": head + "2026-03-02,XS2,C1,甲,I3,50\n2026-03-03,XS3,C2,乙,I1,200\n",
	}
	want := pipeline.Superseded{Earlier: []string{"part1.csv"}, Later: "part2.csv", Lines: 2, Documents: 1}
	note := "part1.csv: 2 lines in 1 document replaced by part2.csv, read in the same run, which holds the same documents: " +
		"a later file replaces a document whole, as it should for a document edited and exported again. If the two files are instead parts of one export, a document cut between them keeps only its lines in part2.csv"
	order := func(t *testing.T, cfg *pipeline.Config) {
		for i, name := range []string{"part1.csv", "part2.csv"} {
			at := time.Now().Add(time.Duration(i-3) * time.Minute)
			if err := os.Chtimes(filepath.Join(cfg.Path(cfg.Inbox), name), at, at); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("run", func(t *testing.T) {
		cfg := outputsStore(t, "", files)
		order(t, cfg)
		res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Load.Superseded) != 1 || !reflect.DeepEqual(res.Load.Superseded[0], want) || res.Load.Replaced != 2 {
			t.Errorf("superseded %+v, replaced %d; want [%+v], 2", res.Load.Superseded, res.Load.Replaced, want)
		}
		if !slices.ContainsFunc(res.FileNotes, func(n string) bool { return strings.HasPrefix(n, note) }) {
			t.Errorf("the notes of the files lack %q:\n%s", note, strings.Join(res.FileNotes, "\n"))
		}
		// Documents exported again on a later night are the rule at work:
		// no pair of files of one run to name.
		addInbox(t, cfg, map[string]string{"night2.csv": head + "2026-03-02,XS2,C1,甲,I3,55\n"})
		res, err = Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Load.Replaced != 1 || len(res.Load.Superseded) > 0 {
			t.Errorf("the next night: replaced %d, superseded %+v; want 1 and none", res.Load.Replaced, res.Load.Superseded)
		}
	})

	t.Run("cumulative", func(t *testing.T) {
		// Five nights of a month-to-date export read at once: each holds
		// the documents of the nights before, and one warning names them.
		cum := map[string]string{}
		text := head
		for n := 1; n <= 5; n++ {
			text += fmt.Sprintf("2026-03-%02d,XS%d,C%d,客户%d,I1,%d\n", n, n, n, n, 100*n)
			cum[fmt.Sprintf("mtd-%d.csv", n)] = text
		}
		cfg := outputsStore(t, "", cum)
		for n := 1; n <= 5; n++ {
			at := time.Now().Add(time.Duration(n-10) * time.Minute)
			os.Chtimes(filepath.Join(cfg.Path(cfg.Inbox), fmt.Sprintf("mtd-%d.csv", n)), at, at)
		}
		res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
		if err != nil {
			t.Fatal(err)
		}
		want := pipeline.Superseded{Earlier: []string{"mtd-1.csv", "mtd-2.csv", "mtd-3.csv", "mtd-4.csv"}, Later: "mtd-5.csv", Lines: 10, Documents: 4}
		if len(res.Load.Superseded) != 1 || !reflect.DeepEqual(res.Load.Superseded[0], want) {
			t.Errorf("superseded %+v, want [%+v]", res.Load.Superseded, want)
		}
		note := "mtd-1.csv, mtd-2.csv and 2 more files: 10 lines in 4 documents replaced by mtd-5.csv, read in the same run"
		if !slices.ContainsFunc(res.FileNotes, func(n string) bool { return strings.HasPrefix(n, note) }) {
			t.Errorf("the notes of the files lack %q:\n%s", note, strings.Join(res.FileNotes, "\n"))
		}
		if res.Customers != 5 {
			t.Errorf("%d customers, want 5", res.Customers)
		}
	})

	t.Run("check", func(t *testing.T) {
		cfg := outputsStore(t, "", files)
		order(t, cfg)
		pred, err := Predict(context.Background(), cfg, time.Now(), "2026-03-31")
		if err != nil {
			t.Fatal(err)
		}
		if pred.Replaced != 2 || len(pred.Notes) != 1 || !strings.HasPrefix(pred.Notes[0], note) {
			t.Errorf("check predicts %d lines replaced and %q; want 2 and %q", pred.Replaced, pred.Notes, note)
		}
	})

	t.Run("serve", func(t *testing.T) {
		cfg := outputsStore(t, "jobs: [{name: hourly, schedule: \"@hourly\"}]\nserve: {listen: \"off\", catch_up: true}\n", nil)
		twoHoursAgo := func() time.Time { return time.Now().Add(-2 * time.Hour) }
		if _, err := Run(context.Background(), cfg, RunOptions{Job: "hourly", Trigger: "schedule", Now: twoHoursAgo}); err != nil {
			t.Fatal(err)
		}
		addInbox(t, cfg, files)
		order(t, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		logged := &notes{seen: make(chan [2]string, 100)}
		done := make(chan error)
		go func() { done <- Serve(ctx, cfg, ServeOptions{Log: slog.New(logged)}) }()
		var got []string
		timeout := time.After(30 * time.Second)
	wait:
		for {
			select {
			case m := <-logged.seen:
				if m[0] == "input file" {
					got = append(got, m[1])
				}
				if m[0] == "done" || m[0] == "run failed" || m[0] == "run partial: some files failed" {
					break wait
				}
			case <-timeout:
				t.Error("the catch-up run did not end within 30 s")
				break wait
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, note) }) {
			t.Errorf("the daemon's log has no input file note %q; it has %q", note, got)
		}
	})
}

// notes is a slog handler that passes on each record's message and its
// note attribute.
type notes struct{ seen chan [2]string }

func (n *notes) Enabled(context.Context, slog.Level) bool { return true }
func (n *notes) Handle(_ context.Context, r slog.Record) error {
	var note string
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "note" {
			note = a.Value.String()
		}
		return true
	})
	n.seen <- [2]string{r.Message, note}
	return nil
}
func (n *notes) WithAttrs([]slog.Attr) slog.Handler { return n }
func (n *notes) WithGroup(string) slog.Handler      { return n }

// Lines dated after the as-of date load and stay out of the snapshot, as
// PRODUCT.md has it; the run says how many, per file, and the date that
// would count them. A run as of that date says nothing of them.
func TestLinesAfterAsOf(t *testing.T) {
	const head = "单据日期,单据编号,客户编码,客户名称,价税合计\n"
	cfg := outputsStore(t, "", map[string]string{"a.csv": head + "2026-03-01,XS1,C1,甲,100\n2026-04-02,XS2,C2,乙,100\n2026-04-20,XS3,C2,乙,100\n"})
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	note := "a.csv: 2 lines dated after the as-of date 2026-03-31 (the latest 2026-04-20) loaded but left out of this snapshot; a run with --as-of 2026-04-20 or later counts them"
	if !slices.Contains(res.FileNotes, note) || res.Customers != 1 {
		t.Errorf("%d customers; the notes of the files lack %q:\n%s", res.Customers, note, strings.Join(res.FileNotes, "\n"))
	}
	addInbox(t, cfg, map[string]string{"b.csv": head + "2026-04-21,XS4,C3,丙,100\n"})
	res, err = Run(context.Background(), cfg, RunOptions{AsOf: "2026-04-30"})
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(res.FileNotes, func(n string) bool { return strings.Contains(n, "after the as-of date") }) || res.Customers != 3 {
		t.Errorf("as of 2026-04-30: %d customers, notes %q", res.Customers, res.FileNotes)
	}
}

// Files in a folder of the inbox are not read, and the run and check say
// so, naming the folder; folders custcat writes to inside the inbox, hidden
// ones and empty ones are left unnamed.
func TestFoldersInTheInbox(t *testing.T) {
	const head = "单据日期,单据编号,客户编码,客户名称,价税合计\n"
	cfg := outputsStore(t, "archive: inbox/archive\n", map[string]string{"a.csv": head + "2026-03-01,XS1,C1,甲,100\n"})
	inbox := cfg.Path(cfg.Inbox)
	for _, f := range []string{"2026-03/b.csv", "archive/old.csv", ".hidden/c.csv"} {
		os.MkdirAll(filepath.Join(inbox, filepath.Dir(f)), 0o755)
		os.WriteFile(filepath.Join(inbox, f), []byte(head+"2026-03-02,XS2,C2,乙,100\n"), 0o644)
	}
	os.MkdirAll(filepath.Join(inbox, "empty"), 0o755)
	note := "the inbox holds files in the folder 2026-03" + string(filepath.Separator) + ", which no run reads: custcat reads the files of the inbox itself; move the exports up into the inbox, or the folder out of it"
	pred, err := Predict(context.Background(), cfg, time.Now(), "2026-03-31")
	if err != nil {
		t.Fatal(err)
	}
	if len(pred.Notes) != 1 || pred.Notes[0] != note {
		t.Errorf("check: %q\nwant [%q]", pred.Notes, note)
	}
	res, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.FileNotes, note) || res.Customers != 1 {
		t.Errorf("%d customers; the notes of the files lack %q:\n%s", res.Customers, note, strings.Join(res.FileNotes, "\n"))
	}
}
