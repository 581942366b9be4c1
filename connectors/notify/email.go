package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

// Email options.
const (
	optHost     = "host"
	optPort     = "port"
	optFrom     = "from"
	optTo       = "to"
	optUsername = "username"
	optPassword = "password"
	optStartTLS = "starttls"
)

// startTLSMode says whether the channel upgrades the connection.
type startTLSMode uint8

const (
	startTLSAuto     startTLSMode = iota // when the server offers it
	startTLSRequired                     // fail (permanently) if not offered
	startTLSNever
)

// Email sends each notification as one plain-text message over SMTP.
type Email struct {
	addr, host string
	from       *mail.Address
	to         []*mail.Address
	username   string
	password   string
	startTLS   startTLSMode
	timeout    time.Duration
	// now dates messages without CreatedAt; tests replace it.
	now func() time.Time
	// tlsConfig is the STARTTLS configuration (tests add a root CA).
	tlsConfig *tls.Config
}

var _ connectors.Channel = (*Email)(nil)

// NewEmail is the ChannelFactory of the "email" connector.
func NewEmail(spec connectors.ChannelSpec) (connectors.Channel, error) {
	o := newOptions("email", spec)
	host, err := o.required(optHost)
	if err != nil {
		return nil, err
	}
	port := 25
	if p := o.get(optPort); p != "" {
		port, err = strconv.Atoi(p)
		if err != nil || port < 1 || port > 65535 {
			return nil, o.invalid(optPort, "must be a port number, not %q", p)
		}
	}
	fromText, err := o.required(optFrom)
	if err != nil {
		return nil, err
	}
	from, err := mail.ParseAddress(fromText)
	if err != nil {
		return nil, o.invalid(optFrom, "%v", err)
	}
	toText, err := o.required(optTo)
	if err != nil {
		return nil, err
	}
	to, err := mail.ParseAddressList(toText)
	if err != nil {
		return nil, o.invalid(optTo, "%v", err)
	}
	e := &Email{
		addr:      net.JoinHostPort(host, strconv.Itoa(port)),
		host:      host,
		from:      from,
		to:        to,
		username:  o.get(optUsername),
		password:  o.spec.Options[optPassword],
		now:       time.Now,
		tlsConfig: &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12},
	}
	if e.username == "" && e.password != "" {
		return nil, o.invalid(optUsername, "is required with %q", optPassword)
	}
	switch tlsOn, set, err := o.boolean(optStartTLS); {
	case err != nil:
		return nil, err
	case !set:
		e.startTLS = startTLSAuto
	case tlsOn:
		e.startTLS = startTLSRequired
	default:
		e.startTLS = startTLSNever
	}
	if e.timeout, err = o.duration(optTimeout, defaultTimeout); err != nil {
		return nil, err
	}
	return e, nil
}

// Send delivers n as one message: a fresh connection, optional STARTTLS
// and PLAIN auth, MAIL, RCPT per recipient, DATA, QUIT.
func (e *Email) Send(ctx context.Context, n *connectors.Notification) error {
	msg := e.message(n)
	sctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	err := e.deliver(sctx, msg)
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return classifySMTP(err)
}

// Close does nothing: each Send uses its own connection.
func (e *Email) Close() error { return nil }

// errNoStartTLS is returned when starttls = 'true' and the server does
// not offer it.
var errNoStartTLS = errors.New("server does not offer STARTTLS")

func (e *Email) deliver(ctx context.Context, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return err
		}
	}
	// Ending ctx (cancellation) unblocks any read or write.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if e.startTLS != startTLSNever {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tlsConfig); err != nil {
				return err
			}
		} else if e.startTLS == startTLSRequired {
			return errNoStartTLS
		}
	}
	if e.username != "" {
		if err := c.Auth(smtp.PlainAuth("", e.username, e.password, e.host)); err != nil {
			return authError{err}
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return err
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	// The message is accepted once DATA's reply is 250; a failed QUIT
	// does not undo that.
	_ = c.Quit()
	return nil
}

// authError marks a failure of the AUTH step.
type authError struct{ err error }

func (a authError) Error() string { return "smtp auth: " + a.err.Error() }
func (a authError) Unwrap() error { return a.err }

// classifySMTP turns a delivery error into a SendError: reply codes 4xx
// and network errors are retryable; 5xx replies, missing STARTTLS,
// certificate and client-side auth errors (PLAIN refused over an
// unencrypted connection) are permanent.
func classifySMTP(err error) error {
	se := &connectors.SendError{Err: fmt.Errorf("smtp: %w", err)}
	var tpe *textproto.Error
	var cve *tls.CertificateVerificationError
	var ae authError
	switch {
	case errors.As(err, &tpe):
		se.Status = tpe.Code
		se.Response = responseText([]byte(tpe.Msg))
		se.Permanent = tpe.Code >= 500
	case errors.Is(err, errNoStartTLS), errors.As(err, &cve):
		se.Permanent = true
	case errors.As(err, &ae):
		var ne net.Error
		se.Permanent = !errors.As(err, &ne)
	}
	return se
}

// message renders n as an RFC 5322 message (CRLF line ends; the body in
// quoted-printable UTF-8).
func (e *Email) message(n *connectors.Notification) []byte {
	date := n.CreatedAt
	if date.IsZero() {
		date = e.now()
	}
	var b bytes.Buffer
	header := func(name, value string) {
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(value)
		b.WriteString("\r\n")
	}
	header("From", e.from.String())
	to := make([]string, len(e.to))
	for i, a := range e.to {
		to[i] = a.String()
	}
	header("To", strings.Join(to, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", headerText(headline(n))))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", messageID(n.Key))
	header("X-Tocsin-Idempotency-Key", mime.QEncoding.Encode("utf-8", headerText(n.Key)))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(emailBody(n)))
	_ = qp.Close()
	return b.Bytes()
}

// messageID derives a stable Message-ID from the idempotency key, so a
// retried notification carries the same id and mail clients fold the
// copies.
func messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "<" + hex.EncodeToString(sum[:16]) + "@tocsin>"
}

// headerText removes line breaks so a value cannot inject headers.
func headerText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// emailBody is the plain-text body: the headline, the storm summary, and
// per alert a line plus its annotations, times and fingerprint.
func emailBody(n *connectors.Notification) string {
	var b strings.Builder
	b.WriteString(headline(n))
	b.WriteString("\r\n")
	if n.Summary != "" {
		b.WriteString("\r\n")
		b.WriteString(n.Summary)
		b.WriteString("\r\n")
	}
	for i := range n.Alerts {
		a := &n.Alerts[i]
		b.WriteString("\r\n- ")
		b.WriteString(alertLine(a))
		b.WriteString("\r\n")
		for _, l := range a.Annotations {
			fmt.Fprintf(&b, "  %s: %s\r\n", l.Name, l.Value)
		}
		fmt.Fprintf(&b, "  started: %s\r\n", a.StartsAt.UTC().Format(time.RFC3339))
		if !a.FiredAt.IsZero() {
			fmt.Fprintf(&b, "  fired: %s\r\n", a.FiredAt.UTC().Format(time.RFC3339))
		}
		if !a.EndsAt.IsZero() {
			fmt.Fprintf(&b, "  resolved: %s\r\n", a.EndsAt.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "  fingerprint: %s\r\n", a.Fingerprint)
	}
	if len(n.Records) > 0 {
		b.WriteString("\r\n")
	}
	for _, r := range n.Records {
		b.Write(r.Value)
		b.WriteString("\r\n")
	}
	return b.String()
}
