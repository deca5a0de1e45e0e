package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// check lists each notice target by kind, host and the runs it is sent,
// never a robot's key; and how many run copies out/runs holds, and
// whether keep_runs bounds them.
func TestCheckListsNoticesAndRunCopies(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	config := `webhook: "https://hooks.example.com/custcat?token=HOOKTOKEN"
notify:
  - {kind: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=WECOMKEY"}
  - {kind: feishu, url: "https://open.feishu.cn/open-apis/bot/v2/hook/FEISHUHOOK", on_success: true}
  - kind: email
    smtp: {host: smtp.example.com, username: custcat@example.com, password: SMTPPASSWORD}
    from: custcat@example.com
    to: [it@example.com, sales@example.com]
`
	dir := inboxCase(t, config, map[string]string{"a.csv": smallExport})
	cfg := filepath.Join(dir, "custcat.yaml")
	code, out, errOut := custcat(t, "check", "-c", cfg, "--as-of", "2024-12-31")
	if code != exitOK {
		t.Fatalf("check: exit %d\n%s%s", code, out, errOut)
	}
	want := "notices: wecom to qyapi.weixin.qq.com (failed, partial and held runs); feishu to open.feishu.cn (every run); " +
		"email to it@example.com, sales@example.com through smtp.example.com (failed, partial and held runs); " +
		"webhook to hooks.example.com (failed, partial and held runs)\n"
	if !strings.Contains(out, want) {
		t.Errorf("check does not list the notices as\n%s\n%s", want, out)
	}
	for _, secret := range []string{"HOOKTOKEN", "WECOMKEY", "FEISHUHOOK", "SMTPPASSWORD"} {
		if strings.Contains(out+errOut, secret) {
			t.Errorf("check prints %s:\n%s%s", secret, out, errOut)
		}
	}
	copies := "run copies " + filepath.Join(dir, "out", "runs") + ": "
	if !strings.Contains(out, copies+"0 folder(s), 0.0 MB; nothing removes them") {
		t.Errorf("check before any run does not say %q:\n%s", copies, out)
	}

	if code, out, errOut := custcat(t, "run", "-c", cfg, "--as-of", "2024-12-31"); code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	_, out, _ = custcat(t, "check", "-c", cfg, "--as-of", "2024-12-31")
	if !strings.Contains(out, copies+"1 folder(s), ") {
		t.Errorf("check after a run does not count its copy:\n%s", out)
	}

	dir = inboxCase(t, "keep_runs: 30\n", nil)
	_, out, _ = custcat(t, "check", "-c", filepath.Join(dir, "custcat.yaml"))
	if !strings.Contains(out, "notices: none (notify: in the config)") || !strings.Contains(out, "keep_runs keeps those of the latest 30 runs") {
		t.Errorf("check of a config without notices, with keep_runs:\n%s", out)
	}
}
