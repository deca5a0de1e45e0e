package jobs

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"time"

	"custcat/pipeline"
)

// sendMail sends the notice as a plain-text UTF-8 mail through the SMTP
// server of t, upgrading the connection with STARTTLS before anything
// else is said (required unless smtp.starttls is false).
func sendMail(ctx context.Context, cfg *pipeline.Config, t pipeline.NotifyTarget, n Notice) error {
	s := t.SMTP
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		tc := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
		if s.CAFile != "" {
			pool, err := certPool(cfg.Path(s.CAFile))
			if err != nil {
				return err
			}
			tc.RootCAs = pool
		}
		if err := c.StartTLS(tc); err != nil {
			return fmt.Errorf("smtp %s: starttls: %w", addr, err)
		}
	} else if s.RequireStartTLS() {
		return fmt.Errorf("smtp %s offers no STARTTLS; use the server's submission port (587), or set smtp.starttls: false for a relay on this machine", addr)
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("smtp %s: log in as %s: %w", addr, s.Username, err)
		}
	}
	if err := c.Mail(t.From); err != nil {
		return fmt.Errorf("smtp %s: from %s: %w", addr, t.From, err)
	}
	for _, to := range t.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("smtp %s: to %s: %w", addr, to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	if _, err := w.Write(mailMessage(t, n, time.Now())); err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: the server refused the message: %w", addr, err)
	}
	return c.Quit()
}

func certPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("smtp.ca_file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, errors.New("smtp.ca_file holds no PEM certificate")
	}
	return pool, nil
}

// mailMessage is the notice as an RFC 5322 message: the subject encoded
// for non-ASCII text, the body quoted-printable UTF-8.
func mailMessage(t pipeline.NotifyTarget, n Notice, now time.Time) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", t.From)
	header("To", strings.Join(t.To, ", "))
	header("Subject", mime.BEncoding.Encode("utf-8", n.Title))
	header("Date", now.Format(time.RFC1123Z))
	id := make([]byte, 8)
	rand.Read(id)
	header("Message-ID", fmt.Sprintf("<%d.%x@custcat>", now.UnixNano(), id))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(n.Text, "\n", "\r\n") + "\r\n"))
	qp.Close()
	return b.Bytes()
}
