package notify

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tocsin-db/tocsin/connectors"
)

func TestStatusClassification(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 3000)
	cases := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		ok         bool
		permanent  bool
		retryAfter time.Duration
		response   string
	}{
		{name: "200", status: 200, ok: true},
		{name: "202", status: 202, ok: true},
		{name: "204", status: 204, ok: true},
		{name: "301", status: 301, header: map[string]string{"Location": "/elsewhere"}, permanent: true},
		{name: "400", status: 400, body: `{"error":"bad"}`, permanent: true, response: `{"error":"bad"}`},
		{name: "404", status: 404, permanent: true},
		{name: "408", status: 408},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, retryAfter: 7 * time.Second},
		{name: "429 date", status: 429, header: map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, retryAfter: 90 * time.Second},
		{name: "429 past date", status: 429, header: map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}},
		{name: "429 garbage", status: 429, header: map[string]string{"Retry-After": "soon"}},
		{name: "429 none", status: 429},
		{name: "500", status: 500, body: long, response: long[:maxResponse]},
		{name: "503", status: 503, header: map[string]string{"Retry-After": "3"}, retryAfter: 3 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range c.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			})
			ch := newChannel(t, NewWebhook, map[string]string{"url": rc.URL})
			ch.(*Webhook).sender.now = func() time.Time { return now }
			err := ch.Send(context.Background(), testNotification())
			if c.ok {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			se := sendError(t, err)
			if se.Permanent != c.permanent || se.Status != c.status || se.RetryAfter != c.retryAfter || se.Response != c.response {
				t.Fatalf("got {Permanent:%v Status:%d RetryAfter:%v Response:%d bytes}, want {%v %d %v %d bytes}",
					se.Permanent, se.Status, se.RetryAfter, len(se.Response), c.permanent, c.status, c.retryAfter, len(c.response))
			}
			if connectors.IsPermanent(err) != c.permanent {
				t.Fatal("IsPermanent disagrees")
			}
			if n := len(rc.requests()); n != 1 {
				t.Fatalf("%d requests, want 1 (no redirects, no retries)", n)
			}
		})
	}
}

func TestConnectionReset(t *testing.T) {
	// The server reads the request, then hijacks the connection and
	// closes it without replying.
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			_ = tc.SetLinger(0) // RST, not FIN
		}
		_ = conn.Close()
	})
	ch := newChannel(t, NewWebhook, map[string]string{"url": rc.URL + "/secret-token"})
	err := ch.Send(context.Background(), testNotification())
	se := sendError(t, err)
	if se.Permanent || se.Status != 0 {
		t.Fatalf("reset: %+v", se)
	}
	if strings.Contains(se.Error(), "secret-token") {
		t.Fatalf("error leaks the URL path: %v", se)
	}

	// Nothing listening at all.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	ch = newChannel(t, NewWebhook, map[string]string{"url": "http://" + addr})
	if se := sendError(t, ch.Send(context.Background(), testNotification())); se.Permanent || se.Status != 0 {
		t.Fatalf("refused: %+v", se)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	ch := newChannel(t, NewWebhook, map[string]string{"url": rc.URL, "timeout": "50ms"})
	start := time.Now()
	err := ch.Send(context.Background(), testNotification())
	se := sendError(t, err)
	if se.Permanent || se.Status != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %+v", se)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout took %v", d)
	}

	// A cancelled caller context is reported as such, not as a SendError.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ch.Send(ctx, testNotification()); !errors.Is(err, context.Canceled) || errors.As(err, new(*connectors.SendError)) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                               0,
		"0":                              0,
		"-5":                             0,
		" 120 ":                          2 * time.Minute,
		"999999999":                      24 * time.Hour,
		"Sun, 01 Mar 2026 12:00:30 GMT":  30 * time.Second,
		"Sunday, 01-Mar-26 12:01:00 GMT": time.Minute,
		"1.5":                            0,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", h, got, want)
		}
	}
}
