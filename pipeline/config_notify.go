package pipeline

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
)

// NotifyTarget is one place the daemon's notices go: a group robot of
// WeCom (企业微信), DingTalk (钉钉) or Feishu (飞书), a plain JSON webhook,
// or email.
type NotifyTarget struct {
	Kind string `yaml:"kind"` // wecom | dingtalk | feishu | webhook | email
	URL  string `yaml:"url"`  // the robot's or webhook's address (all kinds but email)
	// Secret signs the request: DingTalk's "加签" secret (SEC...), or the
	// signature secret of a Feishu bot. Empty: the robot checks none.
	Secret string `yaml:"secret"`
	// OnSuccess sends a one-line summary of good runs too; failed,
	// partial and held runs are always sent.
	OnSuccess bool `yaml:"on_success"`

	// Email only.
	SMTP SMTPConfig `yaml:"smtp"`
	From string     `yaml:"from"`
	To   []string   `yaml:"to"`
}

// SMTPConfig is the mail server a notice of kind email is sent through.
type SMTPConfig struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // default 587
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// StartTLS is required unless set to false (a relay on this machine
	// that speaks no TLS); the password never goes out in the clear.
	StartTLS *bool  `yaml:"starttls"`
	CAFile   string `yaml:"ca_file"` // PEM certificates to trust besides the system's (a firm's own CA)
}

// NotifyKinds are the kinds of notice targets.
var NotifyKinds = []string{"wecom", "dingtalk", "feishu", "webhook", "email"}

// DefaultSMTPPort is the submission port, where STARTTLS is the rule.
const DefaultSMTPPort = 587

// RequireStartTLS says whether the mail server must offer STARTTLS.
func (s SMTPConfig) RequireStartTLS() bool { return s.StartTLS == nil || *s.StartTLS }

// NotifyTargets are the targets of the config: notify, and the older
// webhook key as a target of kind webhook.
func (c *Config) NotifyTargets() []NotifyTarget {
	out := append([]NotifyTarget(nil), c.Notify...)
	if c.Webhook != "" {
		out = append(out, NotifyTarget{Kind: "webhook", URL: c.Webhook})
	}
	return out
}

// validateNotify checks the notice targets and serve.public_url, and
// fills in the SMTP port.
func (c *Config) validateNotify() []string {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	httpURL := func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
	}
	if c.Serve.PublicURL != "" && !httpURL(c.Serve.PublicURL) {
		add("serve.public_url %q is not an http(s) URL; write the address people open the pages at, such as https://custcat.example.com", c.Serve.PublicURL)
	}
	examples := map[string]string{
		"wecom":    "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...",
		"dingtalk": "https://oapi.dingtalk.com/robot/send?access_token=...",
		"feishu":   "https://open.feishu.cn/open-apis/bot/v2/hook/...",
		"webhook":  "https://hooks.example.com/custcat",
	}
	for i := range c.Notify {
		t := &c.Notify[i]
		at := fmt.Sprintf("notify[%d]", i)
		if t.Kind != "" {
			at = fmt.Sprintf("notify[%d] (%s)", i, t.Kind)
		}
		switch t.Kind {
		case "wecom", "dingtalk", "feishu", "webhook":
			if !httpURL(t.URL) {
				add("%s.url %q is not an http(s) URL; write the robot's address, such as %s", at, t.URL, examples[t.Kind])
			}
			if t.Secret != "" && t.Kind != "dingtalk" && t.Kind != "feishu" {
				add("%s.secret: only dingtalk and feishu robots sign their requests; remove it", at)
			}
			if t.SMTP != (SMTPConfig{}) || t.From != "" || len(t.To) > 0 {
				add("%s: smtp, from and to are for kind email; remove them", at)
			}
		case "email":
			if t.URL != "" || t.Secret != "" {
				add("%s: url and secret are for the robots; an email target takes smtp, from and to", at)
			}
			if t.SMTP.Host == "" {
				add("%s.smtp.host is empty; write the mail server, such as smtp.example.com", at)
			} else if strings.Contains(t.SMTP.Host, ":") && net.ParseIP(t.SMTP.Host) == nil {
				add("%s.smtp.host %q holds a port; write the port as smtp.port", at, t.SMTP.Host)
			}
			if t.SMTP.Port == 0 {
				t.SMTP.Port = DefaultSMTPPort
			}
			if t.SMTP.Port < 1 || t.SMTP.Port > 65535 {
				add("%s.smtp.port is %d; write the server's port, such as 587", at, t.SMTP.Port)
			}
			if (t.SMTP.Username == "") != (t.SMTP.Password == "") {
				add("%s.smtp: give both username and password, or neither", at)
			}
			if _, err := mail.ParseAddress(t.From); err != nil {
				add("%s.from %q is not an email address; write one such as custcat@example.com", at, t.From)
			}
			if len(t.To) == 0 {
				add("%s.to is empty; list who gets the notice, such as [it@example.com]", at)
			}
			for _, to := range t.To {
				if _, err := mail.ParseAddress(to); err != nil {
					add("%s.to: %q is not an email address", at, to)
				}
			}
		case "":
			add("%s.kind is empty; write one of %s", at, strings.Join(NotifyKinds, ", "))
		default:
			add("%s.kind %q is unknown; write one of %s", at, t.Kind, strings.Join(NotifyKinds, ", "))
		}
	}
	return p
}
