package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

const (
	// userAgent is sent with every request.
	userAgent = "tocsin"
	// maxResponse is how much of a reply body a SendError keeps.
	maxResponse = 1 << 10
	// maxBody bounds how much of a reply body is read (errcode replies
	// are parsed from it).
	maxBody = 64 << 10
	// contentJSON is the default Content-Type.
	contentJSON = "application/json"
)

// replyCheck inspects a 2xx reply's body; channels whose endpoints answer
// 200 with an error code in the body (DingTalk, WeCom) use it. It returns
// nil or a *connectors.SendError.
type replyCheck func(status int, body []byte) error

// httpSender is the one HTTP client all HTTP channels share the code of:
// it posts a body once and classifies the outcome. Each channel owns its
// own sender (and so its own connection pool), released by close.
type httpSender struct {
	client    *http.Client
	transport *http.Transport
	timeout   time.Duration
	// now is the clock used for Retry-After dates (and DingTalk
	// signatures); tests replace it.
	now func() time.Time
}

// newHTTPSender reads the timeout option and builds a sender.
func newHTTPSender(o options) (*httpSender, error) {
	timeout, err := o.duration(optTimeout, defaultTimeout)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	return &httpSender{
		transport: tr,
		client: &http.Client{
			Transport: tr,
			// A redirected POST would become a GET: report the 3xx
			// instead (a permanent failure) so the URL gets fixed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		timeout: timeout,
		now:     time.Now,
	}, nil
}

// close releases idle connections.
func (s *httpSender) close() { s.transport.CloseIdleConnections() }

// post sends body to target once. It returns nil on success, ctx's error
// if ctx ended, or a *connectors.SendError classified as the package
// documentation describes.
func (s *httpSender) post(ctx context.Context, target, contentType, key string, body []byte, check replyCheck) error {
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return &connectors.SendError{Permanent: true, Err: fmt.Errorf("build request: %w", err)}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", userAgent)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// *url.Error repeats the URL, which may hold a token (Slack,
		// DingTalk, WeCom put theirs in it): keep only the cause.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no reply within %v: %w", s.timeout, err)
		}
		return &connectors.SendError{Err: fmt.Errorf("post to %s: %w", redact(target), err)}
	}
	defer resp.Body.Close()
	reply, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if rerr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return s.classify(resp, reply, rerr, check)
}

// classify maps a reply to nil or a SendError.
func (s *httpSender) classify(resp *http.Response, reply []byte, readErr error, check replyCheck) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		if check == nil {
			return nil
		}
		if readErr != nil {
			return &connectors.SendError{Status: code, Err: fmt.Errorf("read reply: %w", readErr)}
		}
		return check(code, reply)
	}
	se := &connectors.SendError{
		Status:   code,
		Response: responseText(reply),
		Err:      errors.New(http.StatusText(code)),
	}
	if se.Err.Error() == "" {
		se.Err = fmt.Errorf("HTTP %d", code)
	}
	switch {
	case code == http.StatusTooManyRequests, code == http.StatusServiceUnavailable:
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now())
	case code == http.StatusRequestTimeout, code >= 500:
	default:
		se.Permanent = true
	}
	return se
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date
// (relative to now). It returns 0 when the header is absent or invalid.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// responseText is the first maxResponse bytes of a reply, as valid UTF-8.
func responseText(reply []byte) string {
	if len(reply) > maxResponse {
		reply = reply[:maxResponse]
	}
	return strings.ToValidUTF8(string(reply), "\uFFFD")
}

// redact keeps the scheme and host of a URL: paths and queries of chat
// webhooks hold their tokens.
func redact(target string) string {
	u, err := url.Parse(target)
	if err != nil {
		return "endpoint"
	}
	return u.Scheme + "://" + u.Host
}

// httpEndpoint reads an HTTP channel's url (defaultURL when empty; ""
// makes it required) and timeout and builds its sender.
func httpEndpoint(o options, defaultURL string) (string, *httpSender, error) {
	target, err := o.httpURL(optURL, defaultURL)
	if err != nil {
		return "", nil, err
	}
	sender, err := newHTTPSender(o)
	if err != nil {
		return "", nil, err
	}
	return target, sender, nil
}
