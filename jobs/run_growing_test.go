package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"custcat/pipeline"
)

// appendOnce appends text to a file the first time it is called: the ERP
// writing more of an export while a run reads it.
type appendOnce struct {
	t    *testing.T
	path string
	text string
	done bool
}

func (a *appendOnce) append() {
	if a.done {
		return
	}
	a.done = true
	f, err := os.OpenFile(a.path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		a.t.Error(err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(a.text); err != nil {
		a.t.Error(err)
	}
}

// As Progress, it appends as the run reads the file.
func (a *appendOnce) Start(string, int64) {}
func (a *appendOnce) Read(int64)          { a.append() }
func (a *appendOnce) Phase(string)        {}

var _ pipeline.Progress = (*appendOnce)(nil)

// appendAt is a log handler that appends once the run logs msg.
type appendAt struct {
	slog.Handler
	msg string
	a   *appendOnce
}

func (h appendAt) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.a.append()
	}
	return nil
}
func (h appendAt) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h appendAt) Enabled(context.Context, slog.Level) bool {
	return true
}

func growingExport(docNo bool, from, to int) string {
	var b strings.Builder
	if from == 1 {
		if docNo {
			b.WriteString("单据日期,单据编号,客户编码,客户名称,价税合计\n")
		} else {
			b.WriteString("单据日期,客户编码,客户名称,价税合计\n")
		}
	}
	for i := from; i <= to; i++ {
		if docNo {
			fmt.Fprintf(&b, "2026-01-%02d,XS%04d,C%03d,客户%d,%d\n", 1+i%28, i, i%7, i%7, 100+i)
		} else {
			fmt.Fprintf(&b, "2026-01-%02d,C%03d,客户%d,%d\n", 1+i%28, i%7, i%7, 100+i)
		}
	}
	return b.String()
}

// An export that grows while a run reads it is never loaded in part, with
// or without document numbers: grown while it is read, the run loads
// nothing of it and leaves it for the next; grown later, before the
// commit, the run fails and changes nothing. The next run loads it whole,
// each line once.
func TestGrowingFileNeverLoadedInPart(t *testing.T) {
	for _, docNo := range []bool{true, false} {
		for _, when := range []string{"while read", "before the commit"} {
			t.Run(fmt.Sprintf("document numbers %v, grown %s", docNo, when), func(t *testing.T) {
				cfg := outputsStore(t, "", map[string]string{"a.csv": growingExport(docNo, 1, 60)})
				a := &appendOnce{t: t, path: filepath.Join(cfg.Path(cfg.Inbox), "a.csv"), text: growingExport(docNo, 61, 100)}
				opt := RunOptions{AsOf: "2026-03-31", Job: "test"}
				if when == "while read" {
					opt.Progress = a
				} else {
					opt.Log = slog.New(appendAt{msg: "write outputs", a: a})
				}
				res, err := Run(context.Background(), cfg, opt)
				if !a.done {
					t.Fatal("the file did not grow during the run")
				}
				switch when {
				case "while read":
					if err != nil {
						t.Fatal(err)
					}
					if f := res.Load.Files[0]; f.Status != "waiting" || f.Reason != pipeline.ReasonChanged || f.Read != 0 {
						t.Errorf("file: %s %q, %d lines read", f.Status, f.Reason, f.Read)
					}
					if len(res.Waiting) != 1 {
						t.Errorf("waiting: %v", res.Waiting)
					}
				default:
					if err == nil || !strings.Contains(err.Error(), "a.csv changed after the run read it") {
						t.Fatalf("err = %v", err)
					}
				}
				if got := countRows(t, cfg, "sales_lines"); got != 0 {
					t.Errorf("%d lines loaded from the part", got)
				}
				if _, err := os.Stat(filepath.Join(cfg.Path(cfg.Inbox), "a.csv")); err != nil {
					t.Errorf("the file left the inbox: %v", err)
				}
				if _, err := Run(context.Background(), cfg, RunOptions{AsOf: "2026-03-31", Job: "test"}); err != nil {
					t.Fatal(err)
				}
				if got := countRows(t, cfg, "sales_lines"); got != 100 {
					t.Errorf("after the next run: %d lines, want 100", got)
				}
				if got := countRows(t, cfg, "files"); got != 1 {
					t.Errorf("after the next run: %d files, want 1", got)
				}
			})
		}
	}
}

func countRows(t *testing.T, cfg *pipeline.Config, table string) int64 {
	t.Helper()
	db, err := sql.Open("duckdb", cfg.Path(cfg.Store.Path)+"?access_mode=READ_ONLY")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
