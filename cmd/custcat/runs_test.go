package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunsCommand(t *testing.T) {
	dir := inboxCase(t, "", map[string]string{"a.csv": smallExport})
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, _ := custcat(t, "runs", "-c", cfg); code != exitOK || !strings.Contains(out, "no runs yet") {
		t.Errorf("runs before any: exit %d\n%s", code, out)
	}
	if code, _, errOut := custcat(t, "runs", "-c", cfg, "--last", "0"); code != exitUsage || !strings.Contains(errOut, "--last 0") {
		t.Errorf("--last 0: exit %d\n%s", code, errOut)
	}
	custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31")
	code, out, errOut := custcat(t, "runs", "-c", cfg, "--last", "1")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitOK || len(lines) != 2 || !strings.HasPrefix(lines[1], "2 ") || !strings.Contains(lines[1], "2024-12-31") || !strings.Contains(lines[1], "A=0 B=1 C=1") {
		t.Errorf("runs --last 1: exit %d\n%s%s", code, out, errOut)
	}
}

// custcat run checks the rules itself (in jobs.Run) and exits 3.
func TestRunBadRuleIsAConfigError(t *testing.T) {
	dir := inboxCase(t, "segments: [{code: A, when: \"m_scor >= 4\"}, {code: C, when: \"true\"}]\n", nil)
	code, _, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"))
	if code != exitConfig || !strings.Contains(errOut, "1 bad rule(s):") || !strings.Contains(errOut, "segment A") {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

// A failed custcat run tells the webhook, with a JSON summary. Its only
// sales file failed, so the guard holds it too.
func TestRunFailureWebhook(t *testing.T) {
	got := make(chan map[string]any, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		got <- m
	}))
	defer hook.Close()
	bad := "日期,客户编码,价税合计\n2024-03-01,C9,10\nnot a date,C9,10\n"
	dir := inboxCase(t, "webhook: "+hook.URL+"\n", map[string]string{"bad.csv": bad})
	if code, _, errOut := custcat(t, "run", "-c", filepath.Join(dir, "custcat.yaml"), "--as-of", "2024-12-31"); code != exitHeld {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	select {
	case m := <-got:
		if m["status"] != "held" || !strings.Contains(fmt.Sprint(m["error"]), "every sales file of the run failed (1)") || m["files_failed"] != 1.0 || m["job"] != "manual" || m["as_of"] != "2024-12-31" {
			t.Errorf("notice %v", m)
		}
	default:
		t.Errorf("the webhook heard nothing")
	}
}

// A held run is held in the history, and accepted once accept placed its file.
func TestRunsShowHeld(t *testing.T) {
	dir := inboxCase(t, "", nil)
	cfg := filepath.Join(dir, "custcat.yaml")
	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitHeld || !strings.Contains(errOut, "no customer could be scored") {
		t.Fatalf("a first run with nothing to score: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := custcat(t, "runs", "-c", cfg); code != exitOK || !strings.Contains(out, " held ") {
		t.Errorf("runs: exit %d\n%s", code, out)
	}
	if code, out, errOut := custcat(t, "accept", "-c", cfg); code != exitOK || !strings.Contains(out, "accepted run 1 (as of 2024-12-31)") {
		t.Fatalf("accept: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := custcat(t, "runs", "-c", cfg); code != exitOK || !strings.Contains(out, " accepted ") {
		t.Errorf("runs after accept: exit %d\n%s", code, out)
	}
	if code, _, errOut := custcat(t, "accept", "-c", cfg); code != exitFailed || !strings.Contains(errOut, "no held run to accept: the last run (1, as of 2024-12-31) is accepted") {
		t.Errorf("accept twice: exit %d\n%s", code, errOut)
	}
}
