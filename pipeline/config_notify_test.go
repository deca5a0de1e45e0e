package pipeline

import (
	"strings"
	"testing"
)

func TestNotifyConfig(t *testing.T) {
	cfg, problems := ParseConfig([]byte(`
webhook: https://hooks.example.com/custcat
serve: {public_url: "https://custcat.example.com"}
notify:
  - {kind: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"}
  - {kind: dingtalk, url: "https://oapi.dingtalk.com/robot/send?access_token=t", secret: SECabc, on_success: true}
  - {kind: feishu, url: "https://open.feishu.cn/open-apis/bot/v2/hook/h"}
  - kind: email
    smtp: {host: smtp.example.com, username: it, password: pw}
    from: custcat@example.com
    to: [it@example.com, "老板 <boss@example.com>"]
`))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	targets := cfg.NotifyTargets()
	if len(targets) != 5 || targets[4].Kind != "webhook" || targets[4].URL != "https://hooks.example.com/custcat" {
		t.Fatalf("targets %+v: want the four of notify and the webhook", targets)
	}
	if !targets[1].OnSuccess || targets[0].OnSuccess {
		t.Errorf("on_success: %+v", targets)
	}
	mail := targets[3].SMTP
	if mail.Port != DefaultSMTPPort || !mail.RequireStartTLS() {
		t.Errorf("smtp defaults: port %d, starttls %v", mail.Port, mail.RequireStartTLS())
	}
}

func TestNotifyConfigProblems(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"no kind", `notify: [{url: "https://x.example.com/"}]`, `notify[0].kind is empty; write one of wecom, dingtalk, feishu, webhook, email`},
		{"unknown kind", `notify: [{kind: slack, url: "https://x.example.com/"}]`, `notify[0] (slack).kind "slack" is unknown`},
		{"robot url", `notify: [{kind: wecom, url: "qyapi.weixin.qq.com"}]`, `notify[0] (wecom).url "qyapi.weixin.qq.com" is not an http(s) URL; write the robot's address, such as https://qyapi.weixin.qq.com/`},
		{"secret of wecom", `notify: [{kind: wecom, url: "https://x.example.com/", secret: s}]`, `notify[0] (wecom).secret: only dingtalk and feishu robots sign their requests`},
		{"smtp on a robot", `notify: [{kind: feishu, url: "https://x.example.com/", to: [a@example.com]}]`, `notify[0] (feishu): smtp, from and to are for kind email`},
		{"no smtp host", `notify: [{kind: email, from: a@example.com, to: [b@example.com]}]`, `notify[0] (email).smtp.host is empty`},
		{"host with port", `notify: [{kind: email, smtp: {host: "smtp.example.com:587"}, from: a@example.com, to: [b@example.com]}]`, `notify[0] (email).smtp.host "smtp.example.com:587" holds a port`},
		{"bad port", `notify: [{kind: email, smtp: {host: h, port: 70000}, from: a@example.com, to: [b@example.com]}]`, `notify[0] (email).smtp.port is 70000`},
		{"user without password", `notify: [{kind: email, smtp: {host: h, username: u}, from: a@example.com, to: [b@example.com]}]`, `give both username and password, or neither`},
		{"bad from", `notify: [{kind: email, smtp: {host: h}, from: custcat, to: [b@example.com]}]`, `notify[0] (email).from "custcat" is not an email address`},
		{"no to", `notify: [{kind: email, smtp: {host: h}, from: a@example.com}]`, `notify[0] (email).to is empty`},
		{"bad to", `notify: [{kind: email, smtp: {host: h}, from: a@example.com, to: [nobody]}]`, `notify[0] (email).to: "nobody" is not an email address`},
		{"url on email", `notify: [{kind: email, url: "https://x.example.com/", smtp: {host: h}, from: a@example.com, to: [b@example.com]}]`, `url and secret are for the robots`},
		{"public url", `serve: {public_url: "custcat.example.com"}`, `serve.public_url "custcat.example.com" is not an http(s) URL`},
		{"unknown key", `notify: [{kind: wecom, url: "https://x.example.com/", on_sucess: true}]`, `unknown key "notify[0].on_sucess"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, problems := ParseConfig([]byte(c.yaml))
			if !strings.Contains(strings.Join(problems, "\n"), c.want) {
				t.Errorf("problems %q do not say %q", problems, c.want)
			}
		})
	}
}
