package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// receivers is one local HTTP server standing in for the robots of WeCom,
// DingTalk and Feishu and a JSON webhook: each path checks its format (and
// the signatures) and keeps the text of what it got.
type receivers struct {
	url  string
	mu   sync.Mutex
	got  map[string][]string
	hits map[string]int
	more chan struct{}
}

func newReceivers(t *testing.T, dingSecret, feishuSecret string) *receivers {
	r := &receivers{got: map[string][]string{}, hits: map[string]int{}, more: make(chan struct{}, 1)}
	hmacB64 := func(key, msg string) string {
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(msg))
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	fresh := func(ts int64, unit time.Duration) bool {
		return time.Since(time.Unix(0, ts*int64(unit))).Abs() < time.Hour
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var kind, text string
		var problem error
		body, _ := io.ReadAll(req.Body)
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			problem = fmt.Errorf("%s with %s", req.Method, req.Header.Get("Content-Type"))
		}
		switch req.URL.Path {
		case "/cgi-bin/webhook/send": // WeCom
			kind = "wecom"
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct {
					Content string `json:"content"`
				} `json:"markdown"`
			}
			if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "markdown" || m.Markdown.Content == "" || req.URL.Query().Get("key") != "k1" {
				problem = fmt.Errorf("not a WeCom markdown message: %s", body)
			}
			text = m.Markdown.Content
		case "/robot/send": // DingTalk
			kind = "dingtalk"
			q := req.URL.Query()
			ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			if want := hmacB64(dingSecret, q.Get("timestamp")+"\n"+dingSecret); q.Get("sign") != want || !fresh(ts, time.Millisecond) || q.Get("access_token") != "t1" {
				problem = fmt.Errorf("bad DingTalk signature: timestamp %s sign %s, want %s", q.Get("timestamp"), q.Get("sign"), want)
			}
			var m struct {
				MsgType  string `json:"msgtype"`
				Markdown struct {
					Title, Text string
				} `json:"markdown"`
			}
			if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "markdown" || m.Markdown.Title == "" {
				problem = fmt.Errorf("not a DingTalk markdown message: %s", body)
			}
			text = m.Markdown.Text
		case "/open-apis/bot/v2/hook/h1": // Feishu
			kind = "feishu"
			var m struct {
				Timestamp string `json:"timestamp"`
				Sign      string `json:"sign"`
				MsgType   string `json:"msg_type"`
				Card      struct {
					Header struct {
						Title struct{ Content string } `json:"title"`
					} `json:"header"`
					Elements []struct {
						Tag  string `json:"tag"`
						Text struct {
							Tag     string `json:"tag"`
							Content string `json:"content"`
						} `json:"text"`
					} `json:"elements"`
				} `json:"card"`
			}
			if err := json.Unmarshal(body, &m); err != nil || m.MsgType != "interactive" || len(m.Card.Elements) == 0 || m.Card.Elements[0].Text.Tag != "lark_md" {
				problem = fmt.Errorf("not a Feishu card: %s", body)
			} else {
				text = m.Card.Elements[0].Text.Content
			}
			ts, _ := strconv.ParseInt(m.Timestamp, 10, 64)
			if want := hmacB64(m.Timestamp+"\n"+feishuSecret, ""); m.Sign != want || !fresh(ts, time.Second) {
				problem = fmt.Errorf("bad Feishu signature: %s, want %s", m.Sign, want)
			}
		case "/hook":
			kind = "webhook"
			var m struct {
				Status string `json:"status"`
				RunID  int64  `json:"run_id"`
				Files  []struct{ Name, Reason string }
				Text   string `json:"text"`
			}
			if err := json.Unmarshal(body, &m); err != nil {
				problem = err
			}
			if m.Status == "partial" && (len(m.Files) != 1 || m.Files[0].Name != "bad.csv" || m.Files[0].Reason == "") {
				problem = fmt.Errorf("the webhook's files: %+v", m.Files)
			}
			text = m.Text
		default:
			http.NotFound(w, req)
			return
		}
		r.mu.Lock()
		r.hits[kind]++
		first := r.hits[kind] == 1
		r.mu.Unlock()
		if problem != nil {
			t.Errorf("%s: %v", kind, problem)
			w.Write([]byte(`{"errcode":310000,"errmsg":"sign not match","code":19021,"msg":"sign match fail"}`))
			return
		}
		if kind == "wecom" && first {
			// Down for a moment: the daemon must try again.
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		r.mu.Lock()
		r.got[kind] = append(r.got[kind], text)
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
		switch kind {
		case "feishu":
			w.Write([]byte(`{"code":0,"msg":"success","data":{}}`))
		default:
			w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
		}
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *receivers) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[kind]
}

// wait returns the first message of kind that holds want.
func (r *receivers) wait(t *testing.T, kind, want string) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		r.mu.Lock()
		for _, text := range r.got[kind] {
			if strings.Contains(text, want) {
				r.mu.Unlock()
				return text
			}
		}
		r.mu.Unlock()
		select {
		case <-r.more:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %s notice with %q in 60s", kind, want)
		}
	}
}

// closedURL is an address where nothing listens.
func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/down"
}

// mailbox is a local SMTP server that takes mail only over STARTTLS and
// after a login.
type mailbox struct {
	port   int
	caFile string
	got    chan gotMail
}

type gotMail struct {
	to, subject, body string
	tls               bool
}

type mailSession struct {
	m    *mailbox
	conn *smtp.Conn
	to   string
	auth bool
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "it" || pass != "pw" {
			return errors.New("bad login")
		}
		s.auth = true
		return nil
	}), nil
}
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	if !s.auth {
		return errors.New("log in first")
	}
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *mailSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	var body []byte
	if msg.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
		body, err = io.ReadAll(quotedprintable.NewReader(msg.Body))
	} else {
		body, err = io.ReadAll(msg.Body)
	}
	if err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.m.got <- gotMail{to: s.to, subject: subject, body: string(body), tls: isTLS}
	return nil
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

func startSMTP(t *testing.T) *mailbox {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "custcat test mail"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	os.WriteFile(caFile, certPEM, 0o644)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	pair, err := tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{caFile: caFile, got: make(chan gotMail, 16)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{m: m, conn: c}, nil
	}))
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.AllowInsecureAuth = false
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.port = ln.Addr().(*net.TCPAddr).Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return m
}

func (m *mailbox) wait(t *testing.T) gotMail {
	t.Helper()
	select {
	case g := <-m.got:
		return g
	case <-time.After(60 * time.Second):
		t.Fatal("no mail in 60s")
		return gotMail{}
	}
}
