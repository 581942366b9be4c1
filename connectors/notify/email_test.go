package notify

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/tocsin-db/tocsin/connectors"
)

// smtpMessage is one message the test server accepted.
type smtpMessage struct {
	from string
	to   []string
	data []byte
	user string
}

// smtpBackend records messages; rcptErr and dataErr, when set, reject
// RCPT and DATA.
type smtpBackend struct {
	mu       sync.Mutex
	msgs     []smtpMessage
	rcptErr  error
	dataErr  error
	password string
}

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

func (b *smtpBackend) messages() []smtpMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]smtpMessage(nil), b.msgs...)
}

func (b *smtpBackend) reject(rcpt, data error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rcptErr, b.dataErr = rcpt, data
}

type smtpSession struct {
	b   *smtpBackend
	cur smtpMessage
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if pass != s.b.password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "bad credentials"}
		}
		s.cur.user = user
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.b.mu.Lock()
	err := s.b.rcptErr
	s.b.mu.Unlock()
	if err != nil {
		return err
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.b.dataErr != nil {
		return s.b.dataErr
	}
	s.cur.data = data
	s.b.msgs = append(s.b.msgs, s.cur)
	return nil
}

func (s *smtpSession) Reset()        { s.cur = smtpMessage{user: s.cur.user} }
func (s *smtpSession) Logout() error { return nil }

var _ smtp.AuthSession = (*smtpSession)(nil)

// startSMTP runs a go-smtp server on a loopback port.
func startSMTP(t *testing.T) (*smtpBackend, string, string) {
	t.Helper()
	be := &smtpBackend{password: "s3cret"}
	srv := smtp.NewServer(be)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	host, port, _ := net.SplitHostPort(l.Addr().String())
	return be, host, port
}

func TestEmail(t *testing.T) {
	be, host, port := startSMTP(t)
	ch := newChannel(t, NewEmail, map[string]string{
		"host": host, "port": port, "from": "Tocsin <alerts@example.com>",
		"to":       "oncall@example.com, Ops Team <ops@example.com>",
		"username": "bot", "password": "s3cret",
	})
	n := testNotification()
	n.Key = "k-42\r\nBcc: evil@example.com"
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	msgs := be.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if m.from != "alerts@example.com" || strings.Join(m.to, ",") != "oncall@example.com,ops@example.com" || m.user != "bot" {
		t.Fatalf("envelope %+v", m)
	}
	parsed, err := mail.ReadMessage(strings.NewReader(string(m.data)))
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Header
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	key, _ := new(mime.WordDecoder).DecodeHeader(h.Get("X-Tocsin-Idempotency-Key"))
	for name, want := range map[string]string{
		"Subject":                  "[FIRING:1] pager service=api (escalation 1)",
		"From":                     `"Tocsin" <alerts@example.com>`,
		"To":                       `<oncall@example.com>, "Ops Team" <ops@example.com>`,
		"Date":                     "Sun, 01 Mar 2026 12:05:00 +0000",
		"Message-ID":               messageID(n.Key),
		"X-Tocsin-Idempotency-Key": "k-42  Bcc: evil@example.com",
		"Content-Type":             "text/plain; charset=utf-8",
		"Bcc":                      "",
	} {
		got := h.Get(name)
		switch name {
		case "Subject":
			got = subject
		case "X-Tocsin-Idempotency-Key":
			got = key
		}
		if got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@tocsin>") || id == messageID("k-43") {
		t.Errorf("Message-ID %q", id)
	}
	if cte := h.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(parsed.Body))
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	for _, want := range []string{
		"[FIRING:1] pager service=api (escalation 1)\r\n",
		"- firing P1 service=api host=a: latency of api is 300 \"ms\"\r\n",
		"  avg_ms: 300\r\n",
		"  started: 2026-03-01T12:00:00Z\r\n  fired: 2026-03-01T12:01:00Z\r\n  fingerprint: fp7\r\n",
		"- resolved P3 service=api host=\"b c\" (flapping) (+2 duplicates)\r\n",
		"  resolved: 2026-03-01T12:05:00Z\r\n  fingerprint: fp8\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("body lacks %q:\n%s", want, text)
		}
	}

	// A resolved group's subject.
	n = testNotification()
	n.Status, n.Escalation, n.Alerts = connectors.AlertResolved, 0, n.Alerts[1:]
	if err := ch.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	msgs = be.messages()
	parsed, err = mail.ReadMessage(strings.NewReader(string(msgs[1].data)))
	if err != nil {
		t.Fatal(err)
	}
	if s := parsed.Header.Get("Subject"); s != "[RESOLVED] pager service=api" {
		t.Errorf("resolved subject %q", s)
	}
}

func TestEmailFailures(t *testing.T) {
	be, host, port := startSMTP(t)
	opts := map[string]string{"host": host, "port": port, "from": "a@example.com", "to": "b@example.com"}
	ch := newChannel(t, NewEmail, opts)

	be.reject(&smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, nil)
	se := sendError(t, ch.Send(context.Background(), testNotification()))
	if !se.Permanent || se.Status != 550 || !strings.Contains(se.Response, "no such user") {
		t.Fatalf("550: %+v", se)
	}

	be.reject(nil, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	se = sendError(t, ch.Send(context.Background(), testNotification()))
	if se.Permanent || se.Status != 451 {
		t.Fatalf("451: %+v", se)
	}
	be.reject(nil, nil)
	if len(be.messages()) != 0 {
		t.Fatal("a rejected message was recorded")
	}

	// Wrong password: 535, permanent.
	bad := newChannel(t, NewEmail, map[string]string{"host": host, "port": port, "from": "a@example.com", "to": "b@example.com",
		"username": "bot", "password": "wrong"})
	se = sendError(t, bad.Send(context.Background(), testNotification()))
	if !se.Permanent || se.Status != 535 {
		t.Fatalf("535: %+v", se)
	}

	// STARTTLS required but not offered.
	tlsOnly := newChannel(t, NewEmail, map[string]string{"host": host, "port": port, "from": "a@example.com", "to": "b@example.com", "starttls": "true"})
	se = sendError(t, tlsOnly.Send(context.Background(), testNotification()))
	if !se.Permanent || !errors.Is(se, errNoStartTLS) {
		t.Fatalf("starttls: %+v", se)
	}

	// Nothing listening: retryable, no status.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, deadPort, _ := net.SplitHostPort(l.Addr().String())
	_ = l.Close()
	dead := newChannel(t, NewEmail, map[string]string{"host": host, "port": deadPort, "from": "a@example.com", "to": "b@example.com"})
	se = sendError(t, dead.Send(context.Background(), testNotification()))
	if se.Permanent || se.Status != 0 {
		t.Fatalf("refused: %+v", se)
	}

	// A server that never greets: the timeout makes it retryable.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		c, err := silent.Accept()
		if err == nil {
			_, _ = io.Copy(io.Discard, c)
			_ = c.Close()
		}
	}()
	_, silentPort, _ := net.SplitHostPort(silent.Addr().String())
	slow := newChannel(t, NewEmail, map[string]string{"host": host, "port": silentPort, "from": "a@example.com", "to": "b@example.com", "timeout": "100ms"})
	se = sendError(t, slow.Send(context.Background(), testNotification()))
	if se.Permanent || se.Status != 0 {
		t.Fatalf("silent server: %+v", se)
	}
}
